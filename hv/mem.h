/* The hypervisor's physical memory: identity page tables and the page allocator. */
#ifndef ZV_MEM_H
#define ZV_MEM_H

#include <stdint.h>

#include "hv/bootinfo.h"

#define MIB ((uint64_t)1024 * 1024)

/* Builds identity page tables for all of physical memory (2 MiB pages) from
 * the image's own bss and switches to them; UEFI's tables are dead after. */
void paging_init(const struct zv_bootinfo *bi);

/* Prints the memory map summary and builds the page allocator from the
 * usable ranges (memory below 1 MiB is never handed out). */
void mem_init(const struct zv_bootinfo *bi);

/* Zeroed 2^order pages, or 0 when memory is exhausted.  Any CPU. */
uint64_t page_alloc(unsigned order);
void page_free(uint64_t pa, unsigned order);
/* page_free() that accepts 0 ("nothing allocated"), for error paths. */
static inline void page_free_if(uint64_t pa, unsigned order)
{
	if (pa)
		page_free(pa, order);
}
uint64_t mem_free_bytes(void);
uint64_t mem_total_bytes(void);
/*
 * The pool bytes the calling CPU's work takes between begin and end (a
 * zone's spawn: its RAM and overhead), counted as the fall in free bytes
 * plus what other CPUs freed meanwhile, so another zone's wipe finishing
 * during the spawn does not make it look cheaper (or negative).  One
 * measurement at a time (the control channel's lock serialises spawns).
 */
void mem_measure_begin(void);
uint64_t mem_measure_end(void);

static inline void *phys_to_virt(uint64_t pa)
{
	return (void *)pa; /* identity map */
}

#endif
