/* libFuzzer target for zonectl's session client (tools/zonectl/session_wire.c,
 * session_client.c): whatever a hostile agent sends.  Input byte 0 picks the
 * session's kind (bit 0: a terminal, bit 1: op "stat", bit 2: run -d); the
 * rest is the agent's stream, fed to the frame splitter and checker in
 * pieces and to a whole session over a socketpair. */
#define _GNU_SOURCE /* pipe2, explicit_bzero: before any header */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tools/zonectl/session_client.c"
#include "tools/zonectl/session_term.c"
#include "tools/zonectl/session_wire.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void split(const uint8_t *data, size_t size, int tty, int stat)
{
	static struct zs_reader rd;
	struct zs_check c = {.tty = tty, .stat = stat};
	char why[8192];
	const uint8_t *p;
	uint8_t type;
	uint32_t len;
	size_t off = 0;

	memset(&rd, 0, sizeof(rd));
	while (off < size) {
		size_t room, n = 1 + data[off] % 37; /* uneven pieces */
		uint8_t *at = zs_reader_space(&rd, &room);
		int got;

		if (n > size - off)
			n = size - off;
		if (n > room)
			n = room;
		memcpy(at, data + off, n);
		zs_reader_added(&rd, n);
		off += n;
		while ((got = zs_reader_next(&rd, &type, &p, &len)) == 1) {
			if (len > ZS_FRAME_MAX)
				abort();
			if (zs_check_frame(&c, type, p, len, why, sizeof(why)))
				return;
			if (type == ZS_EXIT && (c.status < 0 || c.status > 255))
				abort();
		}
		if (got < 0)
			return;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int null_fd = -1;
	struct zs_req req;
	struct zs_io io;
	struct zs_result r;
	int sv[2];

	if (size < 1 || size > 65536)
		return 0;
	split(data + 1, size - 1, data[0] & 1, (data[0] >> 1) & 1);
	if (null_fd < 0) {
		null_fd = open("/dev/null", O_WRONLY);
		zs_messages = fopen("/dev/null", "w"); /* the protocol errors' messages */
	}
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return 0;
	memset(&req, 0, sizeof(req));
	zs_req_add_str(&req, ZS_T_OP, "exec");
	zs_req_finish(&req);
	io = (struct zs_io){"fuzz",
			    -1,
			    null_fd,
			    null_fd,
			    data[0] & 1,
			    0,
			    -1,
			    -1,
			    (data[0] >> 1) & 1,
			    (data[0] >> 2) & 1};
	if (size - 1 < 150000 && write(sv[1], data + 1, size - 1) == (ssize_t)(size - 1)) {
		shutdown(sv[1], SHUT_WR);
		r = zs_session(sv[0], &req, &io);
		if (r.end == ZS_END_EXIT && (r.status < 0 || r.status > 255))
			abort();
	}
	zs_req_free(&req);
	close(sv[0]);
	close(sv[1]);
	return 0;
}
