/* ExitBootServices and conversion of the final UEFI memory map into boot-info ranges. */
#include "boot/loader.h"
#include "hv/lib/string.h"

/* UEFI spec 2.10, 7.2.3, EFI_MEMORY_TYPE. */
static uint32_t zv_type_of(uint32_t efi)
{
	switch (efi) {
	case EfiConventionalMemory:
	case EfiBootServicesCode:
	case EfiBootServicesData: return ZV_MEM_USABLE;
	case EfiLoaderCode:
	case EfiLoaderData: return ZV_MEM_LOADER;
	case EfiACPIReclaimMemory: return ZV_MEM_ACPI_RECLAIM;
	case EfiACPIMemoryNVS: return ZV_MEM_ACPI_NVS;
	case EfiRuntimeServicesCode:
	case EfiRuntimeServicesData: return ZV_MEM_RUNTIME;
	case EfiMemoryMappedIO:
	case EfiMemoryMappedIOPortSpace: return ZV_MEM_MMIO;
	default: return efi == (uint32_t)ZV_EFI_MEMORY_HV ? ZV_MEM_HV : ZV_MEM_RESERVED;
	}
}

static void insert_sorted(struct zv_bootinfo *bi, const struct zv_mem_range *r)
{
	uint32_t i = bi->mem_count;

	while (i > 0 && bi->mem[i - 1].base > r->base) {
		bi->mem[i] = bi->mem[i - 1];
		i--;
	}
	bi->mem[i] = *r;
	bi->mem_count++;
}

/* Merges neighbours of the same type; returns nothing, shrinks mem_count. */
static void merge_adjacent(struct zv_bootinfo *bi)
{
	uint32_t out = 0;

	for (uint32_t i = 0; i < bi->mem_count; i++) {
		struct zv_mem_range *last = out ? &bi->mem[out - 1] : NULL;

		/* efi_type keeps the first range's type, for the log only. */
		if (last && last->type == bi->mem[i].type &&
		    last->base + last->pages * ZV_PAGE_SIZE == bi->mem[i].base)
			last->pages += bi->mem[i].pages;
		else
			bi->mem[out++] = bi->mem[i];
	}
	bi->mem_count = out;
}

static void convert(struct zv_bootinfo *bi, uint8_t *map, UINTN size, UINTN desc_size)
{
	bi->mem_count = 0;
	for (UINTN off = 0; off + desc_size <= size; off += desc_size) {
		EFI_MEMORY_DESCRIPTOR *d = (void *)(map + off);
		struct zv_mem_range r = {
			.base = d->PhysicalStart,
			.pages = d->NumberOfPages,
			.type = zv_type_of(d->Type),
			.efi_type = d->Type,
		};

		if (r.pages == 0)
			continue;
		if (bi->mem_count == ZV_MAX_MEM_RANGES)
			merge_adjacent(bi);
		if (bi->mem_count == ZV_MAX_MEM_RANGES)
			break; /* the validator will see a short map; cannot print now */
		insert_sorted(bi, &r);
	}
	merge_adjacent(bi);
}

void memmap_exit_boot_services(EFI_HANDLE image, struct zv_bootinfo *bi)
{
	UINTN size = 0, key, desc_size;
	UINT32 desc_version;
	uint8_t *map = NULL;
	EFI_STATUS s;

	uefi_call_wrapper(BS->GetMemoryMap, 5, &size, NULL, &key, &desc_size, &desc_version);
	/* Room for the entries the allocation itself may add. */
	size += 16 * sizeof(EFI_MEMORY_DESCRIPTOR);
	UINTN cap = size;
	map = (uint8_t *)platform_alloc_pages(cap / 4096 + 1, ~0ULL);
	for (int tries = 0; tries < 4; tries++) {
		size = cap;
		s = uefi_call_wrapper(BS->GetMemoryMap, 5, &size, (EFI_MEMORY_DESCRIPTOR *)map,
				      &key, &desc_size, &desc_version);
		if (EFI_ERROR(s))
			loader_fatal("GetMemoryMap failed: %s", efi_status_str(s));
		s = uefi_call_wrapper(BS->ExitBootServices, 2, image, key);
		if (!EFI_ERROR(s)) {
			convert(bi, map, size, desc_size);
			return;
		}
	}
	loader_fatal("ExitBootServices failed: %s", efi_status_str(s));
}
