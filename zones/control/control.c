/*
 * The control channel in the hypervisor (wire format: zones/control/proto.h,
 * prose: docs/control.md).  Requests arrive on the BSP, inside the control
 * zone's OUT to the doorbell, and are answered before it completes.  Zones
 * spawned here run on the APs; a record per zone keeps its name, state,
 * console output and exit status from `zonectl run` until `zonectl rm`.
 * The zone's memory is wiped as soon as it stops; rm only forgets the record.
 */
#include "zones/control/control.h"
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

#define LOG_BYTES  (16 * 1024) /* console bytes kept per zone */
#define LOGS_REPLY (sizeof(struct zctl_logs) + LOG_BYTES)
#define DENIALS_REPLY                                                                          \
	(sizeof(struct zctl_denials) + SWITCH_REASON_COUNT * sizeof(struct zctl_deny_reason) + \
	 DENY_LOG_RECORDS * sizeof(struct zctl_deny_record))
#define MAX2(a, b) ((a) > (b) ? (a) : (b))
#define REPLY_BYTES                     \
	(sizeof(struct zctl_resp_hdr) + \
	 MAX2(MAX2(LOGS_REPLY, sizeof(struct zctl_ps)), DENIALS_REPLY))
#define ORDER_LIMIT 14 /* 64 MiB, ZCTL_UPLOAD_MAX */

struct record {
	bool used;
	char name[ZCTL_NAME_LEN];
	enum zctl_state state;
	struct zone *zone; /* while running; cleared (under lock) before the wipe */
	int exit_status;
	bool auto_rm;
	uint64_t mem_bytes;
	uint32_t vcpus, cpu_mask;
	uint64_t start_tsc, end_tsc;
	uint64_t request_tsc; /* when its run request arrived */
	bool init_seen;	      /* its /init has printed its first line */
	uint64_t exits;
	uint64_t overhead_bytes;
	char reason[ZCTL_MESSAGE_LEN];
	struct zctl_net net;	    /* once it stopped: its NIC's last figures */
	char allow[ZCTL_ALLOW_LEN]; /* its rules, canonical, one per line */
	struct deny_log *denials;   /* once it stopped: its NIC's deny records (pool pages) */
	uint64_t log_total;	    /* bytes ever written; the ring holds the last LOG_BYTES */
	char log[LOG_BYTES];
};

struct upload {
	uint64_t addr; /* pool pages, or 0 */
	unsigned order;
	uint64_t total, received;
};

static struct spinlock lock; /* records: BSP requests against zone CPUs' callbacks */
static struct record records[ZCTL_MAX_ZONES];
static struct upload uploads[ZCTL_SLOT_COUNT];
static const struct zv_file *default_kernel, *default_initrd;
static uint64_t zones_started, ended_exits, last_overhead;
static bool verify_wipe;
static uint8_t reply[REPLY_BYTES];

void control_init(const struct zv_bootinfo *bi, const struct zv_config *conf)
{
	verify_wipe = conf->verify_wipe;
	default_kernel = conf->agent_kernel[0] ? zv_bootinfo_file(bi, conf->agent_kernel) : NULL;
	default_initrd = conf->agent_initrd[0] ? zv_bootinfo_file(bi, conf->agent_initrd) : NULL;
}

/* ---- records ------------------------------------------------------------ */

static struct record *find_record(const char *name)
{
	for (unsigned i = 0; i < ZCTL_MAX_ZONES; i++)
		if (records[i].used && !zv_strcmp(records[i].name, name))
			return &records[i];
	return NULL;
}

static struct record *free_record(void)
{
	for (unsigned i = 0; i < ZCTL_MAX_ZONES; i++)
		if (!records[i].used)
			return &records[i];
	return NULL;
}

static uint64_t zone_exits(const struct zone *z)
{
	uint64_t n = 0;

	for (uint32_t i = 0; i < z->vcpu_count; i++)
		for (unsigned r = 0; r < VEXIT_COUNT; r++)
			n += z->vcpus[i].exits[r];
	return n;
}

static uint64_t tsc_to_us(uint64_t d);

/* The agent /init's first line ("init: uptime S"): the figure `make bench`
 * reports as zonectl run to /init (docs/benchmarks.md). */
static void note_init(struct record *r, const char *line)
{
	uint64_t us;

	if (r->init_seen || zv_strncmp(line, "init: ", 6) != 0)
		return;
	r->init_seen = true;
	us = tsc_to_us(rdtsc() - r->request_tsc);
	kprintf("zone %s: /init %lu.%06lu s after zonectl run\n", r->name, us / 1000000,
		us % 1000000);
}

static void log_append(struct record *r, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		r->log[(r->log_total + i) % LOG_BYTES] = s[i];
	r->log_total += n;
}

/* Wipes the record, freeing what it holds: the slot is free again. */
static void forget(struct record *r)
{
	zone_nic_free_denials(r->denials);
	zv_memset(r, 0, sizeof(*r));
}

/* Zone CPU, under the zone's uart_lock: one console line. */
static void on_console_line(void *ctx, const char *line)
{
	struct record *r = ctx;

	spin_lock(&lock);
	note_init(r, line);
	log_append(r, line, zv_strlen(line));
	log_append(r, "\n", 1);
	spin_unlock(&lock);
}

static void net_figures(const struct zone *z, struct zctl_net *o)
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
static void on_stopped(void *ctx, struct zone *z)
{
	struct record *r = ctx;

	spin_lock(&lock);
	r->zone = NULL;
	r->state = ZCTL_STATE_EXITING;
	r->exit_status = z->exit_status;
	r->end_tsc = rdtsc();
	r->exits = zone_exits(z);
	ended_exits += r->exits;
	net_figures(z, &r->net);
	r->denials = zone_nic_take_denials(z);
	zv_strlcpy(r->reason, z->stop_reason[0] ? z->stop_reason : "stopped", sizeof(r->reason));
	spin_unlock(&lock);
}

/* Zone CPU: the zone is wiped and its memory back in the pool. */
static void on_ended(void *ctx, int status)
{
	struct record *r = ctx;

	(void)status;
	spin_lock(&lock);
	r->state = ZCTL_STATE_EXITED;
	if (r->auto_rm)
		forget(r);
	spin_unlock(&lock);
}

/* ---- replies ---------------------------------------------------------- */

struct request {
	struct zone *cz; /* the control zone */
	struct zctl_req_hdr hdr;
	uint32_t len;
	uint32_t reply_len; /* body bytes after the reply header */
};

static int refuse(struct request *q, enum zctl_error e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int refuse(struct request *q, enum zctl_error e, const char *fmt, ...)
{
	struct zctl_resp_hdr *h = (struct zctl_resp_hdr *)reply;
	va_list ap;

	va_start(ap, fmt);
	zv_vsnprintf(h->message, sizeof(h->message), fmt, ap);
	va_end(ap);
	q->reply_len = 0;
	return (int)e;
}

static void *reply_body(void)
{
	return reply + sizeof(struct zctl_resp_hdr);
}

/* ---- RUN ------------------------------------------------------------------ */

static bool cpu_busy(uint32_t cpu)
{
	if (cpus[cpu]->assigned || cpus[cpu]->current)
		return true;
	for (unsigned i = 0; i < ZCTL_MAX_ZONES; i++)
		if (records[i].used && records[i].state != ZCTL_STATE_EXITED &&
		    (records[i].cpu_mask & (1u << cpu)))
			return true;
	return false;
}

static uint32_t free_cpus(uint32_t *list, uint32_t want)
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
	for (uint64_t n = zones_started + 1;; n++) {
		zv_snprintf(name, ZCTL_NAME_LEN, "zone-%lu", n);
		if (!find_record(name))
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
	const struct upload *u = &uploads[slot];

	*out = (struct image){NULL, 0};
	if (which == ZCTL_IMAGE_NONE)
		return true;
	if (which == ZCTL_IMAGE_UPLOADED) {
		if (!u->addr || u->received != u->total) {
			*err = refuse(q, ZCTL_E_NO_IMAGE,
				      "no complete %s upload (zonectl uploads --%s FILE itself)",
				      what, what);
			return false;
		}
		*out = (struct image){phys_to_virt(u->addr), u->total};
		return true;
	}
	if (!def) {
		*err = refuse(q, ZCTL_E_NO_IMAGE,
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
	struct upload *u = &uploads[slot];

	if (u->addr) {
		zv_memset(phys_to_virt(u->addr), 0, PALLOC_PAGE << u->order);
		page_free(u->addr, u->order);
	}
	*u = (struct upload){0, 0, 0, 0};
}

static int check_capacity(struct request *q, const struct zctl_run *run)
{
	uint32_t nfree = free_cpus(NULL, 0);

	if (!free_record())
		return refuse(q, ZCTL_E_TOO_MANY,
			      "the zone table is full (%d zones); zonectl rm an exited zone",
			      ZCTL_MAX_ZONES);
	if (nfree < run->cpus)
		return refuse(q, ZCTL_E_NO_CPU,
			      "%u CPUs asked, %u free: each vCPU needs a CPU of its own "
			      "(zonectl stop a zone, or ask for fewer --cpus)",
			      run->cpus, nfree);
	if (run->mem_bytes > mem_free_bytes())
		return refuse(q, ZCTL_E_NO_MEMORY,
			      "%lu MiB asked, the pool has %lu MiB free (zonectl stats; "
			      "ask for less --mem or zonectl stop a zone)",
			      run->mem_bytes >> 20, mem_free_bytes() >> 20);
	return 0;
}

static void fill_zone(const struct record *r, struct zctl_zone *o);

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
 * overhead (held as the pool's free bytes until now) is counted, and the
 * console says so. */
static void on_ready(void *ctx, struct zone *z)
{
	struct record *r = ctx;

	r->used = true;
	r->state = ZCTL_STATE_RUNNING;
	r->zone = z;
	r->overhead_bytes = r->overhead_bytes - mem_free_bytes() - r->mem_bytes + sizeof(*r);
	last_overhead = r->overhead_bytes;
	zones_started++;
	kprintf("zone %s: started by zonectl (%u vCPUs, %lu MiB, %lu bytes overhead)\n", r->name,
		r->vcpus, r->mem_bytes >> 20, r->overhead_bytes);
	keep_rules(r, z);
	zone_print_memory(z);
	r->start_tsc = rdtsc();
}

/* A refused rule is the request's fault; a zone that exists but cannot
 * run, its image's; anything else is out of room. */
static int refuse_spawn(struct request *q, const char *name, const struct zv_err *err)
{
	switch (err->code) {
	case ZV_ERULE: return refuse(q, ZCTL_E_BAD_REQUEST, "zone %s: %s", name, err->reason);
	case ZV_EIMAGE:
	case ZV_EISOLATION:
		return refuse(q, ZCTL_E_BAD_IMAGE, "zone %s: image refused: %s", name, err->reason);
	default: return refuse(q, ZCTL_E_NO_MEMORY, "cannot create zone %s: %s", name, err->reason);
	}
}

/* Fills r, still unused until on_ready (a refused spawn leaves the table
 * as it was), and picks the zone's CPUs into list. */
static void prepare_record(struct record *r, const struct zctl_run *run, uint32_t *list)
{
	zv_memset(r, 0, sizeof(*r)); /* 21 KiB: no compound literal on the stack */
	r->request_tsc = rdtsc();
	r->overhead_bytes = mem_free_bytes();
	if (run->name[0])
		zv_strlcpy(r->name, run->name, sizeof(r->name));
	else
		pick_name(r->name);
	free_cpus(list, run->cpus);
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
	struct record *r = free_record();
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
			      .verify_wipe = verify_wipe,
			      .console_sink = on_console_line,
			      .on_stopped = on_stopped,
			      .on_ended = on_ended,
			      .on_ready = on_ready,
			      .ctx = r};

	prepare_record(r, run, list);
	if (zone_spawn(&s, &err) != 0)
		return refuse_spawn(q, r->name, &err);
	fill_zone(r, reply_body());
	q->reply_len = sizeof(struct zctl_zone);
	return 0;
}

static int try_run(struct request *q, const struct zctl_run *run)
{
	struct image k, rd;
	const char *why = zctl_check_run(run);
	int err = 0;

	if (why)
		return refuse(q, ZCTL_E_BAD_REQUEST, "%s", why);
	if (run->name[0] && find_record(run->name))
		return refuse(q, ZCTL_E_NAME_IN_USE,
			      "a zone named %s exists (zonectl rm %s, or pick another --name)",
			      run->name, run->name);
	err = check_capacity(q, run);
	if (err)
		return err;
	if (!resolve_image(q, run->kernel, ZCTL_SLOT_KERNEL, default_kernel, &k, &err) ||
	    !resolve_image(q, run->initrd, ZCTL_SLOT_INITRD, default_initrd, &rd, &err))
		return err;
	return start_zone(q, run, &k, &rd);
}

/* An upload serves one run, started or refused: its pages go back to the
 * pool now, so a refused run leaves the pool as it found it. */
static int op_run(struct request *q, const struct zctl_run *run)
{
	int err = try_run(q, run);

	drop_upload(ZCTL_SLOT_KERNEL);
	drop_upload(ZCTL_SLOT_INITRD);
	return err;
}

/* ---- UPLOAD ------------------------------------------------------------- */

static int op_upload(struct request *q, const struct zctl_upload *up)
{
	uint32_t data_len = q->len - (uint32_t)(sizeof(q->hdr) + sizeof(*up));
	const char *why = zctl_check_upload(up, data_len);
	struct upload *u;

	if (why)
		return refuse(q, ZCTL_E_BAD_REQUEST, "%s", why);
	u = &uploads[up->slot];
	if (up->offset == 0) {
		drop_upload(up->slot);
		u->order = palloc_order_for(up->total);
		u->addr = u->order <= ORDER_LIMIT ? page_alloc(u->order) : 0;
		if (!u->addr)
			return refuse(q, ZCTL_E_NO_MEMORY,
				      "no %lu KiB of contiguous pool memory for the upload",
				      up->total >> 10);
		u->total = up->total;
	}
	if (!u->addr || up->total != u->total || up->offset != u->received)
		return refuse(q, ZCTL_E_BAD_REQUEST,
			      "upload chunks must come in order from offset 0 (expected %lu)",
			      u->received);
	if (zone_read(q->cz, ZCTL_WINDOW_GPA + sizeof(q->hdr) + sizeof(*up),
		      (uint8_t *)phys_to_virt(u->addr) + up->offset, up->len) != 0)
		return refuse(q, ZCTL_E_BAD_REQUEST, "upload data outside the window");
	u->received += up->len;
	return 0;
}

/* ---- PS, LOGS, STOP, RM, STATS ---------------------------------------------- */

static uint64_t tsc_to_us(uint64_t d)
{
	uint64_t khz = tsc_khz();

	return d / khz * 1000 + d % khz * 1000 / khz;
}

static void fill_zone(const struct record *r, struct zctl_zone *o)
{
	uint64_t end = r->state == ZCTL_STATE_RUNNING ? rdtsc() : r->end_tsc;

	zv_memset(o, 0, sizeof(*o));
	zv_strlcpy(o->name, r->name, sizeof(o->name));
	o->state = r->state;
	o->exit_status = r->exit_status;
	o->mem_bytes = r->mem_bytes;
	o->vcpus = r->vcpus;
	o->cpu_mask = r->cpu_mask;
	o->uptime_us = tsc_to_us(end - r->start_tsc);
	o->exits = r->zone ? zone_exits(r->zone) : r->exits;
	o->overhead_bytes = r->overhead_bytes;
	zv_strlcpy(o->reason, r->reason, sizeof(o->reason));
	if (r->zone)
		net_figures(r->zone, &o->net);
	else
		o->net = r->net;
	zv_strlcpy(o->allow, r->allow, sizeof(o->allow));
}

static int op_ps(struct request *q)
{
	struct zctl_ps *ps = reply_body();

	zv_memset(ps, 0, sizeof(*ps));
	for (unsigned i = 0; i < ZCTL_MAX_ZONES; i++)
		if (records[i].used)
			fill_zone(&records[i], &ps->zones[ps->count++]);
	q->reply_len = sizeof(*ps);
	return 0;
}

static struct record *named(struct request *q, const char name[ZCTL_NAME_LEN], int *err)
{
	const char *why = zctl_check_name(name);
	struct record *r;

	if (why) {
		*err = refuse(q, ZCTL_E_BAD_REQUEST, "%s", why);
		return NULL;
	}
	r = find_record(name);
	if (!r)
		*err = refuse(q, ZCTL_E_NO_ZONE, "no zone named %s (zonectl ps lists them)", name);
	return r;
}

static int op_logs(struct request *q, const struct zctl_logs_req *lr)
{
	struct zctl_logs *o = reply_body();
	int err = 0;
	struct record *r = named(q, lr->name, &err);
	uint64_t from, n;

	if (!r)
		return err;
	from = lr->offset;
	if (from > r->log_total)
		from = r->log_total;
	if (r->log_total - from > LOG_BYTES)
		from = r->log_total - LOG_BYTES; /* older bytes were overwritten */
	n = r->log_total - from;
	*o = (struct zctl_logs){.offset = from,
				.next = from + n,
				.len = (uint32_t)n,
				.state = r->state,
				.exit_status = r->exit_status};
	for (uint64_t i = 0; i < n; i++)
		((char *)(o + 1))[i] = r->log[(from + i) % LOG_BYTES];
	q->reply_len = (uint32_t)(sizeof(*o) + n);
	return 0;
}

static int op_stop(struct request *q, const struct zctl_name *nm)
{
	int err = 0;
	struct record *r = named(q, nm->name, &err);

	if (!r)
		return err;
	if (r->zone)
		zone_stop(r->zone, "stopped by zonectl");
	return 0;
}

static int op_rm(struct request *q, const struct zctl_name *nm)
{
	int err = 0;
	struct record *r = named(q, nm->name, &err);

	if (!r)
		return err;
	if (r->state != ZCTL_STATE_EXITED)
		return refuse(q, ZCTL_E_STATE,
			      "zone %s is %s (zonectl stop %s first, or zonectl rm -f %s)", r->name,
			      r->state == ZCTL_STATE_RUNNING ? "running" : "still being wiped",
			      r->name, r->name);
	forget(r);
	return 0;
}

static int op_stats(struct request *q)
{
	struct zctl_stats *s = reply_body();

	zv_memset(s, 0, sizeof(*s));
	s->pool_total_bytes = mem_total_bytes();
	s->pool_free_bytes = mem_free_bytes();
	s->cpus = cpu_count;
	s->cpus_free = free_cpus(NULL, 0);
	s->zones_started = zones_started;
	s->exits = ended_exits;
	s->overhead_bytes = last_overhead;
	for (unsigned i = 0; i < ZCTL_MAX_ZONES; i++) {
		if (!records[i].used)
			continue;
		s->zones++;
		s->zones_running += records[i].state == ZCTL_STATE_RUNNING;
		if (records[i].zone)
			s->exits += zone_exits(records[i].zone);
	}
	q->reply_len = sizeof(*s);
	return 0;
}

/* ---- DENIALS ----------------------------------------------------------------- */

_Static_assert((int)PKT_KIND_ARP == (int)ZCTL_FRAME_ARP &&
		       (int)PKT_KIND_IPV4 == (int)ZCTL_FRAME_IPV4 &&
		       (int)PKT_KIND_IPV6 == (int)ZCTL_FRAME_IPV6 &&
		       (int)PKT_KIND_VLAN == (int)ZCTL_FRAME_VLAN,
	       "zctl_frame_kind mirrors enum pkt_kind");

/* The deny records asked for: the uplink's, a running zone's (copied under
 * the network lock) or an exited zone's; NULL with the error written. */
static const struct deny_log *find_denials(struct request *q, const struct zctl_denials_req *d,
					   int *err)
{
	static struct deny_log live; /* 31 KiB: not on the stack */
	struct record *r;

	if (d->flags & ZCTL_DENIALS_UPLINK) {
		if (zone_nic_denials(q->cz, &live))
			return &live;
		*err = refuse(q, ZCTL_E_NO_ZONE, "the control zone has no uplink");
		return NULL;
	}
	r = named(q, d->name, err);
	if (!r)
		return NULL;
	if (r->zone && zone_nic_denials(r->zone, &live))
		return &live;
	if (r->denials)
		return r->denials;
	deny_log_init(&live); /* a zone without a NIC was denied nothing */
	return &live;
}

static void fill_frame(struct zctl_frame *o, const struct deny_frame *f)
{
	o->kind = f->kind;
	o->proto = f->proto;
	o->icmp_type = f->icmp_type;
	o->from_uplink = f->from_uplink;
	o->port = f->port;
	o->src_port = f->src_port;
	o->dst_port = f->dst_port;
	o->src_ip = f->src_ip;
	o->dst_ip = f->dst_ip;
	zv_memcpy(o->src_mac, f->src_mac, sizeof(o->src_mac));
	zv_memcpy(o->dst_mac, f->dst_mac, sizeof(o->dst_mac));
}

/* The reasons with a count, in the switch's order; how many. */
static uint32_t fill_reasons(const struct deny_log *log, struct zctl_deny_reason *o)
{
	uint32_t n = 0;

	for (unsigned r = 0; r < SWITCH_REASON_COUNT; r++) {
		const struct deny_reason_summary *s = &log->reason[r];

		if (!s->count)
			continue;
		zv_memset(&o[n], 0, sizeof(o[n]));
		zv_strlcpy(o[n].reason, switch_reason_name(r), sizeof(o[n].reason));
		o[n].count = s->count;
		o[n].first_ms = s->first_ms;
		o[n].last_ms = s->last_ms;
		o[n].kept = s->kept;
		fill_frame(&o[n++].last, &s->last);
	}
	return n;
}

static void fill_records(const struct deny_log *log, struct zctl_deny_record *o)
{
	for (uint32_t i = 0; i < log->recorded; i++) {
		const struct deny_record *r = &log->records[i];

		zv_memset(&o[i], 0, sizeof(o[i]));
		o[i].time_ms = r->time_ms;
		zv_strlcpy(o[i].reason, switch_reason_name(r->reason), sizeof(o[i].reason));
		fill_frame(&o[i].frame, &r->frame);
		zv_strlcpy(o[i].name, r->name, sizeof(o[i].name));
	}
}

static int op_denials(struct request *q, const struct zctl_denials_req *d)
{
	struct zctl_denials *o = reply_body();
	struct zctl_deny_reason *reasons = (struct zctl_deny_reason *)(o + 1);
	const char *why = zctl_check_denials(d);
	const struct deny_log *log;
	int err = 0;

	if (why)
		return refuse(q, ZCTL_E_BAD_REQUEST, "%s", why);
	log = find_denials(q, d, &err);
	if (!log)
		return err;
	zv_memset(o, 0, sizeof(*o));
	o->now_ms = time_ns() / 1000000;
	o->denied = log->total;
	o->unrecorded = deny_log_unrecorded(log);
	o->per_reason = DENY_LOG_PER_REASON;
	o->reasons = fill_reasons(log, reasons);
	o->records = log->recorded;
	fill_records(log, (struct zctl_deny_record *)(reasons + o->reasons));
	q->reply_len = (uint32_t)(sizeof(*o) + o->reasons * sizeof(*reasons) +
				  o->records * sizeof(struct zctl_deny_record));
	return 0;
}

/* ---- dispatch ------------------------------------------------------------ */

union body {
	struct zctl_run run;
	struct zctl_logs_req logs;
	struct zctl_name name;
	struct zctl_upload upload;
	struct zctl_denials_req denials;
};

static int dispatch(struct request *q, const union body *b)
{
	switch (q->hdr.op) {
	case ZCTL_OP_RUN: return op_run(q, &b->run);
	case ZCTL_OP_PS: return op_ps(q);
	case ZCTL_OP_LOGS: return op_logs(q, &b->logs);
	case ZCTL_OP_STOP: return op_stop(q, &b->name);
	case ZCTL_OP_RM: return op_rm(q, &b->name);
	case ZCTL_OP_STATS: return op_stats(q);
	case ZCTL_OP_UPLOAD: return op_upload(q, &b->upload);
	case ZCTL_OP_DENIALS: return op_denials(q, &b->denials);
	default: return refuse(q, ZCTL_E_BAD_REQUEST, "unknown operation");
	}
}

/* Copies the request out of the window first: what is checked is what is used. */
static int handle(struct request *q)
{
	static union body b;
	const char *why;
	int64_t body;

	if (zone_read(q->cz, ZCTL_WINDOW_GPA, &q->hdr, sizeof(q->hdr)) != 0)
		return refuse(q, ZCTL_E_BAD_REQUEST, "window unreadable");
	why = zctl_check_header(&q->hdr, q->len, ZCTL_WINDOW_SIZE);
	if (why)
		return refuse(q, ZCTL_E_BAD_REQUEST, "%s", why);
	body = zctl_body_size(q->hdr.op);
	zv_memset(&b, 0, sizeof(b));
	if (zone_read(q->cz, ZCTL_WINDOW_GPA + sizeof(q->hdr), &b, (uint64_t)body) != 0)
		return refuse(q, ZCTL_E_BAD_REQUEST, "window unreadable");
	return dispatch(q, &b);
}

static void serve(struct zone *cz, uint32_t len)
{
	struct zctl_resp_hdr *h = (struct zctl_resp_hdr *)reply;
	struct request q = {.cz = cz, .len = len};
	int err;

	zv_memset(h, 0, sizeof(*h));
	spin_lock(&lock);
	err = handle(&q);
	spin_unlock(&lock);
	h->magic = ZCTL_RESP_MAGIC;
	h->version = ZCTL_VERSION;
	h->op = q.hdr.op;
	h->error = err;
	h->length = (uint32_t)sizeof(*h) + q.reply_len;
	if (err)
		kprintf("zonectl: request %u refused: %s\n", q.hdr.op, h->message);
	if (zone_write(cz, ZCTL_WINDOW_GPA, reply, h->length) != 0)
		kprintf("zonectl: reply does not fit the window\n");
}

static enum io_result port_read(void *zone, struct vcpu *vc, uint64_t off, unsigned size,
				uint64_t *v)
{
	(void)zone;
	(void)vc;
	if (size != 4)
		return IO_DONE; /* all-ones, as for any port without a device */
	switch (ZCTL_PORT_BASE + off) {
	case ZCTL_PORT_ID: *v = ZCTL_ID; break;
	case ZCTL_PORT_VERSION: *v = ZCTL_VERSION; break;
	case ZCTL_PORT_WINDOW: *v = ZCTL_WINDOW_GPA; break;
	case ZCTL_PORT_WINDOW_SIZE: *v = ZCTL_WINDOW_SIZE; break;
	default: break;
	}
	return IO_DONE;
}

static enum io_result port_write(void *zone, struct vcpu *vc, uint64_t off, unsigned size,
				 uint64_t v)
{
	(void)vc;
	if (ZCTL_PORT_BASE + off == ZCTL_PORT_DOORBELL && size == 4)
		serve(zone, (uint32_t)v);
	return IO_DONE;
}

int control_attach(struct zone *z)
{
	const struct io_range ports = {"control-channel", ZCTL_PORT_BASE, ZCTL_PORT_COUNT,
				       port_read,	  port_write,	  z};

	return io_map_add(&z->io, IO_PORT, &ports);
}
