/* Chooses the virtualization backend from the CPU vendor (CPUID leaf 0). */
#include "hv/arch/vcpu.h"
#include "hv/cpu.h"
#include "hv/lib/fmt.h"
#include "hv/lib/string.h"

static void vendor_string(char out[13])
{
	struct cpuid_regs r = cpuid(0, 0);

	zv_memcpy(out, &r.ebx, 4);
	zv_memcpy(out + 4, &r.edx, 4);
	zv_memcpy(out + 8, &r.ecx, 4);
	out[12] = 0;
}

const struct vcpu_backend *vcpu_backend_select(char *why, size_t len)
{
	char vendor[13];

	vendor_string(vendor);
	if (!zv_strcmp(vendor, "AuthenticAMD") || !zv_strcmp(vendor, "HygonGenuine"))
		return &svm_backend;
	if (!zv_strcmp(vendor, "GenuineIntel"))
		return &vmx_backend;
	zv_snprintf(why, len, "unknown CPU vendor '%s'", vendor);
	return NULL;
}
