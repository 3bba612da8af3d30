/*
 * The vsock relay: every zone's virtio-vsock device (zones/virtio/vsock.h)
 * and the streams between the control zone and each agent zone, by the rules
 * of zones/session/vsock_route.h (docs/sessions.md).
 *
 * Locking, as zones/net/nic.c's (all ticket locks, always in this order):
 *   tx_lock     per device: one sender at a time, so its packets keep order;
 *   relay_lock  the zones' devices, their tables, inboxes, held packets and
 *               the one bounce buffer (scratch) every packet passes through;
 *   dev_lock    per device: its virtio state (registers and rings).
 * A packet is copied out of its sender's ring under the sender's dev_lock,
 * which is dropped before the receiver's is taken to deliver it, so no CPU
 * holds two dev_locks.
 *
 * No agent zone may stall the control zone: a packet of the control zone's
 * that finds an agent's rx ring full waits in that agent's inbox (bounded;
 * when it is full the connection is reset on both sides), so the control
 * zone's tx ring always moves.  An agent's packet that finds the control
 * zone's rx ring full stays in the agent's tx ring ("held": its chain open,
 * virtio_vsock_tx_next takes no other) and the rest of that ring waits behind
 * it; the control zone's service delivers held packets once its driver posts
 * rx buffers, reading them from the agent's ring again.  The bounce buffer
 * and the inboxes are zeroed after each packet: secrets travel through them.
 */
#include "zones/session/vsock_relay.h"

#include "hv/console.h"
#include "hv/lib/string.h"
#include "hv/mem.h"
#include "hv/palloc.h"
#include "hv/spinlock.h"
#include "zones/audit/audit.h"
#include "zones/pci/pass.h"
#include "zones/platform/acpi/tables.h"
#include "zones/platform/irq.h"
#include "zones/session/vsock_inbox.h"
#include "zones/session/vsock_route.h"
#include "zones/virtio/vsock.h"
#include "zones/zone.h"

#define REFUSAL_REPORTS 16 /* lines per device about malformed chains */
#define RELAY_AGENTS	64 /* agent zones with a vsock device at once */

struct zone_vsock {
	struct virtio_vsock dev; /* under dev_lock */
	struct ticket_lock dev_lock;
	struct ticket_lock tx_lock;
	struct zone *zone;
	bool control;
	unsigned order;
	uint64_t resets_seen, refusals_seen; /* dev.stats when last looked at; under dev_lock */
	const char *why;		     /* a refusal not yet reported; under dev_lock */
	bool teardown;	    /* reset or refused: its connections are gone; under dev_lock */
	bool held;	    /* tx_hdr's packet waits for the control zone's rx ring; relay_lock */
	uint32_t held_done; /* payload bytes of the held packet delivered; relay_lock */
	struct vsock_conns conns; /* an agent's connections; relay_lock */
	uint64_t conns_reset;	  /* connections reset for want of room; relay_lock */
	struct vsock_inbox inbox; /* relay_lock */
	struct vsock_hdr tx_hdr;  /* the packet being relayed, or held; relay_lock */
};

_Static_assert(sizeof(struct zone_vsock) <= 32 * 1024, "a vsock device fits 32 KiB of pool");

static struct ticket_lock relay_lock;
static struct zone_vsock *control_vs;		/* relay_lock */
static struct zone_vsock *agents[RELAY_AGENTS]; /* relay_lock */
static uint32_t held_count;			/* agents with a held packet; relay_lock */
static uint8_t scratch[VSOCK_PAYLOAD_MAX];	/* the packet being relayed; relay_lock */
static const uint8_t no_payload[1];

static int mem_read(void *ctx, uint64_t gpa, void *dst, size_t len)
{
	return zone_read(ctx, gpa, dst, len);
}

static int mem_write(void *ctx, uint64_t gpa, const void *src, size_t len)
{
	return zone_write(ctx, gpa, src, len);
}

/* After the model ran: a refusal or reset to act on, and the interrupt line.  Under dev_lock. */
static void after_model(struct zone_vsock *v)
{
	const struct virtio_vsock_stats *s = &v->dev.stats;

	if (s->refused != v->refusals_seen) {
		if (v->refusals_seen < REFUSAL_REPORTS)
			v->why = virtio_vsock_refusal_text(v->dev.last_refusal);
		v->refusals_seen = s->refused;
		v->teardown = true;
	}
	if (s->resets != v->resets_seen) {
		v->resets_seen = s->resets;
		v->teardown = true;
	}
	zone_irq_set_line(v->zone, ZONE_VSOCK_GSI, virtio_vsock_irq_line(&v->dev));
}

/* A refusal on the console and in the audit log (device.refused); no lock held. */
static void report(struct zone_vsock *v)
{
	static struct audit_fields f; /* 1 KiB: not on the stack */
	static struct ticket_lock f_lock;
	struct audit_source src = {v->zone->name, v->zone->id};
	const char *why;

	if (!__atomic_load_n(&v->why, __ATOMIC_RELAXED))
		return;
	ticket_lock(&v->dev_lock);
	why = v->why;
	v->why = NULL;
	ticket_unlock(&v->dev_lock);
	if (!why)
		return;
	kprintf("zone %s: vsock refused %s; the device needs a reset\n", v->zone->name, why);
	ticket_lock(&f_lock);
	audit_fields_init(&f);
	audit_str(&f, "device", "vsock");
	audit_str(&f, "why", why);
	audit_append(&src, "device.refused", &f);
	ticket_unlock(&f_lock);
}

/* Into x's rx ring from payload[*done]: virtio_vsock_rx's 0, 1 or -1.  Under relay_lock. */
static int rx_into(struct zone_vsock *x, const struct vsock_hdr *h, const uint8_t *payload,
		   uint32_t len, uint32_t *done)
{
	int r;

	ticket_lock(&x->dev_lock);
	r = virtio_vsock_rx(&x->dev, h, payload, len, done);
	after_model(x);
	ticket_unlock(&x->dev_lock);
	return r;
}

/* To x: straight into its ring while nothing waits before it, the rest into
 * its inbox.  0, -1 (x's device is not live), -2 (no room).  Under relay_lock. */
static int deliver(struct zone_vsock *x, const struct vsock_hdr *h, const uint8_t *payload,
		   uint32_t len)
{
	uint32_t done = 0;
	int r;

	if (!x)
		return -1;
	if (vsock_inbox_empty(&x->inbox)) {
		r = rx_into(x, h, payload, len, &done);
		if (r <= 0)
			return r;
	}
	return vsock_inbox_put(&x->inbox, h, payload + done, len - done) ? 0 : -2;
}

/* Ends connection c of agent a on both sides.  Under relay_lock. */
static void reset_conn(struct zone_vsock *a, const struct vsock_conn *c)
{
	struct vsock_hdr r;

	vsock_rst_to_agent(a->dev.cid, c, &r);
	deliver(a, &r, no_payload, 0);
	vsock_rst_to_control(a->dev.cid, c, &r);
	deliver(control_vs, &r, no_payload, 0);
	a->conns_reset++;
}

static struct zone_vsock *agent_by_cid(uint64_t cid)
{
	for (unsigned i = 0; i < RELAY_AGENTS; i++)
		if (agents[i] && agents[i]->dev.cid == cid)
			return agents[i];
	return NULL;
}

/* The packet in the control zone's bounce buffer.  Under its tx_lock and relay_lock. */
static void from_control(struct zone_vsock *c)
{
	struct vsock_hdr *h = &c->tx_hdr, r;
	struct zone_vsock *a = agent_by_cid(h->dst_cid);
	struct vsock_conn k = {h->src_port, h->dst_port};

	switch (vsock_from_control(a ? &a->conns : NULL, h)) {
	case VSOCK_REFUSE:
		vsock_rst_for(h, &r);
		deliver(c, &r, no_payload, 0);
		break;
	case VSOCK_FORWARD:
		if (deliver(a, h, scratch, h->len) != 0 && h->op != VSOCK_OP_RST &&
		    vsock_conns_remove(&a->conns, k.control_port, k.agent_port))
			reset_conn(a, &k);
		break;
	default: break;
	}
}

static void set_held(struct zone_vsock *a, bool held)
{
	if (a->held != held)
		held_count += held ? 1 : (uint32_t)-1;
	a->held = held;
}

/* Gives a's open chain back (its packet went, or never will), zeroing the
 * scratch copy; outside a tx batch the interrupt goes now.  Under relay_lock. */
static void finish_agent_packet(struct zone_vsock *a, bool in_batch)
{
	ticket_lock(&a->dev_lock);
	virtio_vsock_tx_done(&a->dev);
	if (!in_batch)
		virtio_vsock_tx_end(&a->dev);
	after_model(a);
	ticket_unlock(&a->dev_lock);
	zv_memset(scratch, 0, a->tx_hdr.len);
}

/* Delivers agent a's forwarded packet (in scratch already when fresh, else
 * read again from its ring) to the control zone from held_done on; true
 * while some of it still waits for rx buffers.  Under relay_lock. */
static bool push_held(struct zone_vsock *a, bool fresh)
{
	struct vsock_hdr *h = &a->tx_hdr;
	struct vsock_conn k = {h->dst_port, h->src_port};
	int r;

	if (!fresh) {
		ticket_lock(&a->dev_lock);
		r = virtio_vsock_tx_reread(&a->dev, scratch);
		after_model(a);
		ticket_unlock(&a->dev_lock);
		if (r != 0) { /* a reset took the chain, or it was refused */
			zv_memset(scratch, 0, h->len);
			set_held(a, false);
			return false;
		}
	}
	r = control_vs ? rx_into(control_vs, h, scratch, h->len, &a->held_done) : -1;
	set_held(a, r == 1);
	if (r == 1) {
		zv_memset(scratch, 0, h->len);
		return true;
	}
	if (r < 0 && h->op != VSOCK_OP_RST &&
	    vsock_conns_remove(&a->conns, k.control_port, k.agent_port))
		reset_conn(a, &k);
	finish_agent_packet(a, fresh);
	return false;
}

/* The packet agent a sent, in scratch; true if it is held.  Under its tx_lock and relay_lock. */
static bool from_agent(struct zone_vsock *a)
{
	struct vsock_hdr *h = &a->tx_hdr, r;

	switch (vsock_from_agent(&a->conns, a->dev.cid, h)) {
	case VSOCK_REFUSE:
		vsock_rst_for(h, &r);
		deliver(a, &r, no_payload, 0);
		break;
	case VSOCK_FORWARD: a->held_done = 0; return push_held(a, true);
	default: break;
	}
	finish_agent_packet(a, true);
	return false;
}

/* Takes v's next packet into tx_hdr and scratch: false at the batch's end.
 * Under relay_lock. */
static bool take_packet(struct zone_vsock *v)
{
	uint64_t refused;
	bool got;

	ticket_lock(&v->dev_lock);
	refused = v->dev.stats.refused;
	got = virtio_vsock_tx_next(&v->dev, &v->tx_hdr, scratch) == 1;
	refused = v->dev.stats.refused - refused;
	if (!got)
		after_model(v);
	ticket_unlock(&v->dev_lock);
	if (refused) /* its payload copy may have begun */
		zv_memset(scratch, 0, sizeof(scratch));
	return got;
}

/* Relays the control zone's packet in scratch and gives its chain back.
 * Under its tx_lock and relay_lock. */
static void relay_control_packet(struct zone_vsock *c)
{
	from_control(c);
	ticket_lock(&c->dev_lock);
	virtio_vsock_tx_done(&c->dev);
	after_model(c);
	ticket_unlock(&c->dev_lock);
	zv_memset(scratch, 0, c->tx_hdr.len);
}

/* One batch of v's tx ring, each packet taken then relayed; true if any was
 * taken.  A held packet ends it: the ring waits behind it. */
static bool tx_batch(struct zone_vsock *v)
{
	bool took = false, held = false;

	ticket_lock(&v->tx_lock);
	ticket_lock(&v->dev_lock);
	virtio_vsock_tx_begin(&v->dev);
	ticket_unlock(&v->dev_lock);
	while (!held) {
		ticket_lock(&relay_lock);
		held = v->held || !take_packet(v);
		if (!held) {
			took = true;
			if (v->control)
				relay_control_packet(v);
			else
				held = from_agent(v);
		}
		ticket_unlock(&relay_lock);
	}
	ticket_unlock(&v->tx_lock);
	return took;
}

/* What waits in x's inbox, into its rx ring as far as it goes; true if
 * anything moved.  Under relay_lock. */
static bool flush_inbox(struct zone_vsock *x)
{
	struct vsock_hdr h;
	uint32_t most = 0;
	bool moved = false;

	while (vsock_inbox_front(&x->inbox, &h, scratch)) {
		uint32_t before = x->inbox.front_done;
		int r = rx_into(x, &h, scratch, h.len, &x->inbox.front_done);

		most = h.len > most ? h.len : most;
		moved |= r == 0 || (r == 1 && x->inbox.front_done != before);
		if (r == 1)
			break;
		if (r < 0) { /* not live: its teardown drops the rest */
			vsock_inbox_clear(&x->inbox);
			break;
		}
		vsock_inbox_pop(&x->inbox);
	}
	zv_memset(scratch, 0, most);
	return moved;
}

/* The agents' held packets, once the control zone posted rx buffers; true if
 * any moved.  Starts after the agent served last, so each gets its turn.
 * Under relay_lock. */
static bool retry_held(void)
{
	static unsigned next;
	bool moved = false;

	for (unsigned n = 0; n < RELAY_AGENTS && held_count; n++) {
		struct zone_vsock *a = agents[(next + n) % RELAY_AGENTS];
		uint32_t before;

		if (!a || !a->held)
			continue;
		before = a->held_done;
		if (push_held(a, false)) {
			moved |= a->held_done != before;
			next = (next + n) % RELAY_AGENTS;
			return moved;
		}
		moved = true;
	}
	return moved;
}

/* Drops a held packet: its chain goes back unsent.  Under relay_lock. */
static void drop_held(struct zone_vsock *a)
{
	if (!a->held)
		return;
	set_held(a, false);
	finish_agent_packet(a, false);
}

/* v's device was reset, refused a chain or goes away: its side of every
 * connection is gone, so the other side gets an RST for each.  Under relay_lock. */
static void teardown(struct zone_vsock *v)
{
	struct vsock_hdr r;

	vsock_inbox_clear(&v->inbox);
	if (!v->control) {
		for (uint32_t i = 0; i < v->conns.n; i++) {
			vsock_rst_to_control(v->dev.cid, &v->conns.c[i], &r);
			deliver(control_vs, &r, no_payload, 0);
		}
		v->conns.n = 0;
		drop_held(v);
		return;
	}
	for (unsigned i = 0; i < RELAY_AGENTS; i++) {
		struct zone_vsock *a = agents[i];

		if (!a)
			continue;
		for (uint32_t k = 0; k < a->conns.n; k++) {
			vsock_rst_to_agent(a->dev.cid, &a->conns.c[k], &r);
			deliver(a, &r, no_payload, 0);
		}
		a->conns.n = 0;
		drop_held(a); /* it was for the control zone's old driver */
	}
}

static enum io_result vsock_read(void *ctx, struct vcpu *vc, uint64_t offset, unsigned size,
				 uint64_t *value)
{
	struct zone_vsock *v = ctx;

	(void)vc;
	ticket_lock(&v->dev_lock);
	*value = virtio_vsock_mmio_read(&v->dev, offset, size);
	after_model(v);
	ticket_unlock(&v->dev_lock);
	return IO_DONE;
}

/* A notify only marks work: vsock_service does it at the zone's next entry. */
static enum io_result vsock_write(void *ctx, struct vcpu *vc, uint64_t offset, unsigned size,
				  uint64_t value)
{
	struct zone_vsock *v = ctx;

	(void)vc;
	ticket_lock(&v->dev_lock);
	virtio_vsock_mmio_write(&v->dev, offset, size, (uint32_t)value);
	after_model(v);
	ticket_unlock(&v->dev_lock);
	return IO_DONE;
}

/* z's device: the context of its window, which goes out under relay_lock. */
static struct zone_vsock *vsock_of(const struct zone *z)
{
	const struct io_range *r = io_map_find(&z->io, IO_MMIO, ZONE_VSOCK_GPA, 1);

	return r && r->read == vsock_read ? r->ctx : NULL;
}

static bool peek(const bool *flag)
{
	return __atomic_load_n(flag, __ATOMIC_RELAXED);
}

/* z's entry in its service list: a teardown, held packets, the inbox, one tx
 * batch.  True only if something moved (the HLT loop runs it until false). */
static bool vsock_service(void *zone)
{
	struct zone_vsock *v = vsock_of(zone);
	bool ran = false, down;

	if (!v)
		return false;
	ticket_lock(&v->dev_lock);
	down = v->teardown;
	v->teardown = false;
	ticket_unlock(&v->dev_lock);
	if (down || (peek(&v->dev.rx_posted) &&
		     (!vsock_inbox_empty(&v->inbox) ||
		      (v->control && __atomic_load_n(&held_count, __ATOMIC_RELAXED))))) {
		ticket_lock(&relay_lock);
		if (down)
			teardown(v);
		ran |= flush_inbox(v);
		if (v->control)
			ran |= retry_held();
		ticket_unlock(&relay_lock);
	}
	if (peek(&v->dev.tx_pending))
		ran |= tx_batch(v);
	report(v);
	return ran;
}

static void free_wiped(struct zone_vsock *v)
{
	unsigned order = v->order;

	zv_memset(v, 0, sizeof(*v));
	page_free((uint64_t)v, order); /* the hypervisor maps memory 1:1 */
}

/* Takes z's device out of the relay, the other side of its connections
 * told, and frees it: a destroy hook, after z's vCPUs stopped. */
static void vsock_detach(void *zone)
{
	struct zone *z = zone;
	struct zone_vsock *v;

	ticket_lock(&relay_lock);
	v = vsock_of(z);
	if (v) {
		teardown(v);
		if (v == control_vs)
			control_vs = NULL;
		for (unsigned i = 0; i < RELAY_AGENTS; i++)
			if (agents[i] == v)
				agents[i] = NULL;
		io_map_remove(&z->io, IO_MMIO, ZONE_VSOCK_GPA);
	}
	ticket_unlock(&relay_lock);
	if (v)
		free_wiped(v);
}

/* Puts v into the relay: 0, or -1 when its place is taken.  Under relay_lock. */
static int plug(struct zone_vsock *v)
{
	if (v->control) {
		if (control_vs)
			return -1;
		control_vs = v;
		return 0;
	}
	for (unsigned i = 0; i < RELAY_AGENTS; i++)
		if (!agents[i]) {
			agents[i] = v;
			return 0;
		}
	return -1;
}

static int check_window(struct zone *z, struct zv_err *err)
{
	if (!z->control && z->mem_bytes > ZONE_VSOCK_GPA)
		return zv_err_set(err, ZV_EINVAL, "memory reaches the vsock window");
	if (z->control && pci_pass_decodes(ZONE_VSOCK_GPA, ZONE_VSOCK_GPA + VIRTIO_MMIO_SIZE))
		return zv_err_set(err, ZV_EBUSY, "a PCI device decodes the vsock window");
	if (hook_list_add(&z->on_destroy, vsock_detach, z) != 0 ||
	    service_list_add(&z->services, vsock_service, z) != 0)
		return zv_err_set(err, ZV_ENOMEM, "the zone has too many devices");
	return 0;
}

int zone_vsock_attach(struct zone *z, struct zv_err *err)
{
	unsigned order = palloc_order_for(sizeof(struct zone_vsock));
	struct io_range win = {"virtio-vsock", ZONE_VSOCK_GPA, VIRTIO_MMIO_SIZE,
			       vsock_read,     vsock_write,    NULL};
	struct vq_mem mem = {mem_read, mem_write, z};
	struct zone_vsock *v;
	uint64_t pa;
	int placed;

	if (check_window(z, err) != 0)
		return -1;
	pa = page_alloc(order);
	if (!pa)
		return zv_err_set(err, ZV_ENOMEM, "no memory for the vsock device");
	v = phys_to_virt(pa);
	zv_memset(v, 0, sizeof(*v));
	v->zone = z;
	v->control = z->control;
	v->order = order;
	virtio_vsock_init(&v->dev, z->control ? VSOCK_CID_CONTROL : vsock_agent_cid(z->id), &mem);
	win.ctx = v;
	if (io_map_add(&z->io, IO_MMIO, &win) != 0) {
		free_wiped(v);
		return zv_err_set(err, ZV_ENOMEM, "no room in the zone's device registry");
	}
	ticket_lock(&relay_lock);
	placed = plug(v);
	if (placed != 0)
		io_map_remove(&z->io, IO_MMIO, ZONE_VSOCK_GPA);
	ticket_unlock(&relay_lock);
	if (placed != 0) {
		free_wiped(v);
		return zv_err_set(err, ZV_EBUSY, "the vsock relay is full (%d zones)",
				  RELAY_AGENTS);
	}
	return 0;
}

void zone_vsock_acpi(const struct zone *z, struct zone_acpi_config *c)
{
	if (!vsock_of(z) || c->virtio_count >= ZONE_ACPI_MAX_VIRTIO)
		return;
	c->virtio[c->virtio_count++] =
		(struct zone_acpi_virtio){ZONE_VSOCK_GPA, VIRTIO_MMIO_SIZE, ZONE_VSOCK_GSI};
}

uint32_t zone_vsock_cid(const struct zone *z)
{
	const struct zone_vsock *v;
	uint32_t cid;

	ticket_lock(&relay_lock); /* vsock_detach removes the window under it */
	v = vsock_of(z);
	cid = v ? (uint32_t)v->dev.cid : 0;
	ticket_unlock(&relay_lock);
	return cid;
}
