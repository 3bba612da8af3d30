/* The one way a zone comes up, from a spec: boot-time zones, the control zone, zonectl run. */
#ifndef ZV_ZONE_SPAWN_H
#define ZV_ZONE_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hv/err.h"
#include "zones/storage/blk.h"

struct zone;

enum zone_kind {
	ZONE_PLAIN,   /* a boot-time zone: its CPUs, its memory, no network */
	ZONE_AGENT,   /* a zonectl zone: a NIC on the agent switch with its rules */
	ZONE_CONTROL, /* CPU 0, identity-mapped: the channel, PCI, the uplink */
};

struct zone_spec {
	const char *name;
	enum zone_kind kind;
	uint64_t mem_bytes;
	const uint32_t *cpus; /* one vCPU on each; the control zone takes CPU 0 */
	uint32_t vcpu_count;
	const char *allow; /* ZONE_AGENT: its rules (zones/net/nic.h) */
	/* ZONE_AGENT and ZONE_PLAIN: its disks, vda first (zones/storage/blk.h).
	 * Each one's reference passes to the zone once it is attached; zone_spawn
	 * releases those it could not attach (all of a control zone's), so the
	 * caller never does after the call. */
	struct disk disks[ZONE_BLK_MAX];
	uint32_t disk_count;
	const void *image; /* NULL when its file was not loaded */
	size_t image_size;
	const void *initrd; /* NULL for none */
	size_t initrd_size;
	const char *args;
	bool verify_wipe, console_input, console_timestamps; /* as in struct zone */
	/* The zone's callbacks (zones/zone.h), each given ctx. */
	void (*console_sink)(void *ctx, const char *line);
	void (*on_stopped)(void *ctx, struct zone *z);
	void (*on_ended)(void *ctx, int exit_status);
	/* On this CPU once every check passed, just before the zone runs: the
	 * caller's console lines and bookkeeping.  May be NULL. */
	void (*on_ready)(void *ctx, struct zone *z);
	void *ctx;
};

/* Creates the zone, attaches its kind's devices, loads its image, sets its
 * entry, checks isolation and runs it: on its CPUs, or for the control zone
 * here, returning when it ended.  0, or -1 with *err set and nothing left
 * allocated: ZV_ERULE for a refused rule, ZV_EIMAGE / ZV_EISOLATION once the
 * zone exists but cannot run, else what creation or a device said. */
int zone_spawn(const struct zone_spec *s, struct zv_err *err);

#endif
