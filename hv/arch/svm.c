/* AMD SVM backend (AMD APM vol. 2, ch. 15 "Secure Virtual Machine"). */
#include "hv/arch/svm_regs.h"
#include "hv/arch/svm_vmcb.h"
#include "hv/arch/vcpu.h"
#include "hv/console.h"
#include "hv/cpu.h"
#include "hv/lib/fmt.h"
#include "hv/lib/string.h"
#include "hv/mem.h"
#include "hv/percpu.h"

#define CPUID_EXT_FEATURES 0x80000001
#define CPUID_EXT_SVM (1u << 2)    /* ECX: SVM */
#define CPUID_SVM_FEATURES 0x8000000a
#define CPUID_SVM_NP (1u << 0)     /* EDX: nested paging */
#define MSR_VM_CR 0xc0010114
#define VM_CR_SVMDIS (1u << 4)     /* APM 15.30.1 */
#define MSR_VM_HSAVE_PA 0xc0010117 /* APM 15.30.4 */

#define IOPM_PAGES 3  /* APM 15.10.1: 12 KiB, one bit per port */
#define MSRPM_PAGES 2 /* APM 15.11: 8 KiB, two bits per MSR */
#define GUEST_ASID 1  /* TCG honours only TLB_CONTROL=1, so one ASID suffices */
#define TLB_FLUSH_ALL 1

_Static_assert(__builtin_offsetof(struct vcpu_regs, r15) == REGS_R15, "regs layout");
_Static_assert(__builtin_offsetof(struct vcpu_regs, rdi) == REGS_RDI, "regs layout");



/* Shared by every vCPU: every port and every MSR intercepted except the
 * ones the VMCB swaps itself (see msrpm_pass_through). */
static uint64_t iopm_pa, msrpm_pa;

/* Per vCPU: the VMCB page and a host save area for VMSAVE/VMLOAD. */
struct svm_vcpu {
	uint64_t vmcb_pa;
	uint64_t host_area_pa;
};

static bool svm_probe(char *why, size_t len)
{
	if (cpuid(0x80000000, 0).eax < CPUID_SVM_FEATURES ||
	    !(cpuid(CPUID_EXT_FEATURES, 0).ecx & CPUID_EXT_SVM)) {
		zv_snprintf(why, len, "no SVM (CPUID 8000_0001 ECX.SVM = 0)");
		return false;
	}
	if (!(cpuid(CPUID_SVM_FEATURES, 0).edx & CPUID_SVM_NP)) {
		zv_snprintf(why, len, "SVM without nested paging (CPUID 8000_000A EDX.NP = 0)");
		return false;
	}
	if (rdmsr(MSR_VM_CR) & VM_CR_SVMDIS) {
		zv_snprintf(why, len, "SVM disabled by firmware (VM_CR.SVMDIS = 1)");
		return false;
	}
	return true;
}

/* APM 15.11: MSRs 0-1FFF at byte 0, C000_0000-1FFF at 0x800, C001_0000-1FFF
 * at 0x1000; bit 2n intercepts reads, 2n+1 writes. */
static void msrpm_pass_through(uint8_t *pm, uint32_t msr)
{
	uint32_t base = msr >= 0xc0010000 ? 0x1000 : msr >= 0xc0000000 ? 0x800 : 0;
	uint32_t bit = (msr & 0x1fff) * 2;

	pm[base + bit / 8] &= (uint8_t)~(3u << (bit % 8));
}

/* MSRs whose guest values VMLOAD/VMSAVE and VMRUN keep in the VMCB. */
static const uint32_t pass_through_msrs[] = {
	MSR_FS_BASE, MSR_GS_BASE, MSR_KERNEL_GS_BASE,
	0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084, /* STAR LSTAR CSTAR SFMASK */
	0x174, 0x175, 0x176,                             /* SYSENTER_CS/ESP/EIP */
};

static int build_permission_maps(void)
{
	uint64_t io = page_alloc(2), msr = page_alloc(1); /* 16 KiB, 8 KiB */

	if (!io || !msr)
		return -1;
	zv_memset(phys_to_virt(io), 0xff, IOPM_PAGES * 4096);
	zv_memset(phys_to_virt(msr), 0xff, MSRPM_PAGES * 4096);
	for (size_t i = 0; i < sizeof(pass_through_msrs) / sizeof(pass_through_msrs[0]); i++)
		msrpm_pass_through(phys_to_virt(msr), pass_through_msrs[i]);
	iopm_pa = io;
	msrpm_pa = msr;
	return 0;
}

static int svm_cpu_enable(struct percpu *cpu, char *why, size_t len)
{
	static uint32_t maps_built; /* first CPU builds them; APs start one at a time */
	uint64_t hsave = page_alloc(0);

	if (!maps_built && build_permission_maps() == 0)
		maps_built = 1;
	if (!hsave || !maps_built) {
		zv_snprintf(why, len, "no memory for the SVM host save area");
		return -1;
	}
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
	wrmsr(MSR_VM_HSAVE_PA, hsave);
	cpu->virt_area = hsave;
	return 0;
}

const struct vcpu_backend svm_backend = {
	.name = "svm",
	.probe = svm_probe,
	.cpu_enable = svm_cpu_enable,
};
