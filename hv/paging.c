/* Identity page tables of the hypervisor: all physical memory, 2 MiB pages, from bss. */
#include "hv/console.h"
#include "hv/cpu.h"
#include "hv/mem.h"
#include "hv/x86_bits.h"

#define MAX_MAPPED_GIB 64
#define GIB	       (1024 * MIB)

static uint64_t pml4[512] __attribute__((aligned(4096)));
static uint64_t pdpt[512] __attribute__((aligned(4096)));
static uint64_t pd[MAX_MAPPED_GIB][512] __attribute__((aligned(4096)));

static uint64_t top_of_memory(const struct zv_bootinfo *bi)
{
	uint64_t top = 4 * GIB; /* always cover the 32-bit MMIO hole (APIC, IOAPIC) */

	for (uint32_t i = 0; i < bi->mem_count; i++) {
		uint64_t end = bi->mem[i].base + bi->mem[i].pages * ZV_PAGE_SIZE;

		if (end > top)
			top = end;
	}
	return top;
}

void paging_init(const struct zv_bootinfo *bi)
{
	uint64_t gib = (top_of_memory(bi) + GIB - 1) / GIB;

	if (gib > MAX_MAPPED_GIB) {
		kprintf("zonevisor: warning: only the first %d GiB of %lu are mapped\n",
			MAX_MAPPED_GIB, gib);
		gib = MAX_MAPPED_GIB;
	}
	for (uint64_t g = 0; g < gib; g++) {
		for (uint64_t i = 0; i < 512; i++)
			pd[g][i] = (g * GIB + i * 2 * MIB) | PTE_P | PTE_RW | PTE_PS;
		pdpt[g] = (uint64_t)pd[g] | PTE_P | PTE_RW;
	}
	pml4[0] = (uint64_t)pdpt | PTE_P | PTE_RW;
	/* Caching of the MMIO holes comes from the firmware's MTRRs. */
	write_cr3((uint64_t)pml4);
}
