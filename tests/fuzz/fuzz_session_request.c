/* libFuzzer target for zv-agent's request parser (tools/zv-agent/request.c):
 * the bytes a client sends on a session before the command starts, split into
 * frames as the agent splits them (struct zs_frame header, then len bytes),
 * each fed to zsa_req_frame until the request completes or is refused; then
 * the frames a running session may send, checked by zsa_check_running_frame.
 * A frame whose header announces more than the input holds ends the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tools/zv-agent/request.c" /* not in the pure library: the agent's own */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A request that parsed is what the spawn code relies on: check it. */
static void check_request(const struct zsa_req *r)
{
	if (r->op == ZSA_OP_NONE || (r->argv && r->argv[r->argc]) || (r->env && r->env[r->envc]))
		abort();
	for (size_t i = 0; i < r->nsecrets; i++) {
		const char *eq = strchr(r->secrets[i], '=');
		if (!eq || !zsa_secret_name_ok(r->secrets[i], (size_t)(eq - r->secrets[i])))
			abort();
	}
	if (r->name && !zsa_entry_name_ok(r->name))
		abort();
	if ((r->op == ZSA_OP_CP_IN || r->op == ZSA_OP_CP_OUT || r->op == ZSA_OP_STAT) && !r->path)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct zsa_req r;
	char err[ZSA_ERR_MAX];
	int rc = 0;

	zsa_req_init(&r);
	while (size >= sizeof(struct zs_frame) && rc >= 0) {
		struct zs_frame h;
		uint8_t *p;

		memcpy(&h, data, sizeof(h));
		data += sizeof(h);
		size -= sizeof(h);
		if (h.len > size)
			break;
		p = malloc(h.len ? h.len : 1); /* its own buffer: ASan sees over-reads */
		memcpy(p, data, h.len);
		if (!r.done) {
			rc = zsa_req_frame(&r, h.type, p, h.len, err);
			if (rc < 0 && !memchr(err, 0, sizeof(err)))
				abort(); /* a message is a C string */
			if (rc == 1)
				check_request(&r);
		} else if (zsa_check_running_frame(&r, h.type, h.len, err) < 0) {
			rc = -1;
		}
		free(p);
		data += h.len;
		size -= h.len;
	}
	zsa_req_free(&r);
	return 0;
}
