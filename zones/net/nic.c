/*
 * NICs on the agent network: the virtio-net model (zones/virtio/net.h) wired
 * to the zones and to the one switch (zones/net/switch.h).  An agent zone's
 * NIC is a switch port; the control zone's is the uplink, behind which it
 * routes, NATs and resolves (docs/network.md).
 *
 * Locking (issue 16: no zone may hold the network hostage).  Three kinds of
 * lock, all ticket locks, so CPUs are served in turn however often a zone's
 * exits come back for one, always taken in this order:
 *   tx_lock   per NIC: one sender at a time, so its frames keep their order
 *             and its bounce buffer and console lines have one owner;
 *   net_lock  the switch, ports[] and uplink: held for one frame's switch
 *             decision and its delivery, never for a guest's descriptors;
 *   dev_lock  per NIC: its virtio-net state (registers and both rings).
 * A frame leaves its sender's ring under the sender's dev_lock alone, copied
 * into the sender's bounce buffer, and the dev_lock is dropped before net_lock
 * is taken, so no CPU holds two dev_locks.  Transmit work comes in batches
 * (VIRTIO_NET_TX_BATCH_*), one per zone entry (nic_service, in the zone's
 * service list: zone_service_devices).  Console
 * lines and audit records (nic_audit.h) are made under the locks and written
 * after they are released.  dev_lock is taken before
 * a zone's interrupt platform lock (zone_irq_set_line), never after.
 */
#include "zones/net/nic.h"
#include <stdarg.h>

#include "hv/console.h"
#include "hv/cpu.h"
#include "hv/lib/fmt.h"
#include "hv/lib/string.h"
#include "hv/mem.h"
#include "hv/palloc.h"
#include "hv/spinlock.h"
#include "hv/time.h"
#include "zones/net/deny_log.h"
#include "zones/net/nic_audit.h"
#include "zones/net/switch.h"
#include "zones/platform/acpi/tables.h"
#include "zones/platform/irq.h"
#include "zones/virtio/net.h"
#include "zones/zone.h"

#define REFUSAL_REPORTS 16 /* lines per NIC about malformed chains; stats.refused counts on */
#define UPLINK_PORT	(-1)
#define NIC_LINES	2   /* per frame: two refusals (the sender's, a receiver's) */
#define NIC_LINE_MAX	512 /* kprintf's own buffer (hv/console.c): lines cut the same */

/* Console lines and audit records made under a lock, written once it is released. */
struct nic_lines {
	unsigned count;
	char line[NIC_LINES][NIC_LINE_MAX];
	struct nic_audit audit;
};

struct zone_nic {
	struct virtio_net dev; /* under dev_lock */
	struct ticket_lock dev_lock;
	struct ticket_lock tx_lock;
	void (*switch_frame)(struct zone_nic *n, size_t len); /* under net_lock */
	uint8_t tx_bounce[VIRTIO_NET_FRAME_MAX];	      /* under tx_lock */
	struct nic_lines lines;				      /* under tx_lock */
	struct zone *zone;
	int port;	       /* switch port, or UPLINK_PORT */
	struct policy *policy; /* the zone's own, or &deny_all */
	unsigned policy_order; /* pages of *policy when it is the zone's own */
	/* Its deny records (zones/net/deny_log.h, pages of their own); NULL once
	 * taken.  Under net_lock. */
	struct deny_log *log;
	struct nic_deny_summary summary; /* under net_lock */
	bool hold_new; /* the audit log would block its records (fail-closed); under tx_lock */
	uint64_t refusals_seen; /* dev.stats.refused when last reported; under dev_lock */
	unsigned order;		/* pages of this struct */
};

static struct net_switch sw;
static struct ticket_lock net_lock;
static struct switch_out out;
static bool switch_ready;
static struct zone_nic *ports[SWITCH_MAX_PORTS]; /* by switch port */
static struct zone_nic *uplink;
/* Zones given no rules share this empty policy: it denies everything and
 * never admits, so nothing of one zone's is kept in it. */
static struct policy deny_all;
static const uint8_t gateway_mac[6] = {0x02, 0x5a, 0x56, 0x00, 0x00, 0x01};

static uint64_t now_ms(void)
{
	return time_ns() / 1000000;
}

static void switch_setup(void)
{
	if (switch_ready)
		return;
	policy_init(&deny_all, rdtsc());
	switch_init(&sw, ZONE_NET, gateway_mac);
	switch_ready = true;
}

static int mem_read(void *ctx, uint64_t gpa, void *dst, size_t len)
{
	return zone_read(ctx, gpa, dst, len);
}

static int mem_write(void *ctx, uint64_t gpa, const void *src, size_t len)
{
	return zone_write(ctx, gpa, src, len);
}

static void lines_add(struct nic_lines *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void lines_add(struct nic_lines *l, const char *fmt, ...)
{
	va_list ap;

	if (l->count == NIC_LINES) /* more than one frame's worth: cannot happen */
		return;
	va_start(ap, fmt);
	zv_vsnprintf(l->line[l->count++], NIC_LINE_MAX, fmt, ap);
	va_end(ap);
}

/* Prints and appends what was collected under a lock; called with none held but tx_lock. */
static void lines_print(struct nic_lines *l)
{
	for (unsigned i = 0; i < l->count; i++)
		kprintf("%s", l->line[i]);
	l->count = 0;
	nic_audit_flush(&l->audit);
}

/* A chain the zone got wrong stopped its device (DEVICE_NEEDS_RESET, until its
 * driver resets it): say so once per refusal, the first REFUSAL_REPORTS, into
 * lines.  Under n's dev_lock. */
static void report_refusal(struct zone_nic *n, struct nic_lines *lines)
{
	if (n->dev.stats.refused == n->refusals_seen)
		return;
	if (n->refusals_seen < REFUSAL_REPORTS) {
		const char *device = n->port == UPLINK_PORT ? "uplink" : "nic";
		const char *why = virtio_net_refusal_text(n->dev.last_refusal);

		lines_add(lines, "zone %s: %s refused %s; the device needs a reset\n",
			  n->zone->name, device, why);
		nic_audit_refused(&lines->audit, n->zone, device, why);
	}
	n->refusals_seen = n->dev.stats.refused;
}

/* After the device model ran: its interrupt line.  Under n's dev_lock. */
static void update_irq(struct zone_nic *n)
{
	zone_irq_set_line(n->zone, ZONE_NIC_GSI, virtio_net_irq_line(&n->dev));
}

/* Puts a frame into n's receive queue (dropped, and counted by the model,
 * if the zone posted no buffer) and raises its interrupt; a refusal's line
 * goes to the sender's lines.  Under net_lock. */
static void deliver(struct zone_nic *n, const uint8_t *frame, size_t len, struct nic_lines *lines)
{
	if (!n)
		return;
	ticket_lock(&n->dev_lock);
	virtio_net_receive(&n->dev, frame, len);
	report_refusal(n, lines);
	update_irq(n);
	ticket_unlock(&n->dev_lock);
}

/* Into the zone's deny records, never onto the console: a zone (or a user
 * of the control zone, for the uplink) would write to the operator's
 * terminal at packet rate.  zonectl denials reads them (docs/network.md).
 * The audit log gets what they keep and summaries of what they only count.
 * Under net_lock. */
static void report_deny(struct zone_nic *n, const struct switch_out *o)
{
	uint64_t now = now_ms();
	bool kept;

	if (!n->log)
		return;
	kept = deny_log_add(n->log, o, now);
	nic_audit_deny(&n->lines.audit, n->zone, o, n->log, kept, &n->summary, now);
}

/* The frame in an agent zone's bounce buffer: the switch decides.  Under net_lock. */
static void on_agent_tx(struct zone_nic *n, size_t len)
{
	const uint8_t *frame = n->tx_bounce;
	enum switch_action a;

	sw.port[n->port].hold_new = n->hold_new;
	a = switch_from_agent(&sw, (unsigned)n->port, frame, len, now_ms(), &out);
	if (a == SWITCH_REPLY)
		deliver(n, out.reply, out.reply_len, &n->lines);
	else if (a == SWITCH_TO_UPLINK)
		deliver(uplink, frame, len, &n->lines);
	if (out.reason != SWITCH_PASS) /* dropped, or refused with a reply */
		report_deny(n, &out);
	else if (out.admitted)
		nic_audit_admit(&n->lines.audit, n->zone, &out);
}

/* The frame the control zone sent into the agent network.  Under net_lock. */
static void on_uplink_tx(struct zone_nic *n, size_t len)
{
	const uint8_t *frame = n->tx_bounce;
	enum switch_action a = switch_from_uplink(&sw, frame, len, now_ms(), &out);

	if (a == SWITCH_REPLY)
		deliver(n, out.reply, out.reply_len, &n->lines);
	else if (a == SWITCH_TO_PORT && out.port < SWITCH_MAX_PORTS)
		deliver(ports[out.port], frame, len, &n->lines);
	if (out.reason != SWITCH_PASS)
		report_deny(n, &out);
	else if (a == SWITCH_TO_PORT && out.name[0] && out.port >= 0 &&
		 out.port < SWITCH_MAX_PORTS && ports[out.port]) /* a DNS answer */
		nic_audit_resolved(&n->lines.audit, ports[out.port]->zone, &out);
}

/* Copies n's next frame of the batch into its bounce buffer, under its
 * dev_lock alone; 0 ends the batch.  Under n's tx_lock. */
static size_t take_frame(struct zone_nic *n)
{
	size_t len;

	ticket_lock(&n->dev_lock);
	len = virtio_net_tx_next(&n->dev, n->tx_bounce);
	if (!len) { /* the batch's interrupt, or a refused chain */
		report_refusal(n, &n->lines);
		update_irq(n);
	}
	ticket_unlock(&n->dev_lock);
	lines_print(&n->lines);
	return len;
}

/* Fail-closed (audit_full = block): while the log has no room for the
 * zone's records, its new connections are denied ("audit-full"), its tracked
 * ones go on.  Asked before net_lock: the log takes its own lock.  Under
 * n's tx_lock. */
static void hold_new_check(struct zone_nic *n)
{
	struct audit_source src = nic_audit_source(n->zone);

	n->hold_new = n->port != UPLINK_PORT && audit_would_block(&src);
}

/* One batch of n's transmit queue: each frame copied out, then switched. */
static void tx_batch(struct zone_nic *n)
{
	size_t len;

	ticket_lock(&n->tx_lock);
	ticket_lock(&n->dev_lock);
	virtio_net_tx_begin(&n->dev);
	ticket_unlock(&n->dev_lock);
	while ((len = take_frame(n)) != 0) {
		hold_new_check(n);
		ticket_lock(&net_lock);
		n->switch_frame(n, len);
		ticket_unlock(&net_lock);
		lines_print(&n->lines);
	}
	ticket_unlock(&n->tx_lock);
}

static enum io_result nic_read(void *ctx, struct vcpu *v, uint64_t offset, unsigned size,
			       uint64_t *value)
{
	struct zone_nic *n = ctx;

	(void)v;
	ticket_lock(&n->dev_lock);
	*value = virtio_net_mmio_read(&n->dev, offset, size);
	update_irq(n);
	ticket_unlock(&n->dev_lock);
	return IO_DONE;
}

static enum io_result nic_write(void *ctx, struct vcpu *v, uint64_t offset, unsigned size,
				uint64_t value)
{
	struct zone_nic *n = ctx;

	(void)v;
	/* a transmitq notify only marks tx pending: nic_service sends */
	ticket_lock(&n->dev_lock);
	virtio_net_mmio_write(&n->dev, offset, size, (uint32_t)value);
	update_irq(n);
	ticket_unlock(&n->dev_lock);
	return IO_DONE;
}

/* z's NIC or uplink: the context of its window in z's registry, or NULL.
 * The window goes in before the NIC is plugged and out (under net_lock)
 * when it is unplugged; while a vCPU of z runs it stays. */
static struct zone_nic *nic_of(const struct zone *z)
{
	const struct io_range *r = io_map_find(&z->io, IO_MMIO, ZONE_NIC_GPA, 1);

	return r && r->read == nic_read ? r->ctx : NULL;
}

bool zone_has_nic(const struct zone *z)
{
	return nic_of(z) != NULL;
}

/* One transmit batch, if a notify left one pending: z's entry in its
 * service list (hv/service_list.h), added once the NIC is plugged. */
static bool nic_service(void *zone)
{
	struct zone_nic *n = nic_of(zone);

	/* a racy peek: a notify that lands after it is served at the next entry */
	if (!n || !__atomic_load_n(&n->dev.tx_pending, __ATOMIC_RELAXED))
		return false;
	tx_batch(n);
	return true;
}

static void port_mac(int port, uint8_t mac[6])
{
	static const uint8_t prefix[4] = {0x02, 0x5a, 0x56, 0x01}; /* locally administered */

	zv_memcpy(mac, prefix, 4);
	mac[4] = (uint8_t)(port >> 8);
	mac[5] = (uint8_t)port;
}

static struct deny_log *denials_alloc(void)
{
	uint64_t pa = page_alloc(palloc_order_for(sizeof(struct deny_log)));
	struct deny_log *log = pa ? phys_to_virt(pa) : NULL;

	if (log)
		deny_log_init(log);
	return log;
}

static void nic_free(struct zone_nic *n);
static void nic_detach(void *zone);

/* A NIC for z, its registers registered in z->io, its detach in
 * z->on_destroy and its service in z->services (both no-ops should the
 * attach fail after this: they find no NIC in z->io). */
static struct zone_nic *nic_alloc(struct zone *z)
{
	unsigned order = palloc_order_for(sizeof(struct zone_nic));
	uint64_t pa;
	struct zone_nic *n;
	struct io_range window = {"virtio-net", ZONE_NIC_GPA, VIRTIO_MMIO_SIZE,
				  nic_read,	nic_write,    NULL};

	if ((z->mem_bytes > ZONE_NIC_GPA && !z->control) ||
	    hook_list_add(&z->on_destroy, nic_detach, z) != 0 ||
	    service_list_add(&z->services, nic_service, z) != 0)
		return NULL;
	pa = page_alloc(order);
	if (!pa)
		return NULL;
	n = phys_to_virt(pa);
	zv_memset(n, 0, sizeof(*n));
	n->zone = z;
	n->order = order;
	n->policy = &deny_all;
	n->log = denials_alloc();
	window.ctx = n;
	if (!n->log || io_map_add(&z->io, IO_MMIO, &window) != 0) {
		nic_free(n);
		return NULL;
	}
	return n;
}

static void free_pages_wiped(void *p, size_t bytes, unsigned order)
{
	zv_memset(p, 0, bytes);
	page_free((uint64_t)p, order); /* the hypervisor maps memory 1:1 */
}

void zone_nic_free_denials(struct deny_log *log)
{
	if (log)
		free_pages_wiped(log, sizeof(*log), palloc_order_for(sizeof(*log)));
}

static void nic_free(struct zone_nic *n)
{
	const struct io_range *r = io_map_find(&n->zone->io, IO_MMIO, ZONE_NIC_GPA, 1);

	if (r && r->ctx == n) /* not another NIC's window */
		io_map_remove(&n->zone->io, IO_MMIO, ZONE_NIC_GPA);
	if (n->policy != &deny_all) /* learned addresses and flows are the zone's */
		free_pages_wiped(n->policy, sizeof(*n->policy), n->policy_order);
	zone_nic_free_denials(n->log);
	free_pages_wiped(n, sizeof(*n), n->order);
}

static void wire(struct zone *z, struct zone_nic *n, const uint8_t mac[6],
		 void (*switch_frame)(struct zone_nic *, size_t))
{
	struct vq_mem mem = {mem_read, mem_write, z};

	virtio_net_init(&n->dev, mac, &mem);
	n->switch_frame = switch_frame;
}

/* Copies the next line of *text (without its '\n') into buf, cut to len - 1
 * bytes (the caller refuses a line that fills buf); false at the end. */
static bool next_rule(const char **text, char *buf, size_t len)
{
	const char *s = *text;
	size_t i = 0, n;

	if (!s || !*s)
		return false;
	while (s[i] && s[i] != '\n')
		i++;
	n = i < len ? i : len - 1;
	zv_memcpy(buf, s, n);
	buf[n] = '\0';
	*text = s[i] == '\n' ? s + i + 1 : s + i;
	return true;
}

/* The zone's own policy with its rules: a rule refused is ZV_ERULE. */
static int build_policy(struct zone_nic *n, const char *allow, struct zv_err *e)
{
	static char rule[POLICY_RULE_TEXT_MAX + 2];
	char err[160];
	uint64_t pa;

	if (!allow || !*allow)
		return 0;
	n->policy_order = palloc_order_for(sizeof(struct policy));
	pa = page_alloc(n->policy_order);
	if (!pa)
		return zv_err_set(e, ZV_ENOMEM, "no memory for the network policy (%lu KiB)",
				  (uint64_t)sizeof(struct policy) >> 10);
	n->policy = phys_to_virt(pa);
	policy_init(n->policy, rdtsc() ^ pa);
	while (next_rule(&allow, rule, sizeof(rule))) {
		if (zv_strlen(rule) > POLICY_RULE_TEXT_MAX)
			return zv_err_set(e, ZV_ERULE, "bad rule '%.40s...': longer than %d bytes",
					  rule, POLICY_RULE_TEXT_MAX);
		if (policy_add_rule(n->policy, rule, err, sizeof(err)) != 0)
			return zv_err_set(e, ZV_ERULE, "bad rule '%s': %s", rule, err);
	}
	return 0;
}

/* Plugs n into the first free port and wires its device, under net_lock:
 * once the port is in ports[], the uplink may deliver to it. */
static int plug(struct zone *z, struct zone_nic *n)
{
	uint8_t mac[6];
	int port = -1;

	ticket_lock(&net_lock);
	switch_setup();
	for (int p = 0; p < SWITCH_MAX_PORTS && port < 0; p++) {
		port_mac(p, mac);
		port = switch_add_port(&sw, mac, ZONE_NET | (uint32_t)(ZONE_NET_FIRST_HOST + p),
				       n->policy);
	}
	if (port >= 0) {
		n->port = port;
		wire(z, n, mac, on_agent_tx);
		ports[port] = n;
	}
	ticket_unlock(&net_lock);
	return port;
}

int zone_nic_attach(struct zone *z, const char *allow, struct zv_err *err)
{
	struct zone_nic *n = nic_alloc(z);

	if (!n)
		return z->mem_bytes > ZONE_NIC_GPA
			       ? zv_err_set(err, ZV_EINVAL, "memory reaches the NIC's window")
			       : zv_err_set(err, ZV_ENOMEM, "no memory for the NIC");
	if (build_policy(n, allow, err) != 0) {
		nic_free(n);
		return -1;
	}
	if (plug(z, n) < 0) {
		nic_free(n);
		return zv_err_set(err, ZV_ENOMEM, "no free switch port (%d zones on the switch)",
				  SWITCH_MAX_PORTS);
	}
	return 0;
}

int zone_nic_attach_uplink(struct zone *control, struct zv_err *err)
{
	struct zone_nic *n;

	if (uplink)
		return zv_err_set(err, ZV_EBUSY, "the switch has its uplink already");
	n = nic_alloc(control);
	if (!n)
		return zv_err_set(err, ZV_ENOMEM, "no memory for the uplink NIC");
	n->port = UPLINK_PORT;
	ticket_lock(&net_lock);
	switch_setup();
	wire(control, n, gateway_mac, on_uplink_tx);
	uplink = n;
	ticket_unlock(&net_lock);
	return 0;
}

/* Unplugs and frees z's NIC (or uplink), if any, and wipes its policy: a
 * destroy hook, on the zone's CPU after it stopped. */
static void nic_detach(void *zone)
{
	struct zone *z = zone;
	struct zone_nic *n = nic_of(z);

	if (!n)
		return;
	ticket_lock(&net_lock);
	if (n == uplink)
		uplink = NULL;
	else {
		switch_remove_port(&sw, (unsigned)n->port);
		ports[n->port] = NULL;
	}
	io_map_remove(&z->io, IO_MMIO, ZONE_NIC_GPA);
	ticket_unlock(&net_lock);
	nic_free(n);
}

void zone_nic_acpi(const struct zone *z, struct zone_acpi_config *c)
{
	if (!nic_of(z) || c->virtio_count >= ZONE_ACPI_MAX_VIRTIO)
		return;
	c->virtio[c->virtio_count++] =
		(struct zone_acpi_virtio){ZONE_NIC_GPA, VIRTIO_MMIO_SIZE, ZONE_NIC_GSI};
}

static uint32_t nic_ip(const struct zone_nic *n)
{
	return n->port == UPLINK_PORT ? ZONE_NET_GATEWAY
				      : ZONE_NET | (uint32_t)(ZONE_NET_FIRST_HOST + n->port);
}

void zone_nic_address(const struct zone *z, char *buf, unsigned len)
{
	const struct zone_nic *n = nic_of(z);
	uint32_t ip = n ? nic_ip(n) : 0;

	zv_snprintf(buf, len, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff,
		    ip & 0xff);
}

void zone_nic_info(const struct zone *z, struct zone_nic_info *o)
{
	const struct zone_nic *n;
	const struct switch_counters *c;

	zv_memset(o, 0, sizeof(*o));
	ticket_lock(&net_lock); /* before nic_of: nic_detach removes the window under it */
	n = nic_of(z);
	if (!n) {
		ticket_unlock(&net_lock);
		return;
	}
	zone_nic_address(z, o->address, sizeof(o->address));
	c = n == uplink ? &sw.uplink : &sw.port[n->port].count;
	o->rules = n->policy->rule_count;
	o->allowed = c->allowed;
	o->denied = c->denied;
	o->tx_bytes = c->bytes_to_uplink;
	o->rx_bytes = c->bytes_to_zone;
	ticket_unlock(&net_lock);
}

unsigned zone_nic_rule(const struct zone *z, uint32_t i, char *buf, unsigned len)
{
	const struct zone_nic *nic;
	unsigned n = 0;

	ticket_lock(&net_lock);
	nic = nic_of(z);
	if (nic)
		n = (unsigned)policy_rule_text(nic->policy, i, buf, len);
	ticket_unlock(&net_lock);
	return n;
}

bool zone_nic_denials(const struct zone *z, struct deny_log *copy)
{
	const struct zone_nic *n;
	bool got = false;

	ticket_lock(&net_lock);
	n = nic_of(z);
	if (n && n->log) {
		zv_memcpy(copy, n->log, sizeof(*copy));
		got = true;
	}
	ticket_unlock(&net_lock);
	return got;
}

struct deny_log *zone_nic_take_denials(struct zone *z)
{
	struct deny_log *log = NULL;
	struct zone_nic *n;

	ticket_lock(&net_lock);
	n = nic_of(z);
	if (n) {
		log = n->log;
		n->log = NULL;
	}
	ticket_unlock(&net_lock);
	return log;
}
