/* Instruction fetch through guest paging plus decode, for exits without next-RIP save. */
#include "hv/insn.h"
#include "hv/guest_walk.h"
#include "zones/zone.h"

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
