/*
 * zv-badvirtio: run as root inside an agent zone (test_network.py), it takes
 * the zone's NIC away from Linux and drives the virtio-mmio device itself
 * with malformed descriptor chains, one attack per device reset, then shows
 * that a reset device carries a well-formed frame again.
 *
 * usage: zv-badvirtio   (its address comes from zv_net= on the zone's command line)
 * One line per attack, "attack NAME: refused" when the device set
 * DEVICE_NEEDS_RESET and gave nothing back, else "attack NAME: NOT refused";
 * then "good-frame: ok" if the switch answered an ARP request sent after
 * the last reset.  Exit 0 when every line is as it should be.
 *
 *        zv-badvirtio --flood       (issue 16: tools/bench-net-flood)
 * Floods the NIC until the zone is stopped: a transmit ring of 256 entries,
 * all naming one chain of 64 descriptors that holds a 1514-byte UDP frame to
 * a denied address, notified again and again (the device reset whenever it
 * asks for one).  --flood-frames keeps the same ring full of well-formed
 * two-descriptor chains (the header, then the frame: Linux's shape), topping
 * up what the device returned before each notify.  --kick-empty runs the loop
 * with nothing in the ring.  --spin-cpuid leaves the NIC alone and executes
 * CPUID in a loop: a zone as busy, exiting all the time, that never touches
 * the network (the bench's reference).
 *
 * Register offsets and the ring layout: VIRTIO 1.1, sections 4.2.2 (MMIO
 * device register layout), 4.2.3.1 (initialization), 2.6 (split virtqueues).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define NIC_GPA	   0xfeb00000ul /* zones/net/nic.h: ZONE_NIC_GPA */
#define DRIVER_DIR "/sys/bus/platform/drivers/virtio-mmio"

/* 4.2.2 */
#define R_MAGIC		0x000
#define R_VERSION	0x004
#define R_DEVICE_ID	0x008
#define R_DEV_FEATURES	0x010
#define R_DEV_FEAT_SEL	0x014
#define R_DRV_FEATURES	0x020
#define R_DRV_FEAT_SEL	0x024
#define R_QUEUE_SEL	0x030
#define R_QUEUE_NUM_MAX 0x034
#define R_QUEUE_NUM	0x038
#define R_QUEUE_READY	0x044
#define R_QUEUE_NOTIFY	0x050
#define R_INT_STATUS	0x060
#define R_INT_ACK	0x064
#define R_STATUS	0x070
#define R_QUEUE_DESC	0x080
#define R_QUEUE_DRIVER	0x090
#define R_QUEUE_DEVICE	0x0a0
#define R_CONFIG	0x100 /* 5.1.4: virtio-net config, the MAC first */
#define MAGIC_VIRT	0x74726976u
#define S_ACKNOWLEDGE	1
#define S_DRIVER	2
#define S_DRIVER_OK	4
#define S_FEATURES_OK	8
#define S_NEEDS_RESET	0x40
#define F_NEXT		1
#define F_WRITE		2
#define F_INDIRECT	4
#define QSIZE		8
#define RXQ		0
#define TXQ		1
#define NET_HDR_LEN	12 /* 5.1.6: virtio_net_hdr with num_buffers (VERSION_1) */

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

struct avail {
	uint16_t flags, idx, ring[QSIZE], used_event;
};

struct used {
	uint16_t flags, idx;
	struct {
		uint32_t id, len;
	} ring[QSIZE];
	uint16_t avail_event;
};

/* One locked page per queue's rings and one per buffer, at known GPAs. */
struct page {
	uint8_t *va;
	uint64_t gpa;
};

struct queue {
	struct page rings; /* descriptors at 0, avail at 0x200, used at 0x400 */
	struct desc *desc;
	struct avail *avail;
	struct used *used;
};

static volatile uint32_t *regs;
static struct queue q[2];
static struct page txbuf, rxbuf;
static uint8_t mac[6];
static uint32_t my_ip;
static int failures;

static void die(const char *what)
{
	fprintf(stderr, "zv-badvirtio: %s: %s\n", what, strerror(errno));
	exit(2);
}

static uint32_t rd(unsigned off)
{
	return regs[off / 4];
}

static void wr(unsigned off, uint32_t v)
{
	__sync_synchronize(); /* ring writes before the register write that publishes them */
	regs[off / 4] = v;
}

static void wr64(unsigned off, uint64_t v)
{
	wr(off, (uint32_t)v);
	wr(off + 4, (uint32_t)(v >> 32));
}

/* Takes the device from Linux's virtio-mmio driver (a device is a symlink there). */
static void unbind_driver(void)
{
	DIR *d = opendir(DRIVER_DIR);
	struct dirent *e;
	int done = 0;

	if (!d)
		die(DRIVER_DIR);
	while ((e = readdir(d))) {
		FILE *f;

		if (e->d_type != DT_LNK || strcmp(e->d_name, "module") == 0)
			continue;
		f = fopen(DRIVER_DIR "/unbind", "w");
		if (!f || fprintf(f, "%s", e->d_name) < 0 || fclose(f) != 0)
			die("unbind");
		done = 1;
	}
	closedir(d);
	if (!done) {
		errno = ENODEV;
		die("no device bound to virtio-mmio");
	}
}

static void map_registers(void)
{
	int fd = open("/dev/mem", O_RDWR | O_SYNC);
	void *m;

	if (fd < 0)
		die("/dev/mem");
	m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, NIC_GPA);
	if (m == MAP_FAILED)
		die("mmap of the NIC's registers");
	regs = m;
	if (rd(R_MAGIC) != MAGIC_VIRT || rd(R_VERSION) != 2 || rd(R_DEVICE_ID) != 1) {
		errno = ENODEV;
		die("no virtio-mmio version 2 network device at 0xfeb00000");
	}
	for (unsigned i = 0; i < 6;
	     i++) /* the port's pinned MAC: frames from another are dropped */
		mac[i] = ((volatile uint8_t *)regs)[R_CONFIG + i];
}

/* A page of ours, locked, zeroed, and its guest-physical address from pagemap. */
static struct page locked_page(void)
{
	struct page p;
	uint64_t entry;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	p.va = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p.va == MAP_FAILED || mlock(p.va, 4096) != 0)
		die("a locked page");
	memset(p.va, 0, 4096);
	if (fd < 0 || pread(fd, &entry, 8, (off_t)((uintptr_t)p.va / 4096 * 8)) != 8)
		die("/proc/self/pagemap");
	close(fd);
	if (!(entry >> 63) || !(entry & ((1ull << 55) - 1))) {
		errno = EPERM;
		die("no PFN in pagemap (needs root)");
	}
	p.gpa = (entry & ((1ull << 55) - 1)) * 4096;
	return p;
}

static void setup_queue_sized(unsigned i, uint32_t size, uint64_t desc, uint64_t avail,
			      uint64_t used)
{
	wr(R_QUEUE_SEL, i);
	if (rd(R_QUEUE_NUM_MAX) < size) {
		errno = EINVAL;
		die("queue too small");
	}
	wr(R_QUEUE_NUM, size);
	wr64(R_QUEUE_DESC, desc);
	wr64(R_QUEUE_DRIVER, avail);
	wr64(R_QUEUE_DEVICE, used);
	wr(R_QUEUE_READY, 1);
}

static void setup_queue(unsigned i, uint64_t desc, uint64_t avail, uint64_t used)
{
	setup_queue_sized(i, QSIZE, desc, avail, used);
}

/* 4.2.3.1 up to FEATURES_OK: reset, then features (VERSION_1 only). */
static void reset_and_negotiate(void)
{
	wr(R_STATUS, 0);
	if (rd(R_STATUS) != 0) {
		errno = EIO;
		die("the device did not reset");
	}
	for (unsigned i = 0; i < 2; i++)
		memset(q[i].rings.va, 0, 4096);
	wr(R_STATUS, S_ACKNOWLEDGE);
	wr(R_STATUS, S_ACKNOWLEDGE | S_DRIVER);
	wr(R_DEV_FEAT_SEL, 1);
	if (!(rd(R_DEV_FEATURES) & 1)) {
		errno = ENOTSUP;
		die("no VIRTIO_F_VERSION_1");
	}
	wr(R_DRV_FEAT_SEL, 0);
	wr(R_DRV_FEATURES, 0);
	wr(R_DRV_FEAT_SEL, 1);
	wr(R_DRV_FEATURES, 1);
	wr(R_STATUS, S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK);
	if (!(rd(R_STATUS) & S_FEATURES_OK)) {
		errno = ENOTSUP;
		die("FEATURES_OK refused");
	}
}

/* 4.2.3.1: reset, features, both queues, DRIVER_OK.  The transmit queue's
 * rings may be placed elsewhere (the rings attack). */
static void reset_and_start(uint64_t tx_rings)
{
	reset_and_negotiate();
	setup_queue(RXQ, q[RXQ].rings.gpa, q[RXQ].rings.gpa + 0x200, q[RXQ].rings.gpa + 0x400);
	setup_queue(TXQ, tx_rings, tx_rings + 0x200, tx_rings + 0x400);
	wr(R_STATUS, S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
}

/* Publishes head on queue i's available ring, idx_step entries on. */
static void post(unsigned i, uint16_t head, uint16_t idx_step)
{
	struct avail *a = q[i].avail;

	a->ring[a->idx % QSIZE] = head;
	__sync_synchronize();
	a->idx = (uint16_t)(a->idx + idx_step);
	wr(R_QUEUE_NOTIFY, i);
}

/* An ARP request from us for the gateway, with its virtio_net_hdr, in txbuf. */
static uint32_t arp_request(void)
{
	uint8_t *f = txbuf.va + NET_HDR_LEN;
	uint32_t gw = htonl(0x0a4d0001);

	memset(txbuf.va, 0, NET_HDR_LEN + 60);
	memset(f, 0xff, 6);
	memcpy(f + 6, mac, 6);
	f[12] = 0x08, f[13] = 0x06;		    /* ARP */
	f[14] = 0, f[15] = 1, f[16] = 8, f[17] = 0; /* Ethernet, IPv4 */
	f[18] = 6, f[19] = 4, f[20] = 0, f[21] = 1; /* request */
	memcpy(f + 22, mac, 6);
	memcpy(f + 28, &my_ip, 4);
	memcpy(f + 38, &gw, 4);
	return NET_HDR_LEN + 60;
}

static void sleep_ms(long ms)
{
	struct timespec t = {ms / 1000, ms % 1000 * 1000000L};

	nanosleep(&t, NULL);
}

/* After an attack: refused = NEEDS_RESET set and no used entry on the attacked queue. */
static void judge(const char *name, unsigned attacked)
{
	int refused;

	sleep_ms(50);
	refused = (rd(R_STATUS) & S_NEEDS_RESET) && q[attacked].used->idx == 0;
	printf("attack %s: %s\n", name, refused ? "refused" : "NOT refused");
	fflush(stdout);
	failures += !refused;
	wr(R_INT_ACK, rd(R_INT_STATUS));
}

/* Sends a one-descriptor tx chain with one field set wrong. */
static void tx_one(const char *name, uint64_t addr, uint32_t len, uint16_t flags)
{
	reset_and_start(q[TXQ].rings.gpa);
	q[TXQ].desc[0] = (struct desc){addr, len, flags, 0};
	post(TXQ, 0, 1);
	judge(name, TXQ);
}

static void attack_chains(void)
{
	uint32_t frame = arp_request();

	tx_one("out-of-zone", 1ull << 40, frame, 0);
	tx_one("mmio-address", NIC_GPA, frame, 0);
	tx_one("wrapping-address", ~0ull - 15, frame, 0);
	tx_one("huge-length", txbuf.gpa, 0x7fffffff, 0);
	tx_one("zero-length", txbuf.gpa, 0, 0);
	tx_one("short-frame", txbuf.gpa, NET_HDR_LEN + 5, 0);
	tx_one("tx-write-segment", txbuf.gpa, frame, F_WRITE);
	tx_one("indirect", txbuf.gpa, 16, F_INDIRECT);
	tx_one("undefined-flag", txbuf.gpa, frame, 0x80);

	reset_and_start(q[TXQ].rings.gpa); /* 0 -> 1 -> 0 -> ... */
	q[TXQ].desc[0] = (struct desc){txbuf.gpa, 20, F_NEXT, 1};
	q[TXQ].desc[1] = (struct desc){txbuf.gpa + 20, 20, F_NEXT, 0};
	post(TXQ, 0, 1);
	judge("loop", TXQ);

	reset_and_start(q[TXQ].rings.gpa);
	q[TXQ].desc[0] = (struct desc){txbuf.gpa, 20, F_NEXT, 100};
	post(TXQ, 0, 1);
	judge("next-out-of-range", TXQ);

	reset_and_start(q[TXQ].rings.gpa);
	q[TXQ].desc[0] = (struct desc){txbuf.gpa, frame, 0, 0};
	post(TXQ, 200, 1);
	judge("head-out-of-range", TXQ);

	reset_and_start(q[TXQ].rings.gpa);
	q[TXQ].desc[0] = (struct desc){txbuf.gpa, frame, 0, 0};
	post(TXQ, 0, 1000);
	judge("avail-index-jump", TXQ);

	reset_and_start(q[TXQ].rings.gpa);
	txbuf.va[0] = 1; /* 5.1.6: VIRTIO_NET_HDR_F_NEEDS_CSUM, never offered */
	q[TXQ].desc[0] = (struct desc){txbuf.gpa, frame, 0, 0};
	post(TXQ, 0, 1);
	judge("offload-header", TXQ);
	txbuf.va[0] = 0;

	reset_and_start(1ull << 40); /* the rings themselves outside the zone */
	post(TXQ, 0, 1);	     /* (this avail ring is not the device's) */
	judge("rings-out-of-zone", RXQ);

	/* A receive buffer the device may not write (no F_WRITE): refused when
	 * the switch's ARP reply arrives for it. */
	reset_and_start(q[TXQ].rings.gpa);
	q[RXQ].desc[0] = (struct desc){rxbuf.gpa, 4096, 0, 0};
	post(RXQ, 0, 1);
	q[TXQ].desc[0] = (struct desc){txbuf.gpa, frame, 0, 0};
	post(TXQ, 0, 1);
	judge("rx-readable-buffer", RXQ);
}

/* A reset device works again: the switch answers our ARP request. */
static void good_frame(void)
{
	const uint8_t *r = rxbuf.va + NET_HDR_LEN;
	uint32_t frame = arp_request();

	reset_and_start(q[TXQ].rings.gpa);
	memset(rxbuf.va, 0, 4096);
	q[RXQ].desc[0] = (struct desc){rxbuf.gpa, 4096, F_WRITE, 0};
	post(RXQ, 0, 1);
	q[TXQ].desc[0] = (struct desc){txbuf.gpa, frame, 0, 0};
	post(TXQ, 0, 1);
	for (int i = 0; i < 200 && q[RXQ].used->idx == 0; i++)
		sleep_ms(10);
	if (q[RXQ].used->idx == 1 && q[TXQ].used->idx == 1 && !(rd(R_STATUS) & S_NEEDS_RESET) &&
	    r[12] == 0x08 && r[13] == 0x06 && r[21] == 2 && memcmp(r, mac, 6) == 0) {
		printf("good-frame: ok (ARP reply from %02x:%02x:%02x:%02x:%02x:%02x)\n", r[6],
		       r[7], r[8], r[9], r[10], r[11]);
	} else {
		printf("good-frame: failed (rx used %u, tx used %u, status 0x%x)\n",
		       q[RXQ].used->idx, q[TXQ].used->idx, rd(R_STATUS));
		failures++;
	}
	wr(R_STATUS, 0);
}

/* ---- the flood (issue 16, section 5) ---------------------------------------- */
#define FLOOD_QSIZE 256 /* zones/virtio/net.h: VIRTIO_NET_QUEUE_MAX */
#define FLOOD_SEGS  64	/* descriptors in the one chain every entry names */
#define FLOOD_FRAME 1514
#define FLOOD_DEST  0xc6336401u /* 198.51.100.1 (RFC 5737 TEST-NET-2): no rule admits it */

static struct page flood_desc, flood_avail, flood_used; /* a page each: used is 2054 bytes */

/* RFC 1071: the ones' complement sum of the IPv4 header. */
static uint16_t ip_checksum(const uint8_t *h, unsigned len)
{
	uint32_t sum = 0;

	for (unsigned i = 0; i < len; i += 2)
		sum += (uint32_t)h[i] << 8 | h[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* A 1514-byte UDP frame from us to FLOOD_DEST, with its header, in txbuf;
 * segs descriptors: 24-byte pieces (the last is longer or shorter). */
static void flood_chain(unsigned segs)
{
	uint8_t *f = txbuf.va + NET_HDR_LEN, *ip = f + 14;
	struct desc *d = (struct desc *)flood_desc.va;
	uint32_t dst = htonl(FLOOD_DEST), total = NET_HDR_LEN + FLOOD_FRAME;
	uint16_t sum;

	memset(txbuf.va, 0, 4096);
	memcpy(f, "\x02\x5a\x56\x00\x00\x01", 6); /* the gateway */
	memcpy(f + 6, mac, 6);
	f[12] = 0x08, f[13] = 0x00;
	ip[0] = 0x45, ip[2] = (FLOOD_FRAME - 14) >> 8, ip[3] = (FLOOD_FRAME - 14) & 0xff;
	ip[8] = 64, ip[9] = 17; /* TTL, UDP */
	memcpy(ip + 12, &my_ip, 4);
	memcpy(ip + 16, &dst, 4);
	sum = ip_checksum(ip, 20);
	ip[10] = sum >> 8, ip[11] = sum & 0xff;
	ip[21] = 9, ip[23] = 9; /* UDP ports 9 (discard) */
	ip[24] = (FLOOD_FRAME - 34) >> 8, ip[25] = (FLOOD_FRAME - 34) & 0xff;
	for (unsigned i = 0; i < segs; i++) {
		uint32_t at = 24 * i, len = i + 1 < segs ? 24 : total - at;

		d[i] = (struct desc){txbuf.gpa + at, len, i + 1 < segs ? F_NEXT : 0,
				     (uint16_t)(i + 1)};
	}
}

static void flood_start(void)
{
	reset_and_negotiate();
	memset(flood_avail.va, 0, 4096);
	memset(flood_used.va, 0, 4096);
	setup_queue(RXQ, q[RXQ].rings.gpa, q[RXQ].rings.gpa + 0x200, q[RXQ].rings.gpa + 0x400);
	setup_queue_sized(TXQ, FLOOD_QSIZE, flood_desc.gpa, flood_avail.gpa, flood_used.gpa);
	wr(R_STATUS, S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
}

/* Entries to post before the next notify: all 256 for the long-chain flood
 * (a device that took them all is ready for more; one that did not will ask
 * for a reset), only what came back for the well-formed one. */
static unsigned flood_room(int mode, uint16_t avail_idx)
{
	uint16_t used_idx = *(volatile uint16_t *)(flood_used.va + 2);

	if (mode == 0)
		return 0;
	if (mode == 1)
		return FLOOD_QSIZE;
	return FLOOD_QSIZE - (uint16_t)(avail_idx - used_idx);
}

/* Notifies for ever.  mode 0: an empty ring; 1: 256 entries naming the
 * 64-descriptor chain each time; 2: the ring kept full of 2-descriptor chains. */
static void flood(int mode)
{
	volatile uint16_t *avail_idx;
	uint16_t *ring;

	flood_desc = locked_page();
	flood_avail = locked_page();
	flood_used = locked_page();
	avail_idx = (volatile uint16_t *)(flood_avail.va + 2);
	ring = (uint16_t *)(flood_avail.va + 4);
	flood_chain(mode == 2 ? 2 : FLOOD_SEGS);
	flood_start();
	printf("flood: %s\n", mode == 0 ? "kicking an empty ring" : "running");
	fflush(stdout);
	for (;;) {
		unsigned room;

		if (rd(R_STATUS) & S_NEEDS_RESET)
			flood_start(); /* zeroes the rings: avail idx from 0 again */
		room = flood_room(mode, *avail_idx);
		for (unsigned i = 0; i < room; i++)
			ring[(uint16_t)(*avail_idx + i) % FLOOD_QSIZE] = 0;
		__sync_synchronize();
		*avail_idx = (uint16_t)(*avail_idx + room);
		wr(R_QUEUE_NOTIFY, TXQ);
	}
}

/* Busy for ever with an exit per iteration (CPUID is intercepted), no device touched. */
static void spin_cpuid(void)
{
	printf("flood: spinning on cpuid\n");
	fflush(stdout);
	for (;;) {
		uint32_t a = 0, b, c = 0, d;

		__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	}
}

/* The zone's address, from zv_net=10.77.0.N on its command line (zones/load/linux.c). */
static uint32_t zone_address(void)
{
	char line[4096], *at;
	struct in_addr ip;
	FILE *f = fopen("/proc/cmdline", "r");
	size_t n;

	if (!f)
		die("/proc/cmdline");
	n = fread(line, 1, sizeof(line) - 1, f);
	fclose(f);
	line[n] = '\0';
	at = strstr(line, "zv_net=");
	if (at) {
		at += 7;
		at[strcspn(at, " \n")] = '\0';
	}
	if (!at || inet_aton(at, &ip) == 0) {
		errno = EINVAL;
		die("no zv_net=ADDRESS on the command line");
	}
	return ip.s_addr;
}

int main(int argc, char **argv)
{
	static const char *const modes[] = {"--kick-empty", "--flood", "--flood-frames"};
	int flood_mode = -1;

	for (int i = 0; i < 3 && argc > 1; i++)
		if (strcmp(argv[1], modes[i]) == 0)
			flood_mode = i;

	if (argc > 1 && strcmp(argv[1], "--spin-cpuid") == 0)
		spin_cpuid();
	my_ip = zone_address();
	unbind_driver();
	map_registers();
	for (unsigned i = 0; i < 2; i++) {
		q[i].rings = locked_page();
		q[i].desc = (struct desc *)q[i].rings.va;
		q[i].avail = (struct avail *)(q[i].rings.va + 0x200);
		q[i].used = (struct used *)(q[i].rings.va + 0x400);
	}
	txbuf = locked_page();
	rxbuf = locked_page();
	if (flood_mode >= 0)
		flood(flood_mode);
	attack_chains();
	good_frame();
	printf("zv-badvirtio: %d failures\n", failures);
	return failures ? 1 : 0;
}
