/* Fetching and decoding the guest instruction that caused an exit (no decode assists needed). */
#ifndef ZV_INSN_H
#define ZV_INSN_H

#include <stdint.h>

#include "hv/arch/vcpu.h"
#include "hv/x86_decode.h"

/* Fetches the instruction at the vCPU's CS:RIP through the guest's own page
 * tables and decodes it.  0, or a negative guest_walk / x86_decode error. */
int vcpu_fetch_decode(struct vcpu *v, struct x86_insn *out);

/* Sets v->insn_len to the decoded length of the instruction at RIP when it
 * is `expected`; else to fallback (the unprefixed encoding's length), so a
 * racing code change by another vCPU cannot make the length exceed 15. */
void vcpu_measure_insn(struct vcpu *v, enum x86_op expected, uint32_t fallback);

/* The GPR that the decoder's register number n (ModRM/REX, SDM vol. 2,
 * table 2-2) names, in v->regs. */
uint64_t *vcpu_gpr(struct vcpu *v, unsigned n);

/* Decodes the MOV to CR4 at RIP: its source value in *val and v->insn_len.
 * 0, or -1 when the instruction there is not a MOV to CR4 (another vCPU may
 * have rewritten it) or cannot be fetched. */
int vcpu_decode_mov_to_cr4(struct vcpu *v, uint64_t *val);

#endif
