/* MMIO emulation: decode the faulting MOV, move the data between the guest register and the device.
 */
#include "hv/mmio.h"
#include "hv/insn.h"
#include "hv/x86_decode.h"
#include "hv/zone_api.h"

static void load_gprs(struct vcpu *v, uint64_t gpr[16])
{
	for (unsigned i = 0; i < 16; i++)
		gpr[i] = *vcpu_gpr(v, i);
}

static void store_gprs(struct vcpu *v, const uint64_t gpr[16])
{
	for (unsigned i = 0; i < 16; i++)
		*vcpu_gpr(v, i) = gpr[i];
}

static uint64_t sign_extend(uint64_t value, unsigned size)
{
	unsigned shift = 64 - size * 8;

	return size >= 8 ? value : (uint64_t)((int64_t)(value << shift) >> shift);
}

static bool is_load(const struct x86_insn *in)
{
	return (in->op == X86_OP_MOV && in->dir == X86_DIR_TO_REG) || in->op == X86_OP_MOVZX ||
	       in->op == X86_OP_MOVSX || in->op == X86_OP_MOVSXD;
}

static bool is_store(const struct x86_insn *in)
{
	return in->op == X86_OP_MOV && in->dir == X86_DIR_TO_RM;
}

static enum io_result do_load(struct vcpu *v, const struct x86_insn *in, const struct io_range *dev,
			      uint64_t gpa)
{
	uint64_t gpr[16], value;
	enum io_result r = io_range_access(dev, v, gpa, in->memsize, 0, &value);

	if (in->op == X86_OP_MOVSX || in->op == X86_OP_MOVSXD)
		value = sign_extend(value, in->memsize);
	load_gprs(v, gpr);
	x86_reg_write(gpr, in->reg, in->opsize, in->reg_high8, value);
	store_gprs(v, gpr);
	return r;
}

static enum io_result do_store(struct vcpu *v, const struct x86_insn *in,
			       const struct io_range *dev, uint64_t gpa)
{
	uint64_t gpr[16], value;

	load_gprs(v, gpr);
	value = in->has_imm ? (uint64_t)in->imm
			    : x86_reg_read(gpr, in->reg, in->opsize, in->reg_high8);
	if (in->memsize < 8)
		value &= (1ull << (in->memsize * 8)) - 1;
	return io_range_access(dev, v, gpa, in->memsize, 1, &value);
}

enum vexit_action mmio_emulate(struct vcpu *v, uint64_t gpa, const struct io_range *dev)
{
	struct x86_insn in;
	uint64_t off = gpa - dev->base;
	int rc = vcpu_fetch_decode(v, &in);

	if (rc != 0)
		return zone_fault(v->zone,
				  "%s access at GPA 0x%lx: instruction at rip 0x%lx not "
				  "decodable (%d)",
				  dev->name, gpa, v->regs.rip, rc);
	if (!is_load(&in) && !is_store(&in))
		return zone_fault(v->zone,
				  "%s access at GPA 0x%lx: '%s' is not emulated (only MOV)",
				  dev->name, gpa, x86_op_name(in.op));
	if (in.memsize == 0 || off >= dev->size || in.memsize > dev->size - off)
		return zone_fault(v->zone, "%s access at GPA 0x%lx of %u bytes crosses the window",
				  dev->name, gpa, in.memsize);
	if ((is_load(&in) ? do_load(v, &in, dev, gpa) : do_store(v, &in, dev, gpa)) != IO_DONE)
		return VACT_STOP; /* the device stopped the zone */
	v->insn_len = in.len;
	vcpu_skip_insn(v);
	return VACT_RESUME;
}
