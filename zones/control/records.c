/* The control channel's zone records: one per zone from `zonectl run` until `zonectl rm`, filled by
 * the zone's callbacks (docs/control.md). */
#include "zones/control/internal.h"
#include <stdarg.h>

#include "hv/console.h"
#include "hv/lib/fmt.h"
#include "hv/lib/string.h"
#include "hv/mem.h"
#include "hv/palloc.h"
#include "hv/percpu.h"
#include "hv/spinlock.h"
#include "hv/time.h"
#include "zones/control/check.h"
#include "zones/net/deny_log.h"
#include "zones/net/nic.h"
#include "zones/spawn.h"
#include "zones/storage/images.h"
#include "zones/zone.h"

struct control_state ctl;

void control_init(const struct zv_bootinfo *bi, const struct zv_config *conf)
{
	ctl.verify_wipe = conf->verify_wipe;
	ctl.default_kernel =
		conf->agent_kernel[0] ? zv_bootinfo_file(bi, conf->agent_kernel) : NULL;
	ctl.default_initrd =
		conf->agent_initrd[0] ? zv_bootinfo_file(bi, conf->agent_initrd) : NULL;
	zv_strlcpy(ctl.default_image, conf->agent_image, sizeof(ctl.default_image));
	ctl_storage_init();
}

/* ---- records ------------------------------------------------------------ */

struct record *ctl_find_record(const char *name)
{
	for (unsigned i = 0; i < ZCTL_MAX_ZONES; i++)
		if (ctl.records[i].used && !zv_strcmp(ctl.records[i].name, name))
			return &ctl.records[i];
	return NULL;
}

struct record *ctl_free_record(void)
{
	for (unsigned i = 0; i < ZCTL_MAX_ZONES; i++)
		if (!ctl.records[i].used)
			return &ctl.records[i];
	return NULL;
}

uint64_t ctl_zone_exits(const struct zone *z)
{
	uint64_t n = 0;

	for (uint32_t i = 0; i < z->vcpu_count; i++)
		for (unsigned r = 0; r < VEXIT_COUNT; r++)
			n += z->vcpus[i].exits[r];
	return n;
}

/* The agent /init's first line ("init: uptime S"): the figure `make bench`
 * reports as zonectl run to /init (docs/benchmarks.md). */
static void note_init(struct record *r, const char *line)
{
	uint64_t us;

	if (r->init_seen || zv_strncmp(line, "init: ", 6) != 0)
		return;
	r->init_seen = true;
	us = ctl_tsc_to_us(rdtsc() - r->request_tsc);
	kprintf("zone %s: /init %lu.%06lu s after zonectl run\n", r->name, us / 1000000,
		us % 1000000);
}

static void log_append(struct record *r, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		r->log[(r->log_total + i) % LOG_BYTES] = s[i];
	r->log_total += n;
}

/* Wipes the record, freeing what it holds except its workspace, which the
 * caller wipes after dropping ctl.lock: the slot is free again. */
struct store *ctl_forget(struct record *r)
{
	struct store *ws = r->ws.store;

	ctl_audit_removed(r);
	zone_nic_free_denials(r->denials);
	zv_memset(r, 0, sizeof(*r));
	return ws;
}

void ctl_defer_wipe(struct store *s)
{
	unsigned i = 0;

	while (i < CTL_WIPE_MAX && ctl.wipe[i])
		i++;
	if (i < CTL_WIPE_MAX)
		ctl.wipe[i] = s;
	else
		store_destroy(s); /* never: a request detaches 2 at most */
}

void ctl_wipe_deferred(void)
{
	struct store *wipe[CTL_WIPE_MAX];

	spin_lock(&ctl.lock);
	zv_memcpy(wipe, ctl.wipe, sizeof(wipe));
	zv_memset(ctl.wipe, 0, sizeof(ctl.wipe));
	spin_unlock(&ctl.lock);
	for (unsigned i = 0; i < CTL_WIPE_MAX; i++)
		store_destroy(wipe[i]);
	images_reap();
}

/* Zone CPU, under the zone's uart_lock: one console line. */
void ctl_on_console_line(void *ctx, const char *line)
{
	struct record *r = ctx;

	spin_lock(&ctl.lock);
	note_init(r, line);
	ctl_audit_console(r, line);
	log_append(r, line, zv_strlen(line));
	log_append(r, "\n", 1);
	spin_unlock(&ctl.lock);
}

void ctl_net_figures(const struct zone *z, struct zctl_net *o)
{
	struct zone_nic_info info;

	zone_nic_info(z, &info);
	zv_memset(o, 0, sizeof(*o));
	zv_strlcpy(o->address, info.address, sizeof(o->address));
	o->rules = info.rules;
	o->allowed = info.allowed;
	o->denied = info.denied;
	o->tx_bytes = info.tx_bytes;
	o->rx_bytes = info.rx_bytes;
}

/* Zone CPU: every vCPU has stopped; the wipe comes next. */
void ctl_on_stopped(void *ctx, struct zone *z)
{
	struct record *r = ctx;

	spin_lock(&ctl.lock);
	r->zone = NULL;
	r->state = ZCTL_STATE_EXITING;
	r->exit_status = z->exit_status;
	r->end_tsc = rdtsc();
	r->exits = ctl_zone_exits(z);
	ctl.ended_exits += r->exits;
	ctl_net_figures(z, &r->net);
	r->disk_count = ctl_disk_figures(z, r->disks); /* its disks go when it is destroyed */
	r->denials = zone_nic_take_denials(z);
	zv_strlcpy(r->reason, z->stop_reason[0] ? z->stop_reason : "stopped", sizeof(r->reason));
	ctl_audit_stopped(r, z->faulted);
	spin_unlock(&ctl.lock);
}

/* Zone CPU: the zone is wiped and its memory back in the pool.  A --rm
 * zone's workspace is wiped here too, outside ctl.lock, while the record
 * still says EXITING (so rm and WORKSPACE_READ leave it alone) and before
 * the record goes: once ps no longer lists it, its pages are back. */
void ctl_on_ended(void *ctx, int status)
{
	struct record *r = ctx;
	struct store *ws = NULL;

	(void)status;
	spin_lock(&ctl.lock);
	if (r->auto_rm) {
		ws = r->ws.store;
		r->ws.store = NULL;
	}
	spin_unlock(&ctl.lock);
	store_destroy(ws);
	spin_lock(&ctl.lock);
	r->state = ZCTL_STATE_EXITED;
	ctl_audit_wiped(r, r->mem_bytes);
	if (r->auto_rm)
		ctl_forget(r); /* its workspace is gone already */
	spin_unlock(&ctl.lock);
}
