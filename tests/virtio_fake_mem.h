/* Fake guest memory for the virtqueue tests and fuzzer: MEM_SIZE bytes at
 * guest-physical MEM_BASE (the includer defines both), nothing else; every
 * access outside is refused as the zone's memory callbacks would. */
#ifndef ZV_TESTS_VIRTIO_FAKE_MEM_H
#define ZV_TESTS_VIRTIO_FAKE_MEM_H

#include <string.h>

#include "zones/virtio/queue.h"

static uint8_t mem[MEM_SIZE];

static int in_mem(uint64_t gpa, size_t len)
{
	return gpa >= MEM_BASE && len <= MEM_SIZE && gpa - MEM_BASE <= MEM_SIZE - len;
}

static int fake_read(void *ctx, uint64_t gpa, void *dst, size_t len)
{
	(void)ctx;
	if (!in_mem(gpa, len))
		return -1;
	memcpy(dst, mem + (gpa - MEM_BASE), len);
	return 0;
}

static int fake_write(void *ctx, uint64_t gpa, const void *src, size_t len)
{
	(void)ctx;
	if (!in_mem(gpa, len))
		return -1;
	memcpy(mem + (gpa - MEM_BASE), src, len);
	return 0;
}

static const struct vq_mem fake = {fake_read, fake_write, NULL};

/* Little-endian values and pointers into the fake memory, for the tests'
 * driver side; put drops what falls outside (a fuzzer's addresses). */
static inline void put(uint64_t gpa, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes && gpa - MEM_BASE + i < MEM_SIZE; i++)
		mem[gpa - MEM_BASE + i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t get(uint64_t gpa, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)mem[gpa - MEM_BASE + i] << (8 * i);
	return v;
}

static inline uint8_t *at(uint64_t gpa)
{
	return mem + (gpa - MEM_BASE);
}

#endif
