/* The extended register file (x87, SSE, AVX..., PKRU) between zones: each starts from its init
 * state. */
#include "hv/fpu.h"
#include "hv/cpu.h"

#define CPUID_XSTATE  0xd    /* SDM vol. 1, 13.2: leaf 0Dh, sub-leaf 0 */
#define MXCSR_DEFAULT 0x1f80 /* SDM vol. 1, 10.2.3.1: all exceptions masked */
#define FCW_DEFAULT   0x037f /* SDM vol. 1, 8.1.5: FNINIT's control word */

/*
 * The image every vCPU's extended state starts from.  SDM vol. 1, 13.8.1:
 * XRSTOR of a component whose XSTATE_BV bit is 0 puts it in its init state
 * (x87 data registers and XMM/YMM/ZMM zeroed, opmasks zeroed, PKRU 0, AMX
 * tiles released), whatever its previous contents; MXCSR is still loaded
 * from the legacy area.  FXRSTOR (no XSAVE) loads the same legacy area:
 * FCW 0x37F, an empty tag word, zeroed ST0-7 and XMM0-15.  Header
 * (XSTATE_BV, XCOMP_BV) all zero: the standard form.
 */
static struct {
	uint16_t fcw, fsw;
	uint8_t ftw_abridged, reserved0;
	uint16_t fop;
	uint64_t fip, fdp;
	uint32_t mxcsr, mxcsr_mask;
	uint8_t st_xmm_reserved[480]; /* ST0-7, XMM0-15, reserved: all zero */
	uint8_t header[64];
} clean_state __attribute__((aligned(64))) = {
	.fcw = FCW_DEFAULT,
	.mxcsr = MXCSR_DEFAULT,
};

_Static_assert(sizeof(clean_state) == 576, "legacy area (512) + XSAVE header (64)");

static uint64_t host_xcr0; /* 0 when the CPU has no XSAVE */

static void xsetbv(uint32_t xcr, uint64_t v)
{
	__asm__ volatile("xsetbv" ::"c"(xcr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

/* Every user state component the CPU can hold (SDM vol. 1, 13.3: XCR0 may
 * take any bit CPUID.(0Dh,0):EDX:EAX reports).  Enabling all of them is what
 * lets one XRSTOR reset all of them: a component left out of XCR0 would keep
 * whatever the firmware or a zone put there. */
static void enable_xsave(void)
{
	struct cpuid_regs r = cpuid(CPUID_XSTATE, 0);

	host_xcr0 = ((uint64_t)r.edx << 32) | r.eax;
	write_cr4(read_cr4() | CR4_OSXSAVE);
	xsetbv(0, host_xcr0);
}

void fpu_cpu_init(void)
{
	write_cr0((read_cr0() & ~CR0_EM) | CR0_MP);
	write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
	if (cpuid(1, 0).ecx & CPUID_1_ECX_XSAVE)
		enable_xsave();
}

uint64_t fpu_host_xcr0(void)
{
	return host_xcr0;
}

void fpu_reset_for_zone(void)
{
	/* The hypervisor is built without SSE, so these registers are all
	 * guest state: loading the clean image is the whole wipe. */
	if (host_xcr0)
		__asm__ volatile("xrstor %0" ::"m"(clean_state), "a"((uint32_t)host_xcr0),
				 "d"((uint32_t)(host_xcr0 >> 32))
				 : "memory");
	else
		__asm__ volatile("fxrstor %0" ::"m"(clean_state) : "memory");
}
