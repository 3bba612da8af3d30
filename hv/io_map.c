/* The device registry: a short sorted array per kind, searched by binary search. */
#include <stddef.h>

#include "hv/io_map.h"

static uint64_t last(const struct io_range *r)
{
	return r->base + (r->size - 1);
}

/* Index of the first range whose last address is >= addr (n when none). */
static unsigned first_ending_at_or_after(const struct io_map *m, enum io_kind k, uint64_t addr)
{
	unsigned lo = 0, hi = m->n[k];

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;

		if (last(&m->r[k][mid]) < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int io_map_add(struct io_map *m, enum io_kind k, const struct io_range *r)
{
	unsigned i;

	if (r->size == 0 || last(r) < r->base || m->n[k] == IO_MAP_MAX)
		return -1;
	i = first_ending_at_or_after(m, k, r->base);
	if (i < m->n[k] && m->r[k][i].base <= last(r))
		return -1; /* overlaps m->r[k][i] (Firecracker's Bus::insert refuses too) */
	for (unsigned j = m->n[k]; j > i; j--)
		m->r[k][j] = m->r[k][j - 1];
	m->r[k][i] = *r;
	m->n[k]++;
	return 0;
}

void io_map_remove(struct io_map *m, enum io_kind k, uint64_t base)
{
	unsigned i = first_ending_at_or_after(m, k, base);

	if (i == m->n[k] || m->r[k][i].base != base)
		return;
	for (m->n[k]--; i < m->n[k]; i++)
		m->r[k][i] = m->r[k][i + 1];
	m->r[k][i] = (struct io_range){0};
}

void io_map_set_fallback(struct io_map *m, enum io_kind k, const struct io_range *r)
{
	m->fallback[k] = *r;
}

static int holds(const struct io_range *r, uint64_t addr)
{
	return r->size && addr >= r->base && addr <= last(r);
}

const struct io_range *io_map_find(const struct io_map *m, enum io_kind k, uint64_t addr,
				   unsigned size)
{
	unsigned i = first_ending_at_or_after(m, k, addr);
	const struct io_range *r = &m->r[k][i];

	if (i < m->n[k] && holds(r, addr) && size && size - 1 <= last(r) - addr)
		return r;
	return holds(&m->fallback[k], addr) ? &m->fallback[k] : NULL;
}

enum io_result io_range_access(const struct io_range *r, struct vcpu *v, uint64_t addr,
			       unsigned size, int write, uint64_t *value)
{
	if (write)
		return r->write ? r->write(r->ctx, v, addr - r->base, size, *value) : IO_DONE;
	*value = ~0ull;
	return r->read ? r->read(r->ctx, v, addr - r->base, size, value) : IO_DONE;
}
