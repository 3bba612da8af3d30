/* Resetting the floating-point register file when a CPU passes to a new zone. */
#include "hv/fpu.h"
#include "hv/cpu.h"

#define CR0_EM	       (1ul << 2)
#define CR0_MP	       (1ul << 1)
#define CR4_OSXMMEXCPT (1ul << 10)
#define MXCSR_DEFAULT  0x1f80 /* Intel SDM vol. 1, 10.2.3.1: all exceptions masked */

void fpu_cpu_init(void)
{
	write_cr0((read_cr0() & ~CR0_EM) | CR0_MP);
	write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
}

void fpu_reset_for_zone(void)
{
	uint32_t mxcsr = MXCSR_DEFAULT;

	/* The hypervisor is built without SSE, so these registers are all
	 * guest state: clearing them here is the whole wipe. */
	__asm__ volatile("fninit\n\t"
			 "ldmxcsr %0\n\t"
			 "pxor %%xmm0, %%xmm0\n\t pxor %%xmm1, %%xmm1\n\t"
			 "pxor %%xmm2, %%xmm2\n\t pxor %%xmm3, %%xmm3\n\t"
			 "pxor %%xmm4, %%xmm4\n\t pxor %%xmm5, %%xmm5\n\t"
			 "pxor %%xmm6, %%xmm6\n\t pxor %%xmm7, %%xmm7\n\t"
			 "pxor %%xmm8, %%xmm8\n\t pxor %%xmm9, %%xmm9\n\t"
			 "pxor %%xmm10, %%xmm10\n\t pxor %%xmm11, %%xmm11\n\t"
			 "pxor %%xmm12, %%xmm12\n\t pxor %%xmm13, %%xmm13\n\t"
			 "pxor %%xmm14, %%xmm14\n\t pxor %%xmm15, %%xmm15"
			 :
			 : "m"(mxcsr)
			 : "memory");
}
