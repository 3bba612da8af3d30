/* Instruction fetch through guest paging plus decode, for exits without next-RIP save. */
#include "hv/insn.h"
#include "hv/guest_walk.h"
#include "hv/zone_api.h"

#define REG(name) __builtin_offsetof(struct vcpu_regs, name)

/* Where each GPR of the decoder's numbering (SDM vol. 2, table 2-2) lies
 * in struct vcpu_regs. */
static const uint8_t gpr_offset[16] = {
	REG(rax), REG(rcx), REG(rdx), REG(rbx), REG(rsp), REG(rbp), REG(rsi), REG(rdi),
	REG(r8),  REG(r9),  REG(r10), REG(r11), REG(r12), REG(r13), REG(r14), REG(r15),
};

uint64_t *vcpu_gpr(struct vcpu *v, unsigned n)
{
	return (uint64_t *)((uint8_t *)&v->regs + gpr_offset[n & 15]);
}

static int read_zone(void *ctx, uint64_t gpa, void *dst, size_t len)
{
	return zone_read(ctx, gpa, dst, len);
}

int vcpu_fetch_decode(struct vcpu *v, struct x86_insn *out)
{
	struct guest_paging p = {
		.cr0 = backend->get_sreg(v, VSREG_CR0),
		.cr3 = backend->get_sreg(v, VSREG_CR3),
		.cr4 = backend->get_sreg(v, VSREG_CR4),
		.efer = backend->get_sreg(v, VSREG_EFER),
	};
	uint64_t linear = backend->get_sreg(v, VSREG_CS_BASE) + v->regs.rip;
	uint8_t bytes[15];
	size_t got;
	int rc;

	if (backend->cpu_mode(v) != X86_MODE_64)
		linear = (uint32_t)linear;
	rc = guest_fetch_insn(&p, linear, bytes, &got, read_zone, v->zone);
	if (rc != 0)
		return rc;
	return x86_decode(bytes, got, backend->cpu_mode(v), out);
}

void vcpu_measure_insn(struct vcpu *v, enum x86_op expected, uint32_t fallback)
{
	struct x86_insn in;

	if (vcpu_fetch_decode(v, &in) == 0 && in.op == expected)
		v->insn_len = in.len;
	else
		v->insn_len = fallback;
}

/* SVM without decode assists: the MOV to CR4 that exited names its source
 * register only in its encoding (0F 22 /r, ModRM.reg = 4). */
int vcpu_decode_mov_to_cr4(struct vcpu *v, uint64_t *val)
{
	struct x86_insn in;

	if (vcpu_fetch_decode(v, &in) != 0 || in.op != X86_OP_MOV_TO_CR || in.reg != 4)
		return -1;
	*val = *vcpu_gpr(v, in.rm);
	if (backend->cpu_mode(v) != X86_MODE_64)
		*val = (uint32_t)*val; /* SDM vol. 2B MOV CR: 32-bit operands outside 64-bit mode */
	v->insn_len = in.len;
	return 0;
}
