/* Agent-zone NICs: the virtio-net model (zones/virtio/net.h) wired to the zone and the switch. */
#include "zones/nic.h"
#include "hv/console.h"
#include "hv/lib/fmt.h"
#include "hv/lib/string.h"
#include "hv/mem.h"
#include "hv/palloc.h"
#include "hv/spinlock.h"
#include "hv/time.h"
#include "zones/acpi_build.h"
#include "zones/irq.h"
#include "zones/net/switch.h"
#include "zones/virtio/net.h"
#include "zones/zone.h"

#define DENY_REPORTS 256 /* console lines per zone; the counters go on */

struct zone_nic {
	struct virtio_net dev;
	struct spinlock lock; /* the device: its vCPUs' accesses */
	struct zone *zone;
	int port;
	uint64_t deny_reports;
	unsigned order; /* pages of this struct */
};

/* One switch for the host; every frame passes it under switch_lock. */
static struct net_switch sw;
static struct spinlock switch_lock;
static struct switch_out out;
static bool switch_ready;
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
	policy_init(&deny_all, time_ns());
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

static void update_irq(struct zone_nic *n)
{
	zone_irq_set_line(n->zone, ZONE_NIC_GSI, virtio_net_irq_line(&n->dev));
}

static void report_deny(struct zone_nic *n, const struct switch_out *o)
{
	char line[SWITCH_DENY_LINE_MAX];

	if (n->deny_reports++ >= DENY_REPORTS)
		return;
	switch_format_deny(o, line, sizeof(line));
	kprintf("zone %s: %s\n", n->zone->name, line);
	if (n->deny_reports == DENY_REPORTS)
		kprintf("zone %s: further denials are counted, not printed\n", n->zone->name);
}

/* A frame the zone sent: the switch decides.  Called with n->lock held. */
static void on_tx(void *ctx, const uint8_t *frame, size_t len)
{
	struct zone_nic *n = ctx;
	enum switch_action a;

	spin_lock(&switch_lock);
	a = switch_from_agent(&sw, (unsigned)n->port, frame, len, now_ms(), &out);
	if (a == SWITCH_REPLY)
		virtio_net_receive(&n->dev, out.reply, out.reply_len);
	if (out.reason != SWITCH_PASS) /* dropped, or refused with a reply */
		report_deny(n, &out);
	/* SWITCH_TO_UPLINK: the control zone's uplink port is not built yet,
	 * so what the policy admits goes nowhere (docs/network.md). */
	spin_unlock(&switch_lock);
}

static uint64_t nic_read(void *ctx, uint64_t offset, unsigned size)
{
	struct zone_nic *n = ctx;
	uint32_t v;

	spin_lock(&n->lock);
	v = virtio_net_mmio_read(&n->dev, offset, size);
	update_irq(n);
	spin_unlock(&n->lock);
	return v;
}

static void nic_write(void *ctx, uint64_t offset, unsigned size, uint64_t value)
{
	struct zone_nic *n = ctx;

	spin_lock(&n->lock);
	virtio_net_mmio_write(&n->dev, offset, size, (uint32_t)value);
	update_irq(n);
	spin_unlock(&n->lock);
}

static void port_mac(int port, uint8_t mac[6])
{
	static const uint8_t prefix[4] = {0x02, 0x5a, 0x56, 0x01}; /* locally administered */

	zv_memcpy(mac, prefix, 4);
	mac[4] = (uint8_t)(port >> 8);
	mac[5] = (uint8_t)port;
}

static int plug(void)
{
	uint8_t mac[6];
	int port = -1;

	spin_lock(&switch_lock);
	switch_setup();
	for (int p = 0; p < SWITCH_MAX_PORTS && port < 0; p++) {
		port_mac(p, mac);
		port = switch_add_port(&sw, mac, ZONE_NET | (uint32_t)(ZONE_NET_FIRST_HOST + p),
				       &deny_all);
	}
	spin_unlock(&switch_lock);
	return port;
}

int zone_nic_attach(struct zone *z, const char **why)
{
	unsigned order = palloc_order_for(sizeof(struct zone_nic));
	struct vq_mem mem = {mem_read, mem_write, z};
	struct zone_nic *n;
	uint64_t pa;
	uint8_t mac[6];

	if (z->mem_bytes > ZONE_NIC_GPA) {
		*why = "memory reaches the NIC's window";
		return -1;
	}
	pa = page_alloc(order);
	if (!pa) {
		*why = "no memory for the NIC";
		return -1;
	}
	n = phys_to_virt(pa);
	zv_memset(n, 0, sizeof(*n));
	n->zone = z;
	n->order = order;
	n->port = plug();
	if (n->port < 0) {
		page_free(pa, order);
		*why = "no free switch port";
		return -1;
	}
	port_mac(n->port, mac);
	virtio_net_init(&n->dev, mac, &mem, on_tx, n);
	z->nic = n;
	z->nic_window = (struct mmio_device){"virtio-net", ZONE_NIC_GPA, VIRTIO_MMIO_SIZE,
					     nic_read,	   nic_write,	 n};
	return 0;
}

void zone_nic_detach(struct zone *z)
{
	struct zone_nic *n = z->nic;
	unsigned order;

	if (!n)
		return;
	spin_lock(&switch_lock);
	switch_remove_port(&sw, (unsigned)n->port);
	spin_unlock(&switch_lock);
	z->nic = NULL;
	z->nic_window.size = 0;
	order = n->order;
	zv_memset(n, 0, sizeof(*n));
	page_free((uint64_t)n, order); /* the hypervisor maps memory 1:1 */
}

void zone_nic_acpi(const struct zone *z, struct zone_acpi_config *c)
{
	if (!z->nic)
		return;
	c->virtio[0] = (struct zone_acpi_virtio){ZONE_NIC_GPA, VIRTIO_MMIO_SIZE, ZONE_NIC_GSI};
	c->virtio_count = 1;
}

void zone_nic_address(const struct zone *z, char *buf, unsigned len)
{
	uint32_t ip = ZONE_NET | (uint32_t)(ZONE_NET_FIRST_HOST + z->nic->port);

	zv_snprintf(buf, len, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff,
		    ip & 0xff);
}
