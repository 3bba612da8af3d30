/* Which CR4 bits a zone may set: only those of features its CPUID offers (pure; host-tested). */
#ifndef ZV_CR4_POLICY_H
#define ZV_CR4_POLICY_H

#include <stdint.h>

#include "hv/cpuid_msr.h"

/*
 * The CR4 bits a zone may set, given the CPUID leaves 1 and 7 (sub-leaf 0)
 * *as the zone sees them* (after cpuid_policy_apply).  A bit whose feature
 * the zone is not offered (OSXSAVE without XSAVE, PKE without PKU, VMXE,
 * SMXE, ...) and every reserved bit is left out: setting it must raise #GP,
 * as on a CPU without the feature (SDM vol. 3A, 2.5 and 2.6.2.1).
 */
uint64_t cr4_zone_allowed(const struct cpuid_result *leaf1, const struct cpuid_result *leaf7);

/* Whether a MOV to CR4 of val raises #GP for a zone that may set `allowed`,
 * with its current CR4, EFER.LMA and CR3 (SDM vol. 3A, 2.6.2.1 and 4.10.1:
 * reserved or unoffered bits; PAE cleared or LA57 changed in IA-32e mode;
 * PCIDE set outside IA-32e mode or with CR3[11:0] != 0). */
int cr4_write_faults(uint64_t val, uint64_t old, uint64_t allowed, int long_mode, uint64_t cr3);

#endif
