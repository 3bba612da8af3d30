/*
 * zv-badblk: run as root inside an agent zone (test_images.py), it takes the
 * zone's first virtio-blk device (the read-only image, disk 0) away from
 * Linux and drives the virtio-mmio device itself: well-formed reads, then
 * malformed requests, one per device reset, then a read that must match the
 * first.  The zone's initramfs must not have mounted the disk (test_images.py
 * gives it one whose /etc/zv/modules leaves virtio_blk out).
 *
 * usage: zv-badblk [ADDRESS...]
 * ADDRESS: more places past the zone's memory (the hypervisor's image, a
 * neighbour's memory, as host addresses) to read into and take a header from.
 * One line per request, "request NAME: OUTCOME (expected WANT)", OUTCOME one
 * of ok, ioerr, unsupp (the status byte the device wrote: VIRTIO 1.1 5.2.6),
 * "status N" (another byte), reset (DEVICE_NEEDS_RESET set and nothing in
 * the used ring), not-ready (QueueReady stayed 0), or "no answer".  Then
 * "zv-badblk: N failures"; exit 0 when every outcome is the one expected.
 *
 *        zv-badblk --flood [SECONDS]      (0 or none: until the zone stops)
 * Keeps the 128-entry queue full of 16 KiB reads, topping up what the device
 * returned before each notify.  --flood-bad [SECONDS] posts a chain whose
 * header the device may write (refused), resets, and again.
 *
 * Register offsets and the ring layout: VIRTIO 1.1, sections 4.2.2 (MMIO
 * device register layout), 4.2.3.1 (initialization), 2.6 (split virtqueues),
 * 5.2 (block device).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define BLK_GPA	   0xfeb01000ul /* zones/storage/blk.h: ZONE_BLK_GPA, disk 0 */
#define NIC_GPA	   0xfeb00000ul /* zones/net/nic.h: ZONE_NIC_GPA */
#define LAPIC_GPA  0xfee00000ul
#define FAR_GPA	   (1ull << 40) /* far past any zone's memory */
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
#define R_CONFIG	0x100 /* 5.2.4: capacity (le64), size_max, seg_max */
#define MAGIC_VIRT	0x74726976u
#define S_ACKNOWLEDGE	1
#define S_DRIVER	2
#define S_DRIVER_OK	4
#define S_FEATURES_OK	8
#define S_NEEDS_RESET	0x40
#define F_NEXT		1
#define F_WRITE		2
#define F_INDIRECT	4
#define F_RO		(1u << 5) /* 5.2.3: VIRTIO_BLK_F_RO */
#define QSIZE		128	  /* zones/virtio/blk.h: VIRTIO_BLK_QUEUE_MAX */
#define NDATA		8	  /* data pages */

/* 5.2.6 */
#define T_IN	    0
#define T_OUT	    1
#define T_FLUSH	    4
#define T_GET_ID    8
#define EROFS_MAGIC 0xe0f5e1e2u /* the erofs superblock's magic, at byte 1024 */

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

struct page {
	uint8_t *va;
	uint64_t gpa;
};

static volatile uint32_t *regs;
static struct page ring, used_page, hdr, st, data[NDATA];
static struct desc *desc;	    /* ring.va: 128 descriptors, 2 KiB */
static volatile uint16_t *avail;    /* ring.va + 2048: flags, idx, ring[128] */
static volatile uint16_t *used_idx; /* used_page.va + 2 */
static volatile uint8_t
	*status_byte; /* where the request's last writable byte is: st.va unless moved */
static uint64_t capacity, ram_end;
static int failures;

static void die(const char *what)
{
	fprintf(stderr, "zv-badblk: %s: %s\n", what, strerror(errno));
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

static void sleep_ms(long ms)
{
	struct timespec t = {ms / 1000, ms % 1000 * 1000000L};

	nanosleep(&t, NULL);
}

/* /proc/iomem: the device that claimed disk 0's window (its name after " : "),
 * and the end of the zone's RAM (the last "System RAM" line). */
static void read_iomem(char *dev, size_t devlen)
{
	char line[256];
	FILE *f = fopen("/proc/iomem", "r");

	if (!f)
		die("/proc/iomem");
	dev[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi;
		char *name = strstr(line, " : ");

		if (!name || sscanf(line, " %llx-%llx", &lo, &hi) != 2)
			continue;
		name += 3;
		name[strcspn(name, "\n")] = '\0';
		if (strcmp(name, "System RAM") == 0 && hi + 1 > ram_end)
			ram_end = hi + 1;
		if (lo == BLK_GPA && !dev[0] && strchr(name, ':'))
			snprintf(dev, devlen, "%s", name);
	}
	fclose(f);
}

/* Takes disk 0 from Linux's virtio-mmio driver, if it has it. */
static void unbind_driver(void)
{
	char dev[128], path[300];
	FILE *f;

	read_iomem(dev, sizeof(dev));
	if (!ram_end) {
		errno = ENOENT;
		die("no System RAM in /proc/iomem (needs root)");
	}
	snprintf(path, sizeof(path), DRIVER_DIR "/%s", dev);
	if (!dev[0] || access(path, F_OK) != 0)
		return; /* unclaimed: nothing to take */
	f = fopen(DRIVER_DIR "/unbind", "w");
	if (!f || fprintf(f, "%s", dev) < 0 || fclose(f) != 0)
		die("unbind");
}

static void map_registers(void)
{
	int fd = open("/dev/mem", O_RDWR | O_SYNC);
	void *m;

	if (fd < 0)
		die("/dev/mem");
	m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, BLK_GPA);
	if (m == MAP_FAILED)
		die("mmap of the disk's registers");
	regs = m;
	if (rd(R_MAGIC) != MAGIC_VIRT || rd(R_VERSION) != 2 || rd(R_DEVICE_ID) != 2) {
		errno = ENODEV;
		die("no virtio-mmio version 2 block device at 0xfeb01000");
	}
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

/* 4.2.3.1: reset, VERSION_1 only, the queue (size and rings as given), and
 * DRIVER_OK.  Returns whether QueueReady took. */
static int start_queue(uint32_t size, uint64_t d, uint64_t a, uint64_t u)
{
	int ready;

	wr(R_STATUS, 0);
	if (rd(R_STATUS) != 0) {
		errno = EIO;
		die("the device did not reset");
	}
	memset(ring.va, 0, 4096);
	memset(used_page.va, 0, 4096);
	wr(R_STATUS, S_ACKNOWLEDGE);
	wr(R_STATUS, S_ACKNOWLEDGE | S_DRIVER);
	wr(R_DRV_FEAT_SEL, 0);
	wr(R_DRV_FEATURES, 0);
	wr(R_DRV_FEAT_SEL, 1);
	wr(R_DRV_FEATURES, 1); /* VIRTIO_F_VERSION_1 */
	wr(R_STATUS, S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK);
	if (!(rd(R_STATUS) & S_FEATURES_OK)) {
		errno = ENOTSUP;
		die("FEATURES_OK refused");
	}
	wr(R_QUEUE_SEL, 0);
	if (rd(R_QUEUE_NUM_MAX) < QSIZE) {
		errno = EINVAL;
		die("queue too small");
	}
	wr(R_QUEUE_NUM, size);
	wr64(R_QUEUE_DESC, d);
	wr64(R_QUEUE_DRIVER, a);
	wr64(R_QUEUE_DEVICE, u);
	wr(R_QUEUE_READY, 1);
	ready = rd(R_QUEUE_READY) == 1;
	wr(R_STATUS, S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
	return ready;
}

static void start(void)
{
	if (!start_queue(QSIZE, ring.gpa, ring.gpa + 2048, used_page.gpa)) {
		errno = EIO;
		die("the queue did not become ready");
	}
}

static void read_config(void)
{
	uint32_t size_max, seg_max, ro;

	wr(R_DEV_FEAT_SEL, 0);
	ro = rd(R_DEV_FEATURES) & F_RO;
	capacity = rd(R_CONFIG) | (uint64_t)rd(R_CONFIG + 4) << 32;
	size_max = rd(R_CONFIG + 8);
	seg_max = rd(R_CONFIG + 12);
	printf("disk: %llu sectors, size_max %u, seg_max %u, %s\n", (unsigned long long)capacity,
	       size_max, seg_max, ro ? "read-only" : "read-write");
	if (seg_max != 62 || size_max != 16384 || !ro || !capacity) {
		printf("disk: NOT the read-only image with seg_max 62 and size_max 16384\n");
		failures++;
	}
}

/* ---- one request ------------------------------------------------------------ */

struct seg {
	uint64_t gpa;
	uint32_t len;
	uint16_t flags;
};

static void header(uint32_t type, uint64_t sector)
{
	memset(hdr.va, 0, 16);
	memcpy(hdr.va, &type, 4);
	memcpy(hdr.va + 8, &sector, 8);
}

/* Descriptors 0..n-1 chained in order (NEXT on all but the last). */
static void chain(const struct seg *s, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		desc[i] = (struct desc){s[i].gpa, s[i].len,
					(uint16_t)(s[i].flags | (i + 1 < n ? F_NEXT : 0)),
					(uint16_t)(i + 1 < n ? i + 1 : 0)};
}

/* Publishes head idx_step entries on and notifies. */
static void post(uint16_t head, uint16_t idx_step)
{
	avail[2 + avail[1] % QSIZE] = head;
	__sync_synchronize();
	avail[1] = (uint16_t)(avail[1] + idx_step);
	wr(R_QUEUE_NOTIFY, 0);
}

/* What the device did with what was posted: the status it wrote, or reset. */
static const char *outcome(void)
{
	static char buf[32];

	for (int i = 0; i < 40 && *used_idx == 0 && !(rd(R_STATUS) & S_NEEDS_RESET); i++)
		sleep_ms(5);
	wr(R_INT_ACK, rd(R_INT_STATUS));
	if (*used_idx != 0) {
		switch (*status_byte) {
		case 0: return "ok";
		case 1: return "ioerr";
		case 2: return "unsupp";
		default: snprintf(buf, sizeof(buf), "status %u", *status_byte); return buf;
		}
	}
	return rd(R_STATUS) & S_NEEDS_RESET ? "reset" : "no answer";
}

static void judge(const char *name, const char *got, const char *want)
{
	int ok = strcmp(got, want) == 0;

	printf("request %s: %s (expected %s)%s\n", name, got, want, ok ? "" : " WRONG");
	fflush(stdout);
	failures += !ok;
}

/* Resets the device, sends the chain s[0..n) as one request and judges it. */
static void request(const char *name, const char *want, const struct seg *s, unsigned n)
{
	start();
	*status_byte = 0xee;
	chain(s, n);
	post(0, 1);
	judge(name, outcome(), want);
}

/* [header][one data segment][status], the usual shape. */
static void simple(const char *name, const char *want, uint32_t type, uint64_t sector, uint64_t at,
		   uint32_t len, uint16_t data_flags)
{
	struct seg s[3] = {{hdr.gpa, 16, 0}, {at, len, data_flags}, {st.gpa, 1, F_WRITE}};

	header(type, sector);
	request(name, want, s, 3);
}

/* ---- the requests ----------------------------------------------------------- */

static uint8_t first_sectors[4096];

static void good_reads(void)
{
	uint32_t magic;

	memset(data[0].va, 0, 4096);
	simple("good-read", "ok", T_IN, 0, data[0].gpa, 4096, F_WRITE);
	memcpy(first_sectors, data[0].va, 4096);
	memcpy(&magic, first_sectors + 1024, 4);
	printf("good-read data: %s\n", magic == EROFS_MAGIC ? "erofs superblock" : "NOT erofs");
	failures += magic != EROFS_MAGIC;
	memset(data[0].va, 0, 4096);
	simple("get-id", "ok", T_GET_ID, 0, data[0].gpa, 20, F_WRITE);
	printf("get-id data: %.20s\n", (char *)data[0].va);
}

/* Requests with room for a status: the device answers each with a status. */
static void bad_requests(void)
{
	memset(data[1].va, 0x5a, 4096);
	simple("past-end", "ioerr", T_IN, capacity - 1, data[0].gpa, 4096, F_WRITE);
	simple("at-end", "ioerr", T_IN, capacity, data[0].gpa, 512, F_WRITE);
	simple("sector-overflow", "ioerr", T_IN, 1ull << 55, data[0].gpa, 512, F_WRITE);
	simple("sector-max", "ioerr", T_IN, ~0ull, data[0].gpa, 512, F_WRITE);
	simple("write-read-only", "ioerr", T_OUT, 0, data[1].gpa, 512, 0);
	simple("write-read-only-far", "ioerr", T_OUT, 8, data[1].gpa, 4096, 0);
	simple("unknown-type", "unsupp", 0x7f, 0, data[0].gpa, 512, F_WRITE);
	simple("flush-with-data", "ioerr", T_FLUSH, 0, data[0].gpa, 512, F_WRITE);
	simple("partial-sector", "ioerr", T_IN, 0, data[0].gpa, 100, F_WRITE);
	simple("in-readable-data", "ioerr", T_IN, 0, data[0].gpa, 512, 0);
	simple("out-writable-data", "ioerr", T_OUT, 0, data[0].gpa, 512, F_WRITE);
	simple("over-size-max", "ioerr", T_IN, 0, data[0].gpa, 32768, F_WRITE);
	simple("data-out-of-zone", "ioerr", T_IN, 0, FAR_GPA, 512, F_WRITE);
	simple("data-past-ram", "ioerr", T_IN, 0, ram_end, 512, F_WRITE);
	simple("data-across-ram-end", "ioerr", T_IN, 0, ram_end - 512, 1024, F_WRITE);
	simple("data-at-nic", "ioerr", T_IN, 0, NIC_GPA, 512, F_WRITE);
	simple("data-at-own-registers", "ioerr", T_IN, 0, BLK_GPA, 512, F_WRITE);
	simple("data-at-lapic", "ioerr", T_IN, 0, LAPIC_GPA, 512, F_WRITE);
	simple("write-from-out-of-zone", "ioerr", T_OUT, 0, FAR_GPA, 512, 0);
	{
		struct seg s[2] = {{hdr.gpa, 16, 0}, {st.gpa, 1, F_WRITE}};

		header(T_IN, 0);
		request("no-data", "ioerr", s, 2);
	}
}

/* Data and a header at each address given (past the zone's memory). */
static void requests_at(int n, char **addr)
{
	for (int i = 0; i < n; i++) {
		char name[64];
		uint64_t a = strtoull(addr[i], NULL, 0) & ~0xfffull;
		struct seg s[3] = {{a, 16, 0}, {data[0].gpa, 512, F_WRITE}, {st.gpa, 1, F_WRITE}};

		snprintf(name, sizeof(name), "data-at-%s", addr[i]);
		simple(name, "ioerr", T_IN, 0, a, 512, F_WRITE);
		snprintf(name, sizeof(name), "write-from-%s", addr[i]);
		simple(name, "ioerr", T_OUT, 0, a, 512, 0);
		snprintf(name, sizeof(name), "header-at-%s", addr[i]);
		header(T_IN, 0);
		request(name, "reset", s, 3);
	}
}

/* A read of 62 data segments (seg_max) then one more: the status byte shares
 * the last descriptor, so the chain still fits 64 descriptors. */
static void seg_max_requests(void)
{
	struct seg s[64];

	s[0] = (struct seg){hdr.gpa, 16, 0};
	for (unsigned i = 1; i < 63; i++)
		s[i] = (struct seg){data[i % NDATA].gpa, 512, F_WRITE};
	s[63] = (struct seg){st.gpa, 1, F_WRITE};
	header(T_IN, 0);
	request("seg-max", "ok", s, 64);
	s[63] = (struct seg){data[7].gpa + 1024, 513, F_WRITE}; /* 512 of data, then the status */
	status_byte = data[7].va + 1024 + 512;
	request("over-seg-max", "ioerr", s, 64);
	status_byte = st.va;
}

/* Chains the device cannot answer: it asks for a reset.  The first of each
 * reason come first: the hypervisor prints the first 16 refusals of a disk. */
static void refused_chains(void)
{
	struct seg s[66];

	simple("data-wrapping", "reset", T_IN, 0, ~0ull - 15, 512, F_WRITE);
	simple("zero-length", "reset", T_IN, 0, data[0].gpa, 0, F_WRITE);
	simple("indirect", "reset", T_IN, 0, data[0].gpa, 16, F_INDIRECT);
	header(T_IN, 0);
	s[0] = (struct seg){hdr.gpa, 16, F_WRITE}; /* the header where the device writes */
	s[1] = (struct seg){data[0].gpa, 512, F_WRITE};
	s[2] = (struct seg){st.gpa, 1, F_WRITE};
	request("header-writable", "reset", s, 3);
	s[0] = (struct seg){FAR_GPA, 16, 0};
	request("header-out-of-zone", "reset", s, 3);
	s[0] = (struct seg){hdr.gpa, 16, 0};
	s[2] = (struct seg){data[1].gpa, 512, 0}; /* readable after writable (2.6.4.2) */
	s[3] = (struct seg){st.gpa, 1, F_WRITE};
	request("readable-after-writable", "reset", s, 4);
	for (unsigned i = 1; i < 64; i++)
		s[i] = (struct seg){data[i % NDATA].gpa, 512, F_WRITE};
	s[64] = (struct seg){st.gpa, 1, F_WRITE};
	request("chain-over-64-descriptors", "reset", s, 65);
}

/* Rings and indices the device cannot follow. */
static void refused_rings(void)
{
	/* 0 -> 1 -> 0 -> ..., all readable (else the order is wrong first), in a
	 * queue of 8 (else the 64-segment bound comes first) */
	start_queue(8, ring.gpa, ring.gpa + 2048, used_page.gpa);
	desc[0] = (struct desc){hdr.gpa, 16, F_NEXT, 1};
	desc[1] = (struct desc){data[0].gpa, 512, F_NEXT, 0};
	post(0, 1);
	judge("loop", outcome(), "reset");

	start();
	desc[0] = (struct desc){hdr.gpa, 16, F_NEXT, 200};
	post(0, 1);
	judge("next-out-of-range", outcome(), "reset");

	start();
	chain((struct seg[]){{hdr.gpa, 16, 0}, {st.gpa, 1, F_WRITE}}, 2);
	post(200, 1);
	judge("head-out-of-range", outcome(), "reset");

	start();
	chain((struct seg[]){{hdr.gpa, 16, 0}, {st.gpa, 1, F_WRITE}}, 2);
	post(0, 1000);
	judge("avail-index-jump", outcome(), "reset");

	/* the rings themselves outside the zone, then at the device's own registers */
	start_queue(QSIZE, FAR_GPA, FAR_GPA + 2048, FAR_GPA + 4096);
	wr(R_QUEUE_NOTIFY, 0);
	judge("rings-out-of-zone", outcome(), "reset");
	start_queue(QSIZE, BLK_GPA, BLK_GPA + 2048, BLK_GPA + 3072);
	wr(R_QUEUE_NOTIFY, 0);
	judge("rings-at-own-registers", outcome(), "reset");

	/* a well-formed read whose used ring is elsewhere: served, then refused */
	header(T_IN, 0);
	start_queue(QSIZE, ring.gpa, ring.gpa + 2048, FAR_GPA);
	chain((struct seg[]){{hdr.gpa, 16, 0}, {data[0].gpa, 512, F_WRITE}, {st.gpa, 1, F_WRITE}},
	      3);
	post(0, 1);
	judge("used-ring-out-of-zone", outcome(), "reset");
	start_queue(QSIZE, ring.gpa, ring.gpa + 2048, NIC_GPA);
	chain((struct seg[]){{hdr.gpa, 16, 0}, {data[0].gpa, 512, F_WRITE}, {st.gpa, 1, F_WRITE}},
	      3);
	post(0, 1);
	judge("used-ring-at-nic", outcome(), "reset");

	judge("rings-misaligned",
	      start_queue(QSIZE, ring.gpa + 8, ring.gpa + 2048, used_page.gpa) ? "ready"
									       : "not-ready",
	      "not-ready");
	judge("queue-size-not-power-of-2",
	      start_queue(100, ring.gpa, ring.gpa + 2048, used_page.gpa) ? "ready" : "not-ready",
	      "not-ready");
}

/* More of the reasons above, in other shapes. */
static void refused_more(void)
{
	struct seg s[3];

	simple("huge-length", "reset", T_IN, 0, data[0].gpa, 0x7fffffff, F_WRITE);
	simple("undefined-flag", "reset", T_IN, 0, data[0].gpa, 512, F_WRITE | 0x80);
	header(T_IN, 0);
	s[0] = (struct seg){hdr.gpa, 8, 0};
	s[1] = (struct seg){data[0].gpa, 512, F_WRITE};
	s[2] = (struct seg){st.gpa, 1, F_WRITE};
	request("header-short", "reset", s, 3);
	s[0] = (struct seg){BLK_GPA, 16, 0};
	request("header-at-own-registers", "reset", s, 3);
	s[0] = (struct seg){hdr.gpa, 16, 0};
	s[1] = (struct seg){data[0].gpa, 512, 0};
	request("no-status", "reset", s, 2);
	s[1] = (struct seg){data[0].gpa, 512, F_WRITE};
	s[2] = (struct seg){FAR_GPA, 1, F_WRITE};
	request("status-out-of-zone", "reset", s, 3);
}

/* After it all: a reset device reads sector 0 again, unchanged. */
static void good_read_after(void)
{
	memset(data[0].va, 0, 4096);
	simple("good-read-after", "ok", T_IN, 0, data[0].gpa, 4096, F_WRITE);
	if (memcmp(data[0].va, first_sectors, 4096) == 0) {
		printf("good-read-after data: as before\n");
	} else {
		printf("good-read-after data: CHANGED\n");
		failures++;
	}
}

/* ---- the floods ------------------------------------------------------------- */

/* Reads: each chain is [header][4 x 4 KiB][status], 6 descriptors, so 21
 * chains fill the table; the 128 available entries name them round robin. */
static void flood_reads(time_t until)
{
	uint16_t ai = 0, seen = 0;
	unsigned long long notifies = 0, answered = 0;

	header(T_IN, 8);
	start();
	for (unsigned c = 0; c < 21; c++) {
		struct desc *d = desc + 6 * c;

		d[0] = (struct desc){hdr.gpa, 16, F_NEXT, (uint16_t)(6 * c + 1)};
		for (unsigned i = 1; i < 5; i++)
			d[i] = (struct desc){data[i - 1].gpa, 4096, F_NEXT | F_WRITE,
					     (uint16_t)(6 * c + i + 1)};
		d[5] = (struct desc){st.gpa + c, 1, F_WRITE, 0};
	}
	printf("flood: reads running\n");
	fflush(stdout);
	while (!until || time(NULL) < until) {
		uint16_t now = *used_idx, room = (uint16_t)(QSIZE - (uint16_t)(ai - now));

		if (answered < 1000 && answered + (uint16_t)(now - seen) >= 1000) {
			printf("flood: 1000 reads answered\n");
			fflush(stdout);
		}
		answered += (uint16_t)(now - seen);
		seen = now;

		if (rd(R_STATUS) & S_NEEDS_RESET) {
			printf("flood: the device asked for a reset\n");
			failures++;
			break;
		}
		for (uint16_t i = 0; i < room; i++, ai++)
			avail[2 + ai % QSIZE] = (uint16_t)(6 * (ai % 21));
		__sync_synchronize();
		avail[1] = ai;
		wr(R_QUEUE_NOTIFY, 0);
		notifies++;
		if (notifies % 64 == 0)
			wr(R_INT_ACK, rd(R_INT_STATUS));
	}
	printf("flood: %llu notifies, %llu reads answered\n", notifies, answered);
}

/* A refused chain, a reset, again. */
static void flood_bad(time_t until)
{
	unsigned long long n = 0;

	header(T_IN, 0);
	printf("flood: malformed chains running\n");
	fflush(stdout);
	while (!until || time(NULL) < until) {
		start();
		chain((struct seg[]){{hdr.gpa, 16, F_WRITE}, {st.gpa, 1, F_WRITE}}, 2);
		post(0, 1);
		n++;
	}
	printf("flood: %llu malformed chains, device %s\n", n,
	       rd(R_STATUS) & S_NEEDS_RESET ? "asking for a reset" : "not asking for a reset");
}

int main(int argc, char **argv)
{
	time_t until = 0;
	int mode = 0;

	if (argc > 1 && strcmp(argv[1], "--flood") == 0)
		mode = 1;
	else if (argc > 1 && strcmp(argv[1], "--flood-bad") == 0)
		mode = 2;
	else if (argc > 1 && argv[1][0] == '-') {
		fprintf(stderr, "usage: zv-badblk [ADDRESS...] | --flood|--flood-bad [SECONDS]\n");
		return 2;
	}
	if (mode && argc > 2 && atoi(argv[2]) > 0)
		until = time(NULL) + atoi(argv[2]);
	unbind_driver();
	map_registers();
	ring = locked_page();
	used_page = locked_page();
	hdr = locked_page();
	st = locked_page();
	status_byte = st.va;
	for (unsigned i = 0; i < NDATA; i++)
		data[i] = locked_page();
	desc = (struct desc *)ring.va;
	avail = (volatile uint16_t *)(ring.va + 2048);
	used_idx = (volatile uint16_t *)(used_page.va + 2);
	if (mode == 1)
		flood_reads(until);
	else if (mode == 2)
		flood_bad(until);
	else {
		read_config();
		good_reads();
		bad_requests();
		seg_max_requests();
		refused_chains();
		refused_rings();
		refused_more();
		requests_at(argc - 1, argv + 1);
		good_read_after();
	}
	wr(R_STATUS, 0);
	if (!mode)
		printf("zv-badblk: %d failures\n", failures);
	return failures ? 1 : 0;
}
