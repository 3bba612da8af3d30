/* The x87/SSE register file between zones: no zone may read another's. */
#ifndef ZV_FPU_H
#define ZV_FPU_H

/* Enables FXSR/SSE for this CPU (CR4.OSFXSR, OSXMMEXCPT); once per CPU. */
void fpu_cpu_init(void);
/* Puts x87 and SSE state to its reset value (FNINIT, XMM0-15 = 0, MXCSR =
 * 0x1F80) before a new zone's first entry on this CPU.  Zones cannot enable
 * AVX state (XSETBV is intercepted), so nothing wider can hold data. */
void fpu_reset_for_zone(void);

#endif
