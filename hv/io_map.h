/* A zone's device registry: which device answers a port, MMIO or MSR range. */
#ifndef ZV_IO_MAP_H
#define ZV_IO_MAP_H

#include <stdint.h>

struct vcpu;

enum io_kind { IO_PORT, IO_MMIO, IO_MSR, IO_KINDS };

/* What a device's handler tells the exit that called it. */
enum io_result {
	IO_DONE,  /* the access is complete; the guest goes on */
	IO_STOP,  /* the device stopped the zone (zone_stop) */
	IO_FAULT, /* the access faults: #GP (MSRs) */
};

/*
 * One device range: [base, base + size) of ports, guest-physical bytes or
 * MSR numbers.  Handlers get the offset from base and the accessing vCPU; a
 * NULL handler is absent hardware (reads all-ones, writes dropped).
 */
struct io_range {
	const char *name;
	uint64_t base, size;
	enum io_result (*read)(void *ctx, struct vcpu *v, uint64_t offset, unsigned size,
			       uint64_t *value);
	enum io_result (*write)(void *ctx, struct vcpu *v, uint64_t offset, unsigned size,
				uint64_t value);
	void *ctx;
};

#define IO_MAP_MAX 12 /* ranges per kind: a zone has a handful of devices */

/* Sorted by base, no two ranges overlapping.  Changed only while none of
 * the zone's vCPUs runs (creation, attach, destroy): lookups take no lock. */
struct io_map {
	struct io_range r[IO_KINDS][IO_MAP_MAX];
	unsigned n[IO_KINDS];
	struct io_range fallback[IO_KINDS]; /* size 0: none */
};

/* Adds *r (copied): 0, or -1 when it is empty, wraps, overlaps a range
 * already there or the kind is full. */
int io_map_add(struct io_map *m, enum io_kind k, const struct io_range *r);
/* Removes the range that starts at base, if any. */
void io_map_remove(struct io_map *m, enum io_kind k, uint64_t base);
/* What answers when no range does (the control zone's unassigned MMIO);
 * a range of size 0 removes it. */
void io_map_set_fallback(struct io_map *m, enum io_kind k, const struct io_range *r);
/* The range that holds all of [addr, addr + size), else the fallback when
 * it holds addr, else NULL. */
const struct io_range *io_map_find(const struct io_map *m, enum io_kind k, uint64_t addr,
				   unsigned size);

/* Calls r's handler for an access at addr (a read when !write), or does
 * what absent hardware does: a read gives all-ones, a write is dropped. */
enum io_result io_range_access(const struct io_range *r, struct vcpu *v, uint64_t addr,
			       unsigned size, int write, uint64_t *value);

#endif
