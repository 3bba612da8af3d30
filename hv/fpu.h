/* The extended register file (x87, SSE, AVX..., PKRU) between zones: no zone may read another's. */
#ifndef ZV_FPU_H
#define ZV_FPU_H

#include <stdint.h>

/* Enables FXSR/SSE for this CPU (CR4.OSFXSR, OSXMMEXCPT) and, where the CPU
 * has XSAVE, CR4.OSXSAVE with XCR0 = every user state component it supports,
 * so that nothing the firmware chose survives; once per CPU. */
void fpu_cpu_init(void);
/* The XCR0 this CPU runs with (0 without XSAVE); the same on every CPU. */
uint64_t fpu_host_xcr0(void);
/* Puts every state component the CPU has into its architectural init state
 * (x87 data registers and XMM/YMM/ZMM zeroed, opmasks 0, PKRU 0), FCW 0x37F
 * and MXCSR 0x1F80, before a new zone's first entry on this CPU.  Zones
 * cannot enable XSAVE (CR4.OSXSAVE is refused) and run with the host's XCR0. */
void fpu_reset_for_zone(void);

#endif
