/* The RUN and UPLOAD requests: images, capacity, a record and a zone_spawn (docs/control.md). */
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
#include "zones/zone.h"

/* ---- RUN ------------------------------------------------------------------ */

static bool cpu_busy(uint32_t cpu)
{
	if (cpus[cpu]->assigned || cpus[cpu]->current)
		return true;
	for (unsigned i = 0; i < ZCTL_MAX_ZONES; i++)
		if (ctl.records[i].used && ctl.records[i].state != ZCTL_STATE_EXITED &&
		    (ctl.records[i].cpu_mask & (1u << cpu)))
			return true;
	return false;
}

uint32_t ctl_free_cpus(uint32_t *list, uint32_t want)
{
	uint32_t n = 0;

	for (uint32_t c = 1; c < cpu_count && c < 32; c++) {
		if (!cpus[c] || !cpus[c]->virt_ready || cpu_busy(c))
			continue;
		if (list && n < want)
			list[n] = c;
		n++;
	}
	return n;
}

static void pick_name(char name[ZCTL_NAME_LEN])
{
	for (uint64_t n = ctl.zones_started + 1;; n++) {
		zv_snprintf(name, ZCTL_NAME_LEN, "zone-%lu", n);
		if (!ctl_find_record(name))
			return;
	}
}

struct image {
	const void *addr;
	uint64_t size;
};

/* NULL, or the error already written to the reply (its code in *err). */
static bool resolve_image(struct request *q, uint32_t which, enum zctl_slot slot,
			  const struct zv_file *def, struct image *out, int *err)
{
	const char *what = slot == ZCTL_SLOT_KERNEL ? "kernel" : "initrd";
	const struct upload *u = &ctl.uploads[slot];

	*out = (struct image){NULL, 0};
	if (which == ZCTL_IMAGE_NONE)
		return true;
	if (which == ZCTL_IMAGE_UPLOADED) {
		if (!u->addr || u->received != u->total) {
			*err = ctl_refuse(
				q, ZCTL_E_NO_IMAGE,
				"no complete %s upload (zonectl uploads --%s FILE itself)", what,
				what);
			return false;
		}
		*out = (struct image){phys_to_virt(u->addr), u->total};
		return true;
	}
	if (!def) {
		*err = ctl_refuse(q, ZCTL_E_NO_IMAGE,
				  "this host ships no default agent %s (set agent_%s in "
				  "zonevisor.conf, or give --%s FILE)",
				  what, slot == ZCTL_SLOT_KERNEL ? "kernel" : "initrd", what);
		return false;
	}
	*out = (struct image){phys_to_virt(def->addr), def->size};
	return true;
}

static void drop_upload(enum zctl_slot slot)
{
	struct upload *u = &ctl.uploads[slot];

	if (u->addr) {
		zv_memset(phys_to_virt(u->addr), 0, PALLOC_PAGE << u->order);
		page_free(u->addr, u->order);
	}
	*u = (struct upload){0, 0, 0, 0};
}

static int check_capacity(struct request *q, const struct zctl_run *run)
{
	uint32_t nfree = ctl_free_cpus(NULL, 0);

	if (!ctl_free_record())
		return ctl_refuse(q, ZCTL_E_TOO_MANY,
				  "the zone table is full (%d zones); zonectl rm an exited zone",
				  ZCTL_MAX_ZONES);
	if (nfree < run->cpus)
		return ctl_refuse(q, ZCTL_E_NO_CPU,
				  "%u CPUs asked, %u free: each vCPU needs a CPU of its own "
				  "(zonectl stop a zone, or ask for fewer --cpus)",
				  run->cpus, nfree);
	if (run->mem_bytes > mem_free_bytes())
		return ctl_refuse(q, ZCTL_E_NO_MEMORY,
				  "%lu MiB asked, the pool has %lu MiB free (zonectl stats; "
				  "ask for less --mem or zonectl stop a zone)",
				  run->mem_bytes >> 20, mem_free_bytes() >> 20);
	return 0;
}

/* The zone's rules as the policy took them, for ps; and one console line
 * saying where it may go. */
static void keep_rules(struct record *r, const struct zone *z)
{
	static char line[ZCTL_ALLOW_LEN];
	char address[16];
	size_t at = 0;

	/* Canonical text may be longer ("10.0.0.1" is "10.0.0.1/32"): what does
	 * not fit is left off at a rule's end; ps's rule count stays exact. */
	for (uint32_t i = 0; at + 1 < sizeof(r->allow); i++) {
		size_t room = sizeof(r->allow) - at - 1;
		size_t n = zone_nic_rule(z, i, r->allow + at, (unsigned)room);

		if (n == 0 || n >= room)
			break;
		r->allow[at + n] = '\n';
		at += n + 1;
	}
	r->allow[at] = '\0';
	zv_strlcpy(line, r->allow, sizeof(line));
	for (char *c = line; *c; c++)
		if (*c == '\n')
			*c = c[1] ? ' ' : '\0';
	zone_nic_address(z, address, sizeof(address));
	kprintf("zone %s: network %s allows %s\n", r->name, address,
		line[0] ? line : "nothing (no --allow)");
}

/* On the BSP once zone_spawn's checks passed: the record goes live, its
 * overhead (measured since prepare_record: mem_measure_begin) is counted,
 * and the console says so. */
static void on_ready(void *ctx, struct zone *z)
{
	struct record *r = ctx;

	r->used = true;
	r->state = ZCTL_STATE_RUNNING;
	r->zone = z;
	r->zone_id = z->id;
	r->overhead_bytes = mem_measure_end() - r->mem_bytes + sizeof(*r);
	ctl.last_overhead = r->overhead_bytes;
	ctl.zones_started++;
	kprintf("zone %s: started by zonectl (%u vCPUs, %lu MiB, %lu bytes overhead)\n", r->name,
		r->vcpus, r->mem_bytes >> 20, r->overhead_bytes);
	keep_rules(r, z);
	zone_print_memory(z);
	r->start_tsc = rdtsc();
	ctl_audit_started(r);
}

/* A refused rule is the request's fault; a zone that exists but cannot
 * run, its image's; anything else is out of room. */
static int refuse_spawn(struct request *q, const char *name, const struct zv_err *err)
{
	switch (err->code) {
	case ZV_ERULE: return ctl_refuse(q, ZCTL_E_BAD_REQUEST, "zone %s: %s", name, err->reason);
	case ZV_EIMAGE:
	case ZV_EISOLATION:
		return ctl_refuse(q, ZCTL_E_BAD_IMAGE, "zone %s: image refused: %s", name,
				  err->reason);
	default:
		return ctl_refuse(q, ZCTL_E_NO_MEMORY, "cannot create zone %s: %s", name,
				  err->reason);
	}
}

/* Fills r, still unused until on_ready (a refused spawn leaves the table
 * as it was), and picks the zone's CPUs into list. */
static void prepare_record(struct record *r, const struct zctl_run *run, uint32_t *list)
{
	zv_memset(r, 0, sizeof(*r)); /* 21 KiB: no compound literal on the stack */
	r->request_tsc = rdtsc();
	mem_measure_begin();
	if (run->name[0])
		zv_strlcpy(r->name, run->name, sizeof(r->name));
	else
		pick_name(r->name);
	ctl_free_cpus(list, run->cpus);
	r->exit_status = -1;
	r->auto_rm = run->flags & ZCTL_RUN_AUTO_RM;
	r->mem_bytes = run->mem_bytes;
	r->vcpus = run->cpus;
	for (uint32_t i = 0; i < run->cpus; i++)
		r->cpu_mask |= 1u << list[i];
}

static int start_zone(struct request *q, const struct zctl_run *run, const struct image *k,
		      const struct image *rd)
{
	uint32_t list[ZONE_MAX_VCPUS];
	struct record *r = ctl_free_record();
	struct zv_err err;
	struct zone_spec s = {.name = r->name,
			      .kind = ZONE_AGENT,
			      .mem_bytes = run->mem_bytes,
			      .cpus = list,
			      .vcpu_count = run->cpus,
			      .allow = run->allow,
			      .image = k->addr,
			      .image_size = k->size,
			      .initrd = rd->addr,
			      .initrd_size = rd->size,
			      .args = run->args,
			      .verify_wipe = ctl.verify_wipe,
			      .console_sink = ctl_on_console_line,
			      .on_stopped = ctl_on_stopped,
			      .on_ended = ctl_on_ended,
			      .on_ready = on_ready,
			      .ctx = r};

	prepare_record(r, run, list);
	ctl_fill_disks(r, run, &s);
	if (zone_spawn(&s, &err) != 0) {
		ctl_free_workspace(r); /* its device is gone with the zone */
		return refuse_spawn(q, r->name, &err);
	}
	ctl_fill_zone(r, ctl_reply_body());
	q->reply_len = sizeof(struct zctl_zone);
	return 0;
}

static int try_run(struct request *q, const struct zctl_run *run)
{
	struct image k, rd;
	const char *why = zctl_check_run(run);
	int err = 0;

	if (why)
		return ctl_refuse(q, ZCTL_E_BAD_REQUEST, "%s", why);
	if (run->name[0] && ctl_find_record(run->name))
		return ctl_refuse(q, ZCTL_E_NAME_IN_USE,
				  "a zone named %s exists (zonectl rm %s, or pick another --name)",
				  run->name, run->name);
	err = check_capacity(q, run);
	if (!err)
		err = ctl_check_disks(q, run);
	if (err)
		return err;
	if (!resolve_image(q, run->kernel, ZCTL_SLOT_KERNEL, ctl.default_kernel, &k, &err) ||
	    !resolve_image(q, run->initrd, ZCTL_SLOT_INITRD, ctl.default_initrd, &rd, &err))
		return err;
	return start_zone(q, run, &k, &rd);
}

/* An upload serves one run, started or refused: its pages go back to the
 * pool now, so a refused run leaves the pool as it found it.  So does a
 * staged workspace the run did not take. */
int ctl_op_run(struct request *q, const struct zctl_run *run)
{
	int err = try_run(q, run);

	drop_upload(ZCTL_SLOT_KERNEL);
	drop_upload(ZCTL_SLOT_INITRD);
	ctl_drop_staged_workspace();
	return err;
}

/* ---- UPLOAD ------------------------------------------------------------- */

int ctl_op_upload(struct request *q, const struct zctl_upload *up)
{
	uint32_t data_len = q->len - (uint32_t)(sizeof(q->hdr) + sizeof(*up));
	const char *why = zctl_check_upload(up, data_len);
	struct upload *u;

	if (why)
		return ctl_refuse(q, ZCTL_E_BAD_REQUEST, "%s", why);
	u = &ctl.uploads[up->slot];
	if (up->offset == 0) {
		drop_upload(up->slot);
		u->order = palloc_order_for(up->total);
		u->addr = u->order <= ORDER_LIMIT ? page_alloc(u->order) : 0;
		if (!u->addr)
			return ctl_refuse(q, ZCTL_E_NO_MEMORY,
					  "no %lu KiB of contiguous pool memory for the upload",
					  up->total >> 10);
		u->total = up->total;
	}
	if (!u->addr || up->total != u->total || up->offset != u->received)
		return ctl_refuse(q, ZCTL_E_BAD_REQUEST,
				  "upload chunks must come in order from offset 0 (expected %lu)",
				  u->received);
	if (zone_read(q->cz, ZCTL_WINDOW_GPA + sizeof(q->hdr) + sizeof(*up),
		      (uint8_t *)phys_to_virt(u->addr) + up->offset, up->len) != 0)
		return ctl_refuse(q, ZCTL_E_BAD_REQUEST, "upload data outside the window");
	u->received += up->len;
	return 0;
}
