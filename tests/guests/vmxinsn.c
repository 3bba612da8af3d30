/* vmxinsn: VMX instructions must raise #UD inside a zone (VMX hidden on Intel, absent on AMD). */
#include "lib.h"

static uint64_t region[2] __attribute__((aligned(16)));

/* Intel SDM vol. 2, ch. 6 encodings; memory operands point at region. */
#define VMX_INSN(name, bytes)                                              \
	static void try_##name(void)                                       \
	{                                                                  \
		__asm__ volatile(".byte " bytes ::"a"(region) : "memory"); \
	}
VMX_INSN(vmxon, "0xf3,0x0f,0xc7,0x30")
VMX_INSN(vmclear, "0x66,0x0f,0xc7,0x30")
VMX_INSN(vmptrld, "0x0f,0xc7,0x30")
VMX_INSN(vmptrst, "0x0f,0xc7,0x38")
VMX_INSN(vmread, "0x0f,0x78,0xc0")
VMX_INSN(vmwrite, "0x0f,0x79,0xc0")
VMX_INSN(vmlaunch, "0x0f,0x01,0xc2")
VMX_INSN(vmresume, "0x0f,0x01,0xc3")
VMX_INSN(vmxoff, "0x0f,0x01,0xc4")
VMX_INSN(invept, "0x66,0x0f,0x38,0x80,0x30")
VMX_INSN(invvpid, "0x66,0x0f,0x38,0x81,0x30")

static const struct {
	const char *name;
	void (*run)(void);
	unsigned len;
} insns[] = {
	{"VMXON", try_vmxon, 4},       {"VMCLEAR", try_vmclear, 4},   {"VMPTRLD", try_vmptrld, 3},
	{"VMPTRST", try_vmptrst, 3},   {"VMREAD", try_vmread, 3},     {"VMWRITE", try_vmwrite, 3},
	{"VMLAUNCH", try_vmlaunch, 3}, {"VMRESUME", try_vmresume, 3}, {"VMXOFF", try_vmxoff, 3},
	{"INVEPT", try_invept, 5},     {"INVVPID", try_invvpid, 5},
};

int guest_main(uint32_t magic, const struct mb_info *info)
{
	int missed = 0;

	(void)magic;
	(void)info;
	idt_install();
	for (unsigned i = 0; i < sizeof(insns) / sizeof(insns[0]); i++) {
		int ud;

		fault_expect(VEC_UD, insns[i].len);
		insns[i].run();
		ud = fault_taken();
		missed += !ud;
		printf("vmxinsn: %s -> %s\n", insns[i].name, ud ? "#UD" : "no fault");
	}
	return missed ? 1 : 0;
}
