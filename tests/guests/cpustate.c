/* cpustate: plants values in registers no VMCB/VMCS holds, or checks a new zone finds none. */
#include "hv/x86_bits.h"
#include "lib.h"

#define MXCSR_PLANTED 0x9f80u /* FZ set: differs from the reset value 0x1F80 */
#define FCW_PLANTED   0x027fu /* 53-bit precision: differs from FNINIT's 0x037F */
#define PKRU_PLANTED  0x55555554u
#define DR_PLANTED    0x5a4f4e00u
#define DR6_PLANTED   0xffff4ff3u /* B0, B1, BS */
#define DR6_RESET     0xffff0ff0u /* SDM vol. 3B, 18.2.3 */

static uint8_t fxarea[512] __attribute__((aligned(16)));
static uint8_t fnarea[108];

static uint32_t read_cr(int n)
{
	uint32_t v = 0;

	if (n == 0)
		__asm__ volatile("mov %%cr0, %0" : "=r"(v));
	else
		__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

/* Tries to set a CR4 bit: 1 when the MOV succeeded, 0 when it raised #GP. */
static int try_cr4_bit(uint32_t bit)
{
	uint32_t cr4 = read_cr(4) | bit;

	fault_expect(VEC_GP, 3); /* mov %eax, %cr4: 0F 22 E0 */
	__asm__ volatile("mov %0, %%cr4" ::"a"(cr4) : "memory");
	return !fault_taken();
}

static void enable_sse(void)
{
	__asm__ volatile("mov %0, %%cr0" ::"r"((read_cr(0) & ~CR0_EM) | CR0_MP));
	__asm__ volatile("mov %0, %%cr4" ::"r"(read_cr(4) | CR4_OSFXSR));
}

static uint32_t read_dr(int n)
{
	uint32_t v = 0;

	switch (n) {
	case 0: __asm__ volatile("mov %%dr0, %0" : "=r"(v)); break;
	case 1: __asm__ volatile("mov %%dr1, %0" : "=r"(v)); break;
	case 2: __asm__ volatile("mov %%dr2, %0" : "=r"(v)); break;
	case 3: __asm__ volatile("mov %%dr3, %0" : "=r"(v)); break;
	case 6: __asm__ volatile("mov %%dr6, %0" : "=r"(v)); break;
	default: __asm__ volatile("mov %%dr7, %0" : "=r"(v)); break;
	}
	return v;
}

static void plant_fpu(void)
{
	static const uint32_t ints[8] = {0x5a4f4e01, 0x5a4f4e02, 0x5a4f4e03, 0x5a4f4e04,
					 0x5a4f4e05, 0x5a4f4e06, 0x5a4f4e07, 0x5a4f4e08};
	static uint8_t xmm[128] __attribute__((aligned(16)));
	uint32_t mxcsr = MXCSR_PLANTED;
	uint16_t fcw = FCW_PLANTED;

	for (int i = 0; i < 128; i++)
		xmm[i] = (uint8_t)(0xa0 + i);
	for (int i = 0; i < 8; i++) /* eight pushes fill ST0-7 (and so MM0-7) */
		__asm__ volatile("fildl %0" ::"m"(ints[i]));
	__asm__ volatile("fldcw %0" ::"m"(fcw));
	__asm__ volatile("movdqu 0(%0), %%xmm0; movdqu 16(%0), %%xmm1; movdqu 32(%0), %%xmm2;"
			 "movdqu 48(%0), %%xmm3; movdqu 64(%0), %%xmm4; movdqu 80(%0), %%xmm5;"
			 "movdqu 96(%0), %%xmm6; movdqu 112(%0), %%xmm7; ldmxcsr %1" ::"r"(xmm),
			 "m"(mxcsr));
	printf("cpustate: planted x87 ST0-7, FCW 0x%x, XMM0-7, MXCSR 0x%x\n", fcw, mxcsr);
}

static void plant_debug(void)
{
	__asm__ volatile("mov %0, %%dr0" ::"r"(DR_PLANTED));
	__asm__ volatile("mov %0, %%dr1" ::"r"(DR_PLANTED + 1));
	__asm__ volatile("mov %0, %%dr2" ::"r"(DR_PLANTED + 2));
	__asm__ volatile("mov %0, %%dr3" ::"r"(DR_PLANTED + 3));
	__asm__ volatile("mov %0, %%dr6" ::"r"(DR6_PLANTED));
	printf("cpustate: planted DR0-3 0x%x.. DR6 0x%x\n", DR_PLANTED, read_dr(6));
}

static void plant_pkru(void)
{
	if (!try_cr4_bit(CR4_PKE)) {
		printf("cpustate: CR4.PKE -> #GP\n");
		return;
	}
	__asm__ volatile(".byte 0x0f, 0x01, 0xef" ::"a"(PKRU_PLANTED), "c"(0), "d"(0)); /* WRPKRU */
	printf("cpustate: CR4.PKE set; planted PKRU 0x%x\n", PKRU_PLANTED);
}

static void plant_xsave(void)
{
	printf("cpustate: CR4.OSXSAVE -> %s\n", try_cr4_bit(CR4_OSXSAVE) ? "set" : "#GP");
}

static int nonzero(const uint8_t *p, int n)
{
	for (int i = 0; i < n; i++)
		if (p[i])
			return 1;
	return 0;
}

/* FNSAVE stores all eight data registers whatever the tag word says
 * (SDM vol. 1, 8.1.10): a register FNINIT left behind shows here. */
static int check_fpu(void)
{
	uint32_t mxcsr;
	uint16_t fcw;
	int dirty = 0;

	__asm__ volatile("fxsave %0" : "=m"(fxarea));
	__asm__ volatile("fnsave %0" : "=m"(fnarea));
	fcw = (uint16_t)(fnarea[0] | fnarea[1] << 8);
	mxcsr = *(uint32_t *)(fxarea + 24);
	if (nonzero(fnarea + 28, 80)) {
		printf("cpustate: x87 data registers hold a previous zone's values\n");
		dirty = 1;
	}
	if (nonzero(fxarea + 160, 128)) {
		printf("cpustate: XMM0-7 hold a previous zone's values\n");
		dirty = 1;
	}
	if (fcw != 0x037f || mxcsr != 0x1f80) {
		printf("cpustate: FCW 0x%x MXCSR 0x%x are not the reset values\n", fcw, mxcsr);
		dirty = 1;
	}
	return dirty;
}

static int check_debug(void)
{
	int dirty = 0;

	for (int i = 0; i < 4; i++)
		if (read_dr(i)) {
			printf("cpustate: DR%d = 0x%x\n", i, read_dr(i));
			dirty = 1;
		}
	if (read_dr(6) != DR6_RESET || read_dr(7) != 0x400) {
		printf("cpustate: DR6 0x%x DR7 0x%x are not the reset values\n", read_dr(6),
		       read_dr(7));
		dirty = 1;
	}
	return dirty;
}

static int check_pkru(void)
{
	uint32_t pkru;

	if (!try_cr4_bit(CR4_PKE)) {
		printf("cpustate: CR4.PKE -> #GP\n");
		return 0;
	}
	__asm__ volatile(".byte 0x0f, 0x01, 0xee" : "=a"(pkru) : "c"(0) : "edx"); /* RDPKRU */
	printf("cpustate: CR4.PKE set; PKRU 0x%x\n", pkru);
	return pkru != 0;
}

static int check_xsave(void)
{
	uint32_t lo, hi;

	if (!try_cr4_bit(CR4_OSXSAVE)) {
		printf("cpustate: CR4.OSXSAVE -> #GP\n");
		return 0;
	}
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	printf("cpustate: CR4.OSXSAVE set; XCR0 0x%x%08x visible\n", hi, lo);
	return 1; /* a zone was able to turn on a feature it is not offered */
}

int guest_main(uint32_t magic, const struct mb_info *info)
{
	const char *args = mb_args(info);
	int dirty;

	(void)magic;
	idt_install();
	enable_sse();
	if (arg_flag(args, "plant")) {
		plant_fpu();
		plant_debug();
		plant_pkru();
		plant_xsave();
		printf("cpustate: planted\n");
		return 0;
	}
	dirty = check_fpu() | check_debug() | check_pkru() | check_xsave();
	printf("cpustate: %s\n", dirty ? "dirty" : "clean");
	return dirty;
}
