/* Zones: an isolated guest with its own memory, nested page table, vCPUs and devices. */
#ifndef ZV_ZONE_H
#define ZV_ZONE_H

#include <stdbool.h>
#include <stdint.h>

#include "hv/arch/vcpu.h"
#include "hv/config.h"
#include "hv/err.h"
#include "hv/hook_list.h"
#include "hv/io_map.h"
#include "hv/npt.h"
#include "hv/service_list.h"
#include "hv/spinlock.h"
#include "hv/zone_api.h"

#define ZONE_MAX_VCPUS	4
#define ZONE_REASON_LEN 128

enum zone_state { ZONE_CREATED, ZONE_RUNNING, ZONE_STOPPED, ZONE_WIPED };

struct zone {
	char name[ZV_CONF_NAME_LEN];
	uint32_t id; /* 1, 2, ... in order of creation: the audit log's zone_id */
	enum zone_state state;
	uint64_t mem_bytes; /* RAM; the control zone's low 2 MiB chunk not counted */
	uint64_t ram_base;  /* GPA of the RAM block: 0, or the control zone's HPA */
	bool control;	    /* the control zone: CPU 0, identity-mapped, the channel */
	bool console_raw;   /* output bytes go straight to the console, unprefixed */
	struct npt npt;
	uint32_t vcpu_count;
	struct vcpu vcpus[ZONE_MAX_VCPUS];
	volatile uint32_t stop_requested;
	uint32_t stop_claimed; /* set by the first zone_stop, before the reason is written */
	int exit_status;       /* -1 until the guest reports one */
	char stop_reason[ZONE_REASON_LEN];
	bool faulted;			 /* stopped by zone_fault: the zone did something wrong */
	uint32_t ud_reports;		 /* #UD injections logged so far (rate limit) */
	bool console_input;		 /* takes the hypervisor console's input */
	struct irq_platform *platform;	 /* vLAPICs and vIOAPIC (zones/platform/irq.c) */
	struct io_map io;		 /* its devices' ports, MMIO and MSRs (hv/io_map.h) */
	struct hook_list on_destroy;	 /* what its devices undo in zone_destroy */
	struct service_list services;	 /* its devices' deferred work (zone_service_devices) */
	volatile uint32_t vcpus_running; /* vCPUs still in their run loop */
	uint64_t self_pages;		 /* pages of this struct */
	bool verify_wipe;		 /* read wiped memory back and report non-zero bytes */
	bool console_timestamps;	 /* "[name +S.UUUUUU] line": time since zone_start */
	uint64_t start_tsc;		 /* rdtsc() when zone_start ran */
	/* Takes the zone's console lines instead of the hypervisor console. */
	void (*console_sink)(void *ctx, const char *line);
	void *console_ctx;
	/* Called on the zone's CPU once every vCPU stopped, before the wipe. */
	void (*on_stopped)(void *ctx, struct zone *z);
	/* Called on the zone's CPU after it was stopped and wiped. */
	void (*on_ended)(void *ctx, int exit_status);
	void *on_ended_ctx;
};

/* What the core calls (zone_stop, zone_read, zone_vcpu_returned, the
 * accessors): hv/zone_api.h. */

/* Creates a zone of mem_bytes (a multiple of 2 MiB) from the pool with one
 * vCPU on each of cpus[0..n); the image is loaded by the caller.  NULL with
 * *err set on failure; nothing is left allocated then. */
struct zone *zone_create(const char *name, uint64_t mem_bytes, const uint32_t *cpus_, uint32_t n,
			 struct zv_err *err);
/* Creates the control zone: one vCPU on CPU 0; a private 2 MiB chunk at
 * GPA 0 (low memory and the control window, zones/control/proto.h) and a
 * naturally aligned block of mem_bytes (a power of two) mapped at its own
 * host address.  NULL with *err set on failure. */
struct zone *zone_create_control(const char *name, uint64_t mem_bytes, struct zv_err *err);
/* Copies len bytes into guest-physical memory; -1 (nothing copied) if any
 * byte is outside the zone's RAM: a hole or a passed device's BAR page. */
int zone_write(struct zone *z, uint64_t gpa, const void *src, uint64_t len);
/* Sets the first vCPU's entry state; the others wait for INIT/STARTUP
 * from it.  0, or -1 when out of memory. */
int zone_set_entry(struct zone *z, const struct vcpu_entry *e);
/* Zeroes every page the zone owned, frees its tables and itself.  Returns
 * the bytes of zone memory wiped. */
uint64_t zone_destroy(struct zone *z);
/* Prints one line of zone console output as "[name] line", or as
 * "[name +S.UUUUUU] line" with console_timestamps (ctx: the zone), or hands
 * it to console_sink.  The UART (zones/platform/legacy.c) keeps the zone
 * within its console budget. */
void zone_console_line(void *ctx, const char *line);
/* Prints where the zone's memory lies in host memory (lowest and highest chunk). */
void zone_print_memory(struct zone *z);
/* Hands the zone to the given CPU, which runs it from its idle loop; its
 * clock (start_tsc) starts now. */
void zone_start(struct zone *z);

#endif
