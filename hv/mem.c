/* Memory map summary and the locked page allocator built from it. */
#include "hv/mem.h"
#include "hv/console.h"
#include "hv/lib/string.h"
#include "hv/palloc.h"
#include "hv/percpu.h"
#include "hv/spinlock.h"

#define LOW_MEMORY_END (1 * MIB) /* real-mode area: trampoline, firmware leftovers */

static struct palloc pool;
static struct spinlock pool_lock;

static const char *const type_names[] = {
	[ZV_MEM_USABLE] = "usable",	[ZV_MEM_RESERVED] = "reserved",
	[ZV_MEM_ACPI_RECLAIM] = "acpi", [ZV_MEM_ACPI_NVS] = "acpi-nvs",
	[ZV_MEM_RUNTIME] = "runtime",	[ZV_MEM_MMIO] = "mmio",
	[ZV_MEM_HV] = "hypervisor",	[ZV_MEM_LOADER] = "loader",
};
#define TYPE_COUNT (sizeof(type_names) / sizeof(type_names[0]))

static void print_summary(const struct zv_bootinfo *bi)
{
	uint64_t pages[TYPE_COUNT] = {0};
	uint32_t ranges[TYPE_COUNT] = {0};

	for (uint32_t i = 0; i < bi->mem_count; i++) {
		pages[bi->mem[i].type] += bi->mem[i].pages;
		ranges[bi->mem[i].type]++;
	}
	kprintf("memory map: %u ranges\n", bi->mem_count);
	for (uint32_t t = 1; t < TYPE_COUNT; t++)
		if (ranges[t])
			kprintf("  %-10s %8lu KiB in %u ranges\n", type_names[t], pages[t] * 4,
				ranges[t]);
	kprintf("  hypervisor image at 0x%lx, %lu KiB\n", bi->hv_base, bi->hv_size / 1024);
}

static void span_of_usable(const struct zv_bootinfo *bi, uint64_t *lo, uint64_t *hi)
{
	*lo = ~0ull;
	*hi = 0;
	for (uint32_t i = 0; i < bi->mem_count; i++) {
		const struct zv_mem_range *r = &bi->mem[i];
		uint64_t end = r->base + r->pages * ZV_PAGE_SIZE;

		if (r->type != ZV_MEM_USABLE || end <= LOW_MEMORY_END)
			continue;
		if (r->base < *lo)
			*lo = r->base < LOW_MEMORY_END ? LOW_MEMORY_END : r->base;
		if (end > *hi)
			*hi = end;
	}
}

/* The bitmap lives at the start of the first usable range big enough. */
static uint64_t place_bitmap(const struct zv_bootinfo *bi, size_t bytes)
{
	uint64_t need = (bytes + ZV_PAGE_SIZE - 1) / ZV_PAGE_SIZE;

	for (uint32_t i = 0; i < bi->mem_count; i++) {
		const struct zv_mem_range *r = &bi->mem[i];

		if (r->type == ZV_MEM_USABLE && r->base >= LOW_MEMORY_END && r->pages >= need)
			return r->base;
	}
	panic("no usable range can hold the %lu-byte page bitmap", (uint64_t)bytes);
}

static void add_usable(const struct zv_bootinfo *bi)
{
	for (uint32_t i = 0; i < bi->mem_count; i++) {
		const struct zv_mem_range *r = &bi->mem[i];
		uint64_t base = r->base, pages = r->pages;

		if (r->type != ZV_MEM_USABLE)
			continue;
		if (base < LOW_MEMORY_END) {
			uint64_t skip = (LOW_MEMORY_END - base) / ZV_PAGE_SIZE;

			if (skip >= pages)
				continue;
			base = LOW_MEMORY_END;
			pages -= skip;
		}
		if (palloc_add_free(&pool, base, pages) != 0)
			panic("memory range 0x%lx+%lu pages rejected by the allocator", base,
			      pages);
	}
}

void mem_init(const struct zv_bootinfo *bi)
{
	uint64_t lo, hi, bitmap;
	size_t bytes;

	print_summary(bi);
	span_of_usable(bi, &lo, &hi);
	if (hi <= lo)
		panic("no usable memory above 1 MiB");
	bytes = palloc_bitmap_bytes(lo, hi);
	bitmap = place_bitmap(bi, bytes);
	zv_memset(phys_to_virt(bitmap), 0, bytes);
	if (palloc_init(&pool, lo, hi, phys_to_virt(bitmap)) != 0)
		panic("page allocator refused span 0x%lx-0x%lx", lo, hi);
	add_usable(bi);
	palloc_reserve(&pool, bitmap, (bytes + ZV_PAGE_SIZE - 1) / ZV_PAGE_SIZE);
	kprintf("  page allocator: %lu MiB free, bitmap %lu KiB at 0x%lx\n", mem_free_bytes() / MIB,
		(uint64_t)bytes / 1024, bitmap);
}

uint64_t page_alloc(unsigned order)
{
	uint64_t pa;

	spin_lock(&pool_lock);
	pa = palloc_alloc(&pool, order);
	spin_unlock(&pool_lock);
	if (pa)
		zv_memset(phys_to_virt(pa), 0, PALLOC_PAGE << order);
	return pa;
}

/* A measurement of what one CPU allocates (mem_measure_begin): the CPU, the
 * free bytes at its start, and what other CPUs freed meanwhile (a zone
 * wiped on its own CPU), which the free bytes alone would count against it. */
static struct percpu *measuring;
static uint64_t measure_free, foreign_freed;

void page_free(uint64_t pa, unsigned order)
{
	spin_lock(&pool_lock);
	if (palloc_free(&pool, pa, order) != 0)
		kprintf("zonevisor: bug: bad free of 0x%lx order %u\n", pa, order);
	else if (measuring && this_cpu() != measuring) /* any CPU is set up by then */
		foreign_freed += PALLOC_PAGE << order;
	spin_unlock(&pool_lock);
}

void mem_measure_begin(void)
{
	spin_lock(&pool_lock);
	measuring = this_cpu();
	measure_free = mem_free_bytes();
	foreign_freed = 0;
	spin_unlock(&pool_lock);
}

uint64_t mem_measure_end(void)
{
	uint64_t used;

	spin_lock(&pool_lock);
	used = measure_free + foreign_freed - mem_free_bytes();
	measuring = NULL;
	spin_unlock(&pool_lock);
	return used;
}

uint64_t mem_free_bytes(void)
{
	return pool.free_pages * PALLOC_PAGE;
}

uint64_t mem_total_bytes(void)
{
	return pool.total_pages * PALLOC_PAGE;
}
