/* The control channel from the control zone's side (wire format: zones/control/proto.h). */
#include "tools/zonectl/channel.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/io.h>
#include <sys/mman.h>
#include <unistd.h>

static volatile uint8_t *window;
static uint32_t window_size;
static uint8_t *response; /* a private copy of the last response */
/* /dev/mem, kept open: its flock() makes one request at a time of every
 * zonectl in the control zone (the window is one, and the audit drain is
 * always there), from writing the request to copying the response out. */
static int window_fd = -1;

static const char *const op_names[ZCTL_OP_COUNT] = {
	[ZCTL_OP_RUN] = "run",
	[ZCTL_OP_PS] = "ps",
	[ZCTL_OP_LOGS] = "logs",
	[ZCTL_OP_STOP] = "stop",
	[ZCTL_OP_RM] = "rm",
	[ZCTL_OP_STATS] = "stats",
	[ZCTL_OP_UPLOAD] = "upload",
	[ZCTL_OP_DENIALS] = "denials",
	[ZCTL_OP_IMAGE_LOAD] = "image load",
	[ZCTL_OP_IMAGE_LS] = "image ls",
	[ZCTL_OP_IMAGE_RM] = "image rm",
	[ZCTL_OP_WORKSPACE_WRITE] = "workspace write",
	[ZCTL_OP_WORKSPACE_READ] = "workspace read",
	[ZCTL_OP_AUDIT_READ] = "audit read",
	[ZCTL_OP_AUDIT_HEAD] = "audit head",
	[ZCTL_OP_SESSION] = "session report",
};

static void __attribute__((noreturn, format(printf, 1, 2))) channel_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("zonectl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(ZC_EXIT_CHANNEL);
}

void channel_open(void)
{
	uint32_t id, version, gpa;
	int fd;
	void *map;

	if (ioperm(ZCTL_PORT_BASE, ZCTL_PORT_COUNT, 1) != 0) {
		if (geteuid() != 0)
			channel_fail("the control channel needs root (ioperm: %s)",
				     strerror(errno));
		if (errno == ENOSYS) /* CONFIG_X86_IOPL_IOPERM=n: no control zone kernel */
			channel_fail("no zonevisor control channel here (this is not a control "
				     "zone)");
		channel_fail("the control channel needs CAP_SYS_RAWIO (ioperm: %s)",
			     strerror(errno));
	}
	/* Ports no device decodes read all-ones: an agent zone, a plain machine. */
	id = inl(ZCTL_PORT_ID);
	if (id != ZCTL_ID)
		channel_fail("no zonevisor control channel here (this is not a control zone)");
	version = inl(ZCTL_PORT_VERSION);
	if (version != ZCTL_VERSION)
		channel_fail("the hypervisor speaks control protocol version %u, this zonectl "
			     "version %u",
			     version, ZCTL_VERSION);
	gpa = inl(ZCTL_PORT_WINDOW);
	window_size = inl(ZCTL_PORT_WINDOW_SIZE);
	if (window_size < 8192 || window_size > (64u << 20) || (gpa & 0xfff) != 0)
		channel_fail("bad control window: %u bytes at 0x%x", window_size, gpa);
	fd = open("/dev/mem", O_RDWR | O_SYNC);
	if (fd < 0)
		channel_fail("cannot open /dev/mem for the control window: %s", strerror(errno));
	map = mmap(NULL, window_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)gpa);
	if (map == MAP_FAILED)
		channel_fail("cannot map the control window (0x%x, %u bytes) from /dev/mem: %s",
			     gpa, window_size, strerror(errno));
	window_fd = fd;
	window = map;
	response = malloc(window_size);
	if (!response)
		channel_fail("out of memory");
}

uint32_t channel_window_size(void)
{
	return window_size;
}

/* Sends the request already in the window: the hypervisor handles it before OUT completes. */
static void ring_doorbell(uint32_t total)
{
	/* glibc's outl() has no memory clobber: keep the window copies on their side of it. */
	__asm__ volatile("" ::: "memory");
	outl(total, ZCTL_PORT_DOORBELL);
	__asm__ volatile("" ::: "memory");
}

static void check_response(uint16_t op, const struct zctl_resp_hdr *r)
{
	const char *name = op < ZCTL_OP_COUNT && op_names[op] ? op_names[op] : "?";

	if (r->magic != ZCTL_RESP_MAGIC)
		channel_fail("protocol error: %s: no response (magic 0x%08x)", name, r->magic);
	if (r->version != ZCTL_VERSION)
		channel_fail("protocol error: %s: response version %u, expected %u", name,
			     r->version, ZCTL_VERSION);
	if (r->op != op)
		channel_fail("protocol error: %s: response to op %u", name, r->op);
	if (r->length < sizeof(*r) || r->length > window_size)
		channel_fail("protocol error: %s: response length %u", name, r->length);
}

/* Who asks, for the audit log: our uid and pid, and the process that ran us
 * (its name from /proc, printable ASCII only, as the hypervisor checks). */
static void fill_who(struct zctl_who *w)
{
	static struct zctl_who who;
	static int known;
	char path[64];
	FILE *f;

	if (!known) {
		who.uid = (uint32_t)getuid();
		who.pid = (uint32_t)getpid();
		who.ppid = (uint32_t)getppid();
		snprintf(path, sizeof(path), "/proc/%u/comm", who.ppid);
		f = fopen(path, "r");
		if (f) {
			if (!fgets(who.comm, sizeof(who.comm), f))
				who.comm[0] = '\0';
			fclose(f);
		}
		for (char *c = who.comm; *c; c++)
			if (*c == '\n')
				*c = '\0';
			else if (*c < 0x20 || *c > 0x7e)
				*c = '?';
		known = 1;
	}
	*w = who;
}

int channel_call(uint16_t op, const void *body, size_t len, const void *data, size_t dlen,
		 size_t min_reply, const void **reply, size_t *reply_len,
		 char message[ZCTL_MESSAGE_LEN])
{
	struct zctl_req_hdr req = {
		.magic = ZCTL_REQ_MAGIC,
		.version = ZCTL_VERSION,
		.op = op,
		.length = (uint32_t)(sizeof(req) + len + dlen),
	};
	struct zctl_resp_hdr hdr;

	fill_who(&req.who);
	if (sizeof(req) + len + dlen > window_size)
		channel_fail("internal error: a %zu-byte request does not fit the %u-byte window",
			     sizeof(req) + len + dlen, window_size);
	while (flock(window_fd, LOCK_EX) != 0)
		if (errno != EINTR)
			channel_fail("cannot lock the control window: %s", strerror(errno));
	memcpy((void *)window, &req, sizeof(req));
	if (len)
		memcpy((void *)(window + sizeof(req)), body, len);
	if (dlen)
		memcpy((void *)(window + sizeof(req) + len), data, dlen);
	/* The request header overwrote the last response's magic: no answer is caught below. */
	ring_doorbell(req.length);

	memcpy(&hdr, (const void *)window, sizeof(hdr));
	check_response(op, &hdr);
	memcpy(response, (const void *)window, hdr.length);
	flock(window_fd, LOCK_UN);
	memcpy(&hdr, response, sizeof(hdr)); /* the copy is what gets parsed */
	check_response(op, &hdr);
	if (hdr.error != ZCTL_OK) {
		memcpy(message, hdr.message, ZCTL_MESSAGE_LEN);
		message[ZCTL_MESSAGE_LEN - 1] = '\0';
		if (message[0] == '\0')
			snprintf(message, ZCTL_MESSAGE_LEN, "%s failed (error %d)",
				 op_names[op] ? op_names[op] : "request", hdr.error);
		return hdr.error;
	}
	if (hdr.length - sizeof(hdr) < min_reply)
		channel_fail("protocol error: %s: reply of %zu bytes, expected %zu",
			     op_names[op] ? op_names[op] : "?", hdr.length - sizeof(hdr),
			     min_reply);
	message[0] = '\0';
	if (reply)
		*reply = response + sizeof(hdr);
	if (reply_len)
		*reply_len = hdr.length - sizeof(hdr);
	return ZCTL_OK;
}

const void *channel_call_or_die(uint16_t op, const void *body, size_t len, const void *data,
				size_t dlen, size_t min_reply, size_t *reply_len)
{
	char message[ZCTL_MESSAGE_LEN];
	const void *reply = NULL;

	if (channel_call(op, body, len, data, dlen, min_reply, &reply, reply_len, message)) {
		fprintf(stderr, "zonectl: %s\n", message);
		exit(ZC_EXIT_REFUSED);
	}
	return reply;
}
