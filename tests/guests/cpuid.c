/* cpuid: what a zone sees of CPUID and the virtualization MSRs; tests compare these lines. */
#include "hv/x86_bits.h"
#include "lib.h"

#define MSR_EFER	0xc0000080u
#define MSR_VM_CR	0xc0010114u /* APM vol.2 15.30.1 */
#define MSR_VM_HSAVE_PA 0xc0010117u /* APM vol.2 15.30.4 */
#define MSR_UNKNOWN	0xc0011fffu /* no CPU defines it */

static uint32_t bit(uint32_t v, unsigned n)
{
	return (v >> n) & 1;
}

static void put_reg_chars(uint32_t r)
{
	for (unsigned i = 0; i < 4; i++) {
		char c = (char)(r >> (8 * i));

		serial_putc(c >= 0x20 && c < 0x7f ? c : '.');
	}
}

static void show_cpuid(void)
{
	struct cpuid_regs ext = cpuid(0x80000001), std = cpuid(1), hv = cpuid(0x40000000);
	struct cpuid_regs maxext = cpuid(0x80000000), svm = cpuid(0x8000000a);

	printf("cpuid: svm=%u\n", bit(ext.ecx, 2));
	printf("cpuid: vmx=%u\n", bit(std.ecx, 5));
	printf("cpuid: hypervisor=%u\n", bit(std.ecx, 31));
	printf("cpuid: x2apic=%u tsc_deadline=%u xsave=%u\n", bit(std.ecx, 21), bit(std.ecx, 24),
	       bit(std.ecx, 26));
	printf("cpuid: 40000000=");
	put_reg_chars(hv.ebx);
	put_reg_chars(hv.ecx);
	put_reg_chars(hv.edx);
	printf("\n");
	printf("cpuid: maxext=0x%x\n", maxext.eax);
	printf("cpuid: 8000000a=%08x %08x %08x %08x\n", svm.eax, svm.ebx, svm.ecx, svm.edx);
}

/* The most logical processors any cache claims to share (EAX[25:14] + 1)
 * over the subleaves of leaf 4 or 8000_001Dh, up to the first null cache. */
static uint32_t max_cache_sharing(uint32_t leaf)
{
	uint32_t most = 0;

	for (uint32_t sub = 0; sub < 8; sub++) {
		uint32_t eax = cpuid_sub(leaf, sub).eax;

		if (!(eax & 0x1f))
			break;
		if (((eax >> 14) & 0xfff) + 1 > most)
			most = ((eax >> 14) & 0xfff) + 1;
	}
	return most;
}

/* What issue 16 hides: MONITOR(X), the PMU, and the host's cache sharing. */
static void show_hidden(void)
{
	uint32_t maxstd = cpuid(0).eax, maxext = cpuid(0x80000000).eax;
	uint32_t sharing = maxstd >= 4 ? max_cache_sharing(4) : 0;
	uint32_t ext_sharing = maxext >= 0x8000001d ? max_cache_sharing(0x8000001d) : 0;

	printf("cpuid: monitor=%u monitorx=%u\n", bit(cpuid(1).ecx, 3),
	       bit(cpuid(0x80000001).ecx, 29));
	printf("cpuid: pmu_version=%u perfmonv2=%u\n", maxstd >= 0xa ? cpuid(0xa).eax & 0xff : 0,
	       maxext >= 0x80000022 ? bit(cpuid(0x80000022).eax, 0) : 0);
	printf("cpuid: cache_sharing=%u\n", sharing > ext_sharing ? sharing : ext_sharing);
}

static void show_rdmsr(const char *name, uint32_t msr)
{
	uint64_t v;

	if (rdmsr_safe(msr, &v))
		printf("msr: rdmsr %s -> #GP\n", name);
	else if (v >> 32)
		printf("msr: rdmsr %s -> 0x%x%08x\n", name, (uint32_t)(v >> 32), (uint32_t)v);
	else
		printf("msr: rdmsr %s -> 0x%x\n", name, (uint32_t)v);
}

static void show_wrmsr(const char *name, uint32_t msr, uint64_t v)
{
	printf("msr: wrmsr %s -> %s\n", name, wrmsr_safe(msr, v) ? "#GP" : "ok");
}

static void show_msrs(void)
{
	uint64_t efer;

	if (rdmsr_safe(MSR_EFER, &efer)) {
		printf("msr: rdmsr efer -> #GP\n");
		efer = 0;
	} else {
		printf("msr: efer=0x%x svme=%u\n", (uint32_t)efer, bit((uint32_t)efer, 12));
	}
	show_wrmsr("vm_hsave_pa", MSR_VM_HSAVE_PA, 0x1000);
	show_rdmsr("vm_cr", MSR_VM_CR);
	show_wrmsr("efer.svme", MSR_EFER, efer | EFER_SVME);
	wrmsr_safe(MSR_EFER, efer); /* undo it if it took */
	show_rdmsr("0xc0011fff", MSR_UNKNOWN);
}

int guest_main(uint32_t magic, const struct mb_info *info)
{
	(void)magic;
	(void)info;
	idt_install();
	show_cpuid();
	show_hidden();
	show_msrs();
	return 0;
}
