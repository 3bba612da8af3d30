/* Checks the boot-info block the loader hands over (hv/bootinfo.h) and looks up its files. */
#include "hv/bootinfo.h"
#include "hv/lib/string.h"

/* Intel SDM vol.3A 4.1.4: MAXPHYADDR is at most 52. */
#define BI_PHYS_LIMIT (1ULL << 52)
/* Intel SDM vol.3A 8.4.4 (MP initialization): the STARTUP IPI vector is a
 * page number 00h-FFh, so AP start-up code lives below 1 MiB. */
#define BI_LOW_MEM (1ULL << 20)

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static uint64_t range_end(const struct zv_mem_range *r)
{
	return r->base + r->pages * ZV_PAGE_SIZE;
}

static const char *check_header(const struct zv_bootinfo *bi)
{
	if (bi->magic != ZV_BOOTINFO_MAGIC)
		return "bad boot-info magic";
	if (bi->version != ZV_BOOTINFO_VERSION)
		return "unsupported boot-info version";
	if (bi->size != sizeof(*bi))
		return "boot-info size does not match this hypervisor";
	return NULL;
}

static const char *check_counts(const struct zv_bootinfo *bi)
{
	if (bi->mem_count == 0)
		return "no memory ranges";
	if (bi->mem_count > ZV_MAX_MEM_RANGES)
		return "too many memory ranges";
	if (bi->cpu_count == 0)
		return "no CPUs";
	if (bi->cpu_count > ZV_MAX_CPUS)
		return "too many CPUs";
	if (bi->file_count > ZV_MAX_FILES)
		return "too many files";
	return NULL;
}

static const char *check_range(const struct zv_mem_range *r)
{
	if (r->base % ZV_PAGE_SIZE)
		return "memory range not page aligned";
	if (r->pages == 0)
		return "empty memory range";
	if (r->base >= BI_PHYS_LIMIT || r->pages > (BI_PHYS_LIMIT - r->base) / ZV_PAGE_SIZE)
		return "memory range beyond the physical address limit";
	if (r->type < ZV_MEM_USABLE || r->type > ZV_MEM_LOADER)
		return "unknown memory range type";
	return NULL;
}

static const char *check_memory(const struct zv_bootinfo *bi)
{
	for (uint32_t i = 0; i < bi->mem_count; i++) {
		const char *err = check_range(&bi->mem[i]);

		if (err)
			return err;
		if (i == 0)
			continue;
		if (bi->mem[i].base < bi->mem[i - 1].base)
			return "memory ranges not sorted";
		if (bi->mem[i].base < range_end(&bi->mem[i - 1]))
			return "memory ranges overlap";
	}
	return NULL;
}

static const char *check_cpus(const struct zv_bootinfo *bi)
{
	uint32_t bsps = 0;

	for (uint32_t i = 0; i < bi->cpu_count; i++) {
		if (bi->cpus[i].flags & ZV_CPU_BSP)
			bsps++;
		for (uint32_t j = 0; j < i; j++) {
			if (bi->cpus[j].apic_id == bi->cpus[i].apic_id)
				return "duplicate APIC ID";
		}
	}
	if (bsps == 0)
		return "no CPU is marked as the BSP";
	if (bsps > 1)
		return "more than one CPU is marked as the BSP";
	return NULL;
}

/*
 * True when every byte of [addr, addr + size) lies in ZV_MEM_HV ranges
 * (adjacent ones count as one); a zero size needs addr itself inside.
 * Ranges are already known sorted and non-overlapping.
 */
static bool in_hv_memory(const struct zv_bootinfo *bi, uint64_t addr, uint64_t size)
{
	uint64_t cur = addr, end;

	if (size > UINT64_MAX - addr)
		return false;
	end = addr + (size ? size : 1);
	for (uint32_t i = 0; i < bi->mem_count && cur < end; i++) {
		const struct zv_mem_range *r = &bi->mem[i];

		if (r->type == ZV_MEM_HV && r->base <= cur && cur < range_end(r))
			cur = range_end(r);
	}
	return cur >= end;
}

static const char *check_file(const struct zv_bootinfo *bi, uint32_t i)
{
	const struct zv_file *f = &bi->files[i];
	size_t n = zv_strnlen(f->name, ZV_FILE_NAME_LEN);

	if (n == ZV_FILE_NAME_LEN)
		return "file name not NUL terminated";
	if (n == 0)
		return "empty file name";
	if (f->size > UINT64_MAX - f->addr)
		return "file address overflows";
	if (!in_hv_memory(bi, f->addr, f->size))
		return "file outside hypervisor memory";
	for (uint32_t j = 0; j < i; j++) {
		if (zv_strcmp(bi->files[j].name, f->name) == 0)
			return "duplicate file name";
	}
	return NULL;
}

static const char *check_files(const struct zv_bootinfo *bi)
{
	for (uint32_t i = 0; i < bi->file_count; i++) {
		const char *err = check_file(bi, i);

		if (err)
			return err;
	}
	if (bi->config_file >= bi->file_count)
		return "config file index out of range";
	return NULL;
}

static const char *check_misc(const struct zv_bootinfo *bi)
{
	if (zv_strnlen(bi->cmdline, ZV_CMDLINE_LEN) == ZV_CMDLINE_LEN)
		return "command line not NUL terminated";
	if (bi->hv_base % ZV_PAGE_SIZE)
		return "hypervisor base not page aligned";
	if (bi->hv_size == 0 || !in_hv_memory(bi, bi->hv_base, bi->hv_size))
		return "hypervisor image outside hypervisor memory";
	if (bi->trampoline == 0 || bi->trampoline % ZV_PAGE_SIZE ||
	    bi->trampoline > BI_LOW_MEM - ZV_PAGE_SIZE)
		return "trampoline must be a nonzero page below 1 MiB";
	if (bi->tsc_khz == 0)
		return "TSC frequency unknown";
	return NULL;
}

const char *zv_bootinfo_validate(const struct zv_bootinfo *bi)
{
	static const char *(*const checks[])(const struct zv_bootinfo *) = {
		check_header, check_counts, check_memory, check_cpus, check_files, check_misc,
	};

	if (!bi)
		return "no boot info";
	for (size_t i = 0; i < ARRAY_LEN(checks); i++) {
		const char *err = checks[i](bi);

		if (err)
			return err;
	}
	return NULL;
}

const struct zv_file *zv_bootinfo_file(const struct zv_bootinfo *bi, const char *name)
{
	uint32_t n;

	if (!bi || !name || zv_strnlen(name, ZV_FILE_NAME_LEN) == ZV_FILE_NAME_LEN)
		return NULL;
	n = bi->file_count < ZV_MAX_FILES ? bi->file_count : ZV_MAX_FILES;
	for (uint32_t i = 0; i < n; i++) {
		if (zv_strncmp(bi->files[i].name, name, ZV_FILE_NAME_LEN) == 0)
			return &bi->files[i];
	}
	return NULL;
}
