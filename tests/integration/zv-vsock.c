/*
 * zv-vsock: the vsock relay's test program (test_sessions.py), static, run in
 * the control zone and in agent zones.
 *
 *   zv-vsock listen PORT          (agent) prints "zv-vsock: cid N listening on
 *                                 PORT", then echoes each connection until EOF,
 *                                 a process each
 *   zv-vsock echo CID PORT BYTES  (control) connects, sends BYTES of a pattern
 *                                 while reading the echo; "echo: BYTES bytes
 *                                 byte-exact" and exit 0 when all came back
 *   zv-vsock probe PORT CID...    (agent) tries to connect to each CID; every
 *                                 one must fail: "connect CID: refused (why)"
 *   zv-vsock attack               (agent, root) takes the zone's vsock device
 *                                 from Linux and sends malformed tx chains,
 *                                 one per device reset: "attack NAME: refused"
 *                                 when the device set DEVICE_NEEDS_RESET and
 *                                 used nothing; then a well-formed REQUEST to
 *                                 CID 2 after a reset must get the relay's RST
 * Each mode ends with "zv-vsock: N failures" and exits 0 only for 0.
 *
 * Register offsets and the ring layout: VIRTIO 1.1 4.2.2, 2.6; the packet
 * header: 5.10.6.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <linux/vm_sockets.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define VSOCK_GPA  0xfeb03000ul /* zones/session/vsock_relay.h: ZONE_VSOCK_GPA */
#define DRIVER_DIR "/sys/bus/platform/drivers/virtio-mmio"

static int failures;

__attribute__((noreturn)) static void die(const char *what)
{
	fprintf(stderr, "zv-vsock: %s: %s\n", what, strerror(errno));
	exit(2);
}

static uint8_t pattern(uint64_t i)
{
	return (uint8_t)((i * 2654435761u) >> 13);
}

static int connect_to(unsigned cid, unsigned port)
{
	struct sockaddr_vm a = {.svm_family = AF_VSOCK, .svm_cid = cid, .svm_port = port};
	int s = socket(AF_VSOCK, SOCK_STREAM, 0);

	if (s < 0)
		die("socket(AF_VSOCK)");
	if (connect(s, (struct sockaddr *)&a, sizeof(a)) != 0) {
		int e = errno;

		close(s);
		errno = e;
		return -1;
	}
	return s;
}

static void echo_one(int c)
{
	static char buf[65536];
	ssize_t n;

	while ((n = read(c, buf, sizeof(buf))) > 0)
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(c, buf + off, (size_t)(n - off));

			if (w <= 0)
				return;
			off += w;
		}
}

__attribute__((noreturn)) static void listen_mode(unsigned port)
{
	struct sockaddr_vm a = {
		.svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY, .svm_port = port};
	unsigned cid = 0;
	int fd = open("/dev/vsock", O_RDONLY), s = socket(AF_VSOCK, SOCK_STREAM, 0);

	if (fd < 0 || ioctl(fd, IOCTL_VM_SOCKETS_GET_LOCAL_CID, &cid) != 0)
		die("/dev/vsock");
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(s, 4) != 0)
		die("listen");
	signal(SIGCHLD, SIG_IGN); /* no zombies */
	printf("zv-vsock: cid %u listening on %u\n", cid, port);
	fflush(stdout);
	for (;;) {
		int c = accept(s, NULL, NULL);

		if (c < 0)
			die("accept");
		if (fork() == 0) { /* one process per connection: they run side by side */
			echo_one(c);
			_exit(0);
		}
		close(c);
	}
}

/* Sends total bytes while reading the echo, with poll so neither side waits on the other. */
static int echo_mode(unsigned cid, unsigned port, uint64_t total)
{
	static uint8_t buf[32768];
	uint64_t sent = 0, got = 0;
	int s = connect_to(cid, port);

	if (s < 0)
		die("connect");
	while (got < total) {
		struct pollfd p = {s, (short)(POLLIN | (sent < total ? POLLOUT : 0)), 0};

		if (poll(&p, 1, 20000) <= 0) {
			printf("echo: stalled at %llu sent, %llu back\n", (unsigned long long)sent,
			       (unsigned long long)got);
			return 1;
		}
		if ((p.revents & POLLOUT) && sent < total) {
			size_t n =
				total - sent < sizeof(buf) ? (size_t)(total - sent) : sizeof(buf);
			ssize_t w;

			for (size_t i = 0; i < n; i++)
				buf[i] = pattern(sent + i);
			w = write(s, buf, n);
			if (w < 0)
				die("write");
			sent += (uint64_t)w;
		}
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t r = read(s, buf, sizeof(buf));

			if (r <= 0) {
				printf("echo: connection ended after %llu bytes back\n",
				       (unsigned long long)got);
				return 1;
			}
			for (ssize_t i = 0; i < r; i++)
				if (buf[i] != pattern(got + (uint64_t)i)) {
					printf("echo: byte %llu differs\n",
					       (unsigned long long)(got + (uint64_t)i));
					return 1;
				}
			got += (uint64_t)r;
		}
	}
	close(s);
	printf("echo: %llu bytes byte-exact\n", (unsigned long long)total);
	return 0;
}

static int probe_mode(unsigned port, int n, char **cids)
{
	for (int i = 0; i < n; i++) {
		unsigned cid = (unsigned)strtoul(cids[i], NULL, 0);
		int s = connect_to(cid, port);

		if (s >= 0) {
			printf("connect %u: CONNECTED\n", cid);
			failures++;
			close(s);
		} else {
			printf("connect %u: refused (%s)\n", cid, strerror(errno));
		}
	}
	return failures;
}

/* ---- attack: the device at its registers --------------------------------- */
#define R_MAGIC	       0x000
#define R_DEVICE_ID    0x008
#define R_DEV_FEATURES 0x010
#define R_DEV_FEAT_SEL 0x014
#define R_DRV_FEATURES 0x020
#define R_DRV_FEAT_SEL 0x024
#define R_QUEUE_SEL    0x030
#define R_QUEUE_NUM    0x038
#define R_QUEUE_READY  0x044
#define R_QUEUE_NOTIFY 0x050
#define R_INT_STATUS   0x060
#define R_INT_ACK      0x064
#define R_STATUS       0x070
#define R_QUEUE_DESC   0x080
#define R_QUEUE_DRIVER 0x090
#define R_QUEUE_DEVICE 0x0a0
#define R_CONFIG       0x100 /* 5.10.4: le64 guest_cid */
#define S_LIVE	       (1 | 2 | 8 | 4)
#define S_NEEDS_RESET  0x40
#define F_NEXT	       1
#define F_WRITE	       2
#define QSIZE	       8
#define HDR	       44

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
static struct page rings[3], txbuf, rxbuf; /* rings: desc 0, avail 0x200, used 0x400 */
static uint64_t my_cid;

static uint32_t rd(unsigned off)
{
	return regs[off / 4];
}

static void wr(unsigned off, uint32_t v)
{
	__sync_synchronize();
	regs[off / 4] = v;
}

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
	p.gpa = (entry & ((1ull << 55) - 1)) * 4096;
	if (!(entry >> 63) || !p.gpa) {
		errno = EPERM;
		die("no PFN in pagemap (needs root)");
	}
	return p;
}

/* Unbinds the virtio-mmio device whose virtio device ID is 19 (0x0013). */
static void unbind_vsock(void)
{
	glob_t g;

	if (glob(DRIVER_DIR "/*/virtio*/device", 0, NULL, &g) != 0)
		die("no virtio-mmio devices");
	for (size_t i = 0; i < g.gl_pathc; i++) {
		char id[16] = {0}, name[256], *slash;
		FILE *f = fopen(g.gl_pathv[i], "r");

		if (!f || !fgets(id, sizeof(id), f) || strncmp(id, "0x0013", 6) != 0) {
			if (f)
				fclose(f);
			continue;
		}
		fclose(f);
		snprintf(name, sizeof(name), "%s", g.gl_pathv[i] + strlen(DRIVER_DIR "/"));
		slash = strchr(name, '/');
		*slash = '\0';
		f = fopen(DRIVER_DIR "/unbind", "w");
		if (!f || fprintf(f, "%s", name) < 0 || fclose(f) != 0)
			die("unbind");
		globfree(&g);
		return;
	}
	errno = ENODEV;
	die("no vsock device bound to virtio-mmio");
}

static void map_registers(void)
{
	int fd = open("/dev/mem", O_RDWR | O_SYNC);
	void *m;

	if (fd < 0)
		die("/dev/mem");
	m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, VSOCK_GPA);
	if (m == MAP_FAILED)
		die("mmap of the vsock registers");
	regs = m;
	if (rd(R_MAGIC) != 0x74726976u || rd(R_DEVICE_ID) != 19) {
		errno = ENODEV;
		die("no virtio-vsock device at 0xfeb03000");
	}
	my_cid = rd(R_CONFIG) | (uint64_t)rd(R_CONFIG + 4) << 32;
}

static void reset_and_start(void)
{
	wr(R_STATUS, 0);
	for (unsigned i = 0; i < 3; i++)
		memset(rings[i].va, 0, 4096);
	wr(R_STATUS, 1);
	wr(R_STATUS, 1 | 2);
	wr(R_DRV_FEAT_SEL, 0);
	wr(R_DRV_FEATURES, 0);
	wr(R_DRV_FEAT_SEL, 1);
	wr(R_DRV_FEATURES, 1); /* VERSION_1 */
	wr(R_STATUS, 1 | 2 | 8);
	for (unsigned i = 0; i < 3; i++) {
		wr(R_QUEUE_SEL, i);
		wr(R_QUEUE_NUM, QSIZE);
		wr(R_QUEUE_DESC, (uint32_t)rings[i].gpa);
		wr(R_QUEUE_DESC + 4, (uint32_t)(rings[i].gpa >> 32));
		wr(R_QUEUE_DRIVER, (uint32_t)(rings[i].gpa + 0x200));
		wr(R_QUEUE_DRIVER + 4, (uint32_t)((rings[i].gpa + 0x200) >> 32));
		wr(R_QUEUE_DEVICE, (uint32_t)(rings[i].gpa + 0x400));
		wr(R_QUEUE_DEVICE + 4, (uint32_t)((rings[i].gpa + 0x400) >> 32));
		wr(R_QUEUE_READY, 1);
	}
	wr(R_STATUS, S_LIVE);
}

static struct desc *descs(unsigned q)
{
	return (struct desc *)rings[q].va;
}

static uint16_t *avail(unsigned q)
{
	return (uint16_t *)(rings[q].va + 0x200);
}

static volatile uint16_t *used_idx(unsigned q)
{
	return (volatile uint16_t *)(rings[q].va + 0x400 + 2);
}

static void post(unsigned q, uint16_t head)
{
	uint16_t *a = avail(q);

	a[2 + a[1] % QSIZE] = head;
	__sync_synchronize();
	a[1]++;
	wr(R_QUEUE_NOTIFY, q);
}

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* A header in txbuf: REQUEST from our CID to CID 2, port 1234 -> 5000. */
static void header(uint64_t src, uint32_t len, uint16_t type, uint16_t op)
{
	uint8_t *h = txbuf.va;

	memset(h, 0, HDR);
	put_le(h, src, 8);
	put_le(h + 8, 2, 8);
	put_le(h + 16, 1234, 4);
	put_le(h + 20, 5000, 4);
	put_le(h + 24, len, 4);
	put_le(h + 28, type, 2);
	put_le(h + 30, op, 2);
	put_le(h + 36, 65536, 4);
}

static void sleep_ms(long ms)
{
	struct timespec t = {ms / 1000, ms % 1000 * 1000000L};

	nanosleep(&t, NULL);
}

static void judge(const char *name)
{
	int refused;

	sleep_ms(50);
	refused = (rd(R_STATUS) & S_NEEDS_RESET) && *used_idx(1) == 0;
	printf("attack %s: %s\n", name, refused ? "refused" : "NOT refused");
	fflush(stdout);
	failures += !refused;
	wr(R_INT_ACK, rd(R_INT_STATUS));
}

/* One tx chain: the header in one descriptor, then (len > 0) a payload one. */
static void tx(const char *name, uint64_t hdr_addr, uint32_t hdr_len, uint16_t flags,
	       uint32_t payload)
{
	reset_and_start();
	descs(1)[0] =
		(struct desc){hdr_addr, hdr_len, (uint16_t)(flags | (payload ? F_NEXT : 0)), 1};
	descs(1)[1] = (struct desc){txbuf.gpa + 2048, payload, 0, 0};
	post(1, 0);
	judge(name);
}

static void good_request(void)
{
	uint8_t *r = rxbuf.va;
	uint16_t op;
	uint64_t src;

	reset_and_start();
	descs(0)[0] = (struct desc){rxbuf.gpa, 4096, F_WRITE, 0};
	post(0, 0);
	header(my_cid, 0, 1, 1);
	descs(1)[0] = (struct desc){txbuf.gpa, HDR, 0, 0};
	post(1, 0);
	for (int i = 0; i < 100 && *used_idx(0) == 0; i++)
		sleep_ms(10);
	op = (uint16_t)(r[30] | r[31] << 8);
	src = r[0] | (uint64_t)r[1] << 8;
	if (*used_idx(0) == 1 && *used_idx(1) == 1 && op == 3 && src == 2) {
		printf("good-request: the relay's RST\n");
	} else {
		printf("good-request: used %u/%u op %u src %llu\n", *used_idx(1), *used_idx(0), op,
		       (unsigned long long)src);
		failures++;
	}
}

static void attack_mode(void)
{
	unbind_vsock();
	map_registers();
	for (unsigned i = 0; i < 3; i++)
		rings[i] = locked_page();
	txbuf = locked_page();
	rxbuf = locked_page();
	printf("attack: cid %llu\n", (unsigned long long)my_cid);
	header(my_cid + 1, 0, 1, 1);
	tx("other-source-cid", txbuf.gpa, HDR, 0, 0);
	header(2, 0, 1, 1);
	tx("host-source-cid", txbuf.gpa, HDR, 0, 0);
	header(my_cid, 0, 2, 1);
	tx("seqpacket", txbuf.gpa, HDR, 0, 0);
	header(my_cid, 0, 1, 99);
	tx("unknown-op", txbuf.gpa, HDR, 0, 0);
	header(my_cid, 100, 1, 5);
	tx("len-over-payload", txbuf.gpa, HDR, 0, 50);
	header(my_cid, 10, 1, 5);
	tx("len-under-payload", txbuf.gpa, HDR, 0, 50);
	header(my_cid, 0, 1, 1);
	tx("short-header", txbuf.gpa, HDR - 4, 0, 0);
	tx("writable-header", txbuf.gpa, HDR, F_WRITE, 0);
	tx("header-out-of-zone", 1ull << 40, HDR, 0, 0);
	tx("header-at-registers", VSOCK_GPA, HDR, 0, 0);
	header(my_cid, 8, 1, 1);
	tx("payload-on-request", txbuf.gpa, HDR, 0, 8);
	good_request();
}

int main(int argc, char **argv)
{
	int r = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && strcmp(argv[1], "listen") == 0)
		listen_mode((unsigned)atoi(argv[2]));
	if (argc == 5 && strcmp(argv[1], "echo") == 0)
		r = echo_mode((unsigned)strtoul(argv[2], NULL, 0), (unsigned)atoi(argv[3]),
			      strtoull(argv[4], NULL, 0));
	else if (argc >= 4 && strcmp(argv[1], "probe") == 0)
		r = probe_mode((unsigned)atoi(argv[2]), argc - 3, argv + 3);
	else if (argc == 2 && strcmp(argv[1], "attack") == 0)
		attack_mode();
	else {
		fprintf(stderr, "usage: zv-vsock listen PORT | echo CID PORT BYTES | "
				"probe PORT CID... | attack\n");
		return 2;
	}
	failures += r;
	printf("zv-vsock: %d failures\n", failures);
	return failures ? 1 : 0;
}
