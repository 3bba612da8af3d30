/* virt: SVM instructions must raise #UD inside a zone (and do on a CPU with EFER.SVME clear). */
#include "lib.h"

/* Each is 3 bytes, 0f 01 xx (APM vol.3, "Secure Virtual Machine" instructions).
 * rAX holds a page-aligned address inside the zone: a bad rAX raises #GP
 * before the intercept is checked (APM vol.3, VMRUN: exceptions), and an
 * attacker would pass a good one. */
#define SVM_INSN(name, modrm)                                                                \
	static void try_##name(void)                                                         \
	{                                                                                    \
		__asm__ volatile(".byte 0x0f, 0x01, " #modrm : : "a"(0x200000u) : "memory"); \
	}

SVM_INSN(vmrun, 0xd8)
SVM_INSN(vmload, 0xda)
SVM_INSN(vmsave, 0xdb)
SVM_INSN(stgi, 0xdc)
SVM_INSN(clgi, 0xdd)
SVM_INSN(skinit, 0xde)
SVM_INSN(invlpga, 0xdf)

/* Runs one instruction expecting #UD; 1 when it did not fault. */
static int expect_ud(const char *name, void (*run)(void))
{
	fault_expect(VEC_UD, 3);
	run();
	if (fault_taken()) {
		printf("virt: %s -> #UD\n", name);
		return 0;
	}
	printf("virt: %s did not fault\n", name);
	return 1;
}

int guest_main(uint32_t magic, const struct mb_info *info)
{
	int failed = 0;

	(void)magic;
	if (arg_flag(mb_args(info), "nohandler")) {
		/* No IDT at all: the #UD escalates to a triple fault. */
		printf("virt: VMRUN with no IDT\n");
		idt_load_empty();
		try_vmrun();
		printf("virt: VMRUN did not fault\n");
		return 1;
	}
	idt_install();
	failed |= expect_ud("VMRUN", try_vmrun);
	failed |= expect_ud("VMLOAD", try_vmload);
	failed |= expect_ud("VMSAVE", try_vmsave);
	failed |= expect_ud("STGI", try_stgi);
	failed |= expect_ud("CLGI", try_clgi);
	failed |= expect_ud("SKINIT", try_skinit);
	failed |= expect_ud("INVLPGA", try_invlpga);
	return failed;
}
