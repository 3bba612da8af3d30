/* zv-agent: reading frames a piece at a time and writing whole frames. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tools/zv-agent/agent.h"

void zsa_frame_hdr(struct zs_frame *h, uint8_t type, uint32_t len)
{
	memset(h, 0, sizeof(*h));
	/* Little-endian on the wire; the agent runs on x86-64 only. */
	h->len = len;
	h->type = type;
}

/* Bytes the current frame still needs before the next step (header, payload). */
static size_t rx_want(const struct zsa_rx *rx)
{
	if (rx->got < sizeof(rx->hdr))
		return sizeof(rx->hdr) - rx->got;
	return sizeof(rx->hdr) + rx->len - rx->got;
}

static int rx_header(struct zsa_rx *rx, char *err)
{
	struct zs_frame h;

	memcpy(&h, rx->hdr, sizeof(h));
	if (h.len > ZS_FRAME_MAX) {
		snprintf(err, ZSA_ERR_MAX, "frame of %u bytes (at most %d)", h.len, ZS_FRAME_MAX);
		return -2;
	}
	rx->len = h.len;
	rx->type = h.type;
	return 0;
}

int zsa_rx_read(struct zsa_rx *rx, int fd, char *err)
{
	for (;;) {
		size_t want = rx_want(rx);
		uint8_t *dst = rx->got < sizeof(rx->hdr)
				       ? rx->hdr + rx->got
				       : rx->payload + (rx->got - sizeof(rx->hdr));
		ssize_t n = 0;

		if (want > 0) {
			n = read(fd, dst, want);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				return 0;
			if (n <= 0)
				return -1;
			rx->got += (size_t)n;
		}
		if (rx->got == sizeof(rx->hdr) && (size_t)n == want && rx_header(rx, err) < 0)
			return -2;
		if (rx->got >= sizeof(rx->hdr) && rx_want(rx) == 0) {
			rx->got = 0;
			return 1;
		}
	}
}

static int write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n > 0) {
		ssize_t w = write(fd, b, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

int zsa_write_frame(int fd, uint8_t type, const void *p, size_t n)
{
	struct zs_frame h;

	zsa_frame_hdr(&h, type, (uint32_t)n);
	if (write_all(fd, &h, sizeof(h)) < 0)
		return -1;
	return n ? write_all(fd, p, n) : 0;
}
