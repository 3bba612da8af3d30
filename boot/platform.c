/* What the loader learns from the firmware: ACPI RSDP, CPUs, TSC rate, command line. */
#include "boot/loader.h"
#include "hv/lib/civil.h"
#include "hv/lib/string.h"

/* UEFI PI spec vol. 2, 13.4: EFI_MP_SERVICES_PROTOCOL (not in gnu-efi). */
#define MP_SERVICES_GUID                                               \
	{                                                              \
		0x3fdda605, 0xa76e, 0x4f46,                            \
		{                                                      \
			0xad, 0x29, 0x12, 0xf4, 0x53, 0x1b, 0x3d, 0x08 \
		}                                                      \
	}
#define PROCESSOR_AS_BSP_BIT  0x1
#define PROCESSOR_ENABLED_BIT 0x2

struct mp_processor_info {
	UINT64 processor_id; /* the APIC ID */
	UINT32 status_flag;
	UINT32 package, core, thread;
	UINT32 extended[6]; /* room for the v2 fields we do not request */
};

struct mp_services {
	EFI_STATUS(EFIAPI *get_number_of_processors)
	(struct mp_services *, UINTN *total, UINTN *enabled);
	EFI_STATUS(EFIAPI *get_processor_info)
	(struct mp_services *, UINTN n, struct mp_processor_info *);
	void *startup_all_aps, *startup_this_ap, *switch_bsp, *enable_disable_ap, *who_am_i;
};

uint64_t platform_alloc_pages(uint64_t pages, uint64_t max_addr)
{
	EFI_PHYSICAL_ADDRESS addr = max_addr;
	EFI_STATUS s;

	s = uefi_call_wrapper(BS->AllocatePages, 4,
			      max_addr == ~0ULL ? AllocateAnyPages : AllocateMaxAddress,
			      ZV_EFI_MEMORY_HV, pages, &addr);
	if (EFI_ERROR(s))
		loader_fatal("cannot allocate %lu pages below 0x%lx: %s", (unsigned long)pages,
			     (unsigned long)max_addr, efi_status_str(s));
	return addr;
}

static int guid_eq(const EFI_GUID *a, const EFI_GUID *b)
{
	return zv_memcmp(a, b, sizeof(*a)) == 0;
}

uint64_t platform_find_rsdp(void)
{
	EFI_GUID acpi20 = ACPI_20_TABLE_GUID, acpi10 = ACPI_TABLE_GUID;
	uint64_t v1 = 0;

	for (UINTN i = 0; i < ST->NumberOfTableEntries; i++) {
		EFI_CONFIGURATION_TABLE *t = &ST->ConfigurationTable[i];

		if (guid_eq(&t->VendorGuid, &acpi20))
			return (uint64_t)t->VendorTable;
		if (guid_eq(&t->VendorGuid, &acpi10))
			v1 = (uint64_t)t->VendorTable;
	}
	return v1;
}

static uint32_t current_apic_id(void)
{
	uint32_t a, b, c, d;

	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
	return b >> 24;
}

static void single_cpu(struct zv_bootinfo *bi)
{
	loader_print("zonevisor loader: no MP Services protocol; using the boot CPU only\n");
	bi->cpu_count = 1;
	bi->cpus[0].apic_id = current_apic_id();
	bi->cpus[0].flags = ZV_CPU_BSP;
}

void platform_collect_cpus(struct zv_bootinfo *bi)
{
	EFI_GUID guid = MP_SERVICES_GUID;
	struct mp_services *mp;
	UINTN total, enabled;

	if (EFI_ERROR(uefi_call_wrapper(BS->LocateProtocol, 3, &guid, NULL, (void **)&mp)) ||
	    EFI_ERROR(uefi_call_wrapper(mp->get_number_of_processors, 3, mp, &total, &enabled)))
		return single_cpu(bi);
	bi->cpu_count = 0;
	for (UINTN i = 0; i < total; i++) {
		struct mp_processor_info info;

		zv_memset(&info, 0, sizeof(info));
		if (EFI_ERROR(uefi_call_wrapper(mp->get_processor_info, 3, mp, i, &info)) ||
		    !(info.status_flag & PROCESSOR_ENABLED_BIT))
			continue;
		if (bi->cpu_count == ZV_MAX_CPUS) {
			loader_print("zonevisor loader: more than %d CPUs; using the first %d\n",
				     ZV_MAX_CPUS, ZV_MAX_CPUS);
			break;
		}
		bi->cpus[bi->cpu_count].apic_id = (uint32_t)info.processor_id;
		bi->cpus[bi->cpu_count].flags =
			(info.status_flag & PROCESSOR_AS_BSP_BIT) ? ZV_CPU_BSP : 0;
		bi->cpu_count++;
	}
	if (bi->cpu_count == 0)
		single_cpu(bi);
}

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/* The hypervisor needs the TSC rate for delays and for zones; 10 ms against
 * the firmware's Stall() gives it to about 0.1 %. */
uint64_t platform_measure_tsc_khz(void)
{
	uint64_t t0 = rdtsc();

	uefi_call_wrapper(BS->Stall, 1, 10000);
	return (rdtsc() - t0) / 10;
}

/* UEFI 2.9, 8.3.1: GetTime() is local time with Localtime = UTC - TimeZone
 * (minutes), or unspecified (taken as UTC, as QEMU and most firmware keep
 * the RTC).  0 if the firmware has no usable clock. */
uint64_t platform_unix_time(uint64_t *tsc)
{
	EFI_TIME t;
	struct civil_time c;
	int64_t s;

	*tsc = rdtsc();
	if (EFI_ERROR(uefi_call_wrapper(RT->GetTime, 2, &t, NULL)) || t.Year < 1970 ||
	    t.Year > 9999 || t.Month < 1 || t.Month > 12 || t.Day < 1 || t.Day > 31 ||
	    t.Hour > 23 || t.Minute > 59 || t.Second > 59)
		return 0;
	c = (struct civil_time){t.Year, t.Month, t.Day, t.Hour, t.Minute, t.Second, 0};
	s = (int64_t)civil_to_unix(&c);
	if (t.TimeZone != EFI_UNSPECIFIED_TIMEZONE && t.TimeZone >= -1440 && t.TimeZone <= 1440)
		s += (int64_t)t.TimeZone * 60;
	return s > 0 ? (uint64_t)s : 0;
}

/* LoadOptions is UCS-2; keep the ASCII part. */
void platform_cmdline(EFI_HANDLE image, char *out, size_t len)
{
	EFI_LOADED_IMAGE *li;
	size_t n = 0;

	out[0] = 0;
	if (EFI_ERROR(uefi_call_wrapper(BS->HandleProtocol, 3, image, &LoadedImageProtocol,
					(void **)&li)) ||
	    !li->LoadOptions)
		return;
	const CHAR16 *w = li->LoadOptions;
	for (UINT32 i = 0; i < li->LoadOptionsSize / 2 && w[i] && n + 1 < len; i++)
		out[n++] = (w[i] >= 0x20 && w[i] < 0x7f) ? (char)w[i] : '?';
	out[n] = 0;
}
