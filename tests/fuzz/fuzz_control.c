/* libFuzzer target for the control channel's request checks (zones/control/check.c): the
 * input is the window's bytes and the doorbell's length, as a hostile control zone could set
 * them.  Whatever passes the checks must be self-consistent; every message is a C string. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "zones/control/check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_string(const char *why)
{
	if (why && strlen(why) >= ZCTL_MESSAGE_LEN)
		abort(); /* must fit the reply's message */
}

static void check_body(const struct zctl_req_hdr *h, const uint8_t *body, size_t len)
{
	union {
		struct zctl_run run;
		struct zctl_name name;
		struct zctl_logs_req logs;
		struct zctl_upload up;
		struct zctl_denials_req denials;
		struct zctl_image_load load;
		struct zctl_ws_write ws;
		struct zctl_ws_read_req wr;
		struct zctl_audit_read_req audit;
		struct zctl_session_report session;
	} b;
	uint32_t data_len;
	int64_t want = zctl_body_size(h->op);

	if (want < 0 || (size_t)want > len || (size_t)want > sizeof(b))
		abort(); /* the header check let a body through that is not there */
	memcpy(&b, body, (size_t)want);
	data_len = (uint32_t)(len - (size_t)want);
	if (!zctl_op_has_data(h->op) && data_len)
		abort(); /* only ops with data may be longer than their body */
	switch (h->op) {
	case ZCTL_OP_RUN:
		check_string(zctl_check_run(&b.run));
		if (!zctl_check_run(&b.run) && (b.run.cpus < 1 || b.run.cpus > 4 ||
						(b.run.image[0] && zctl_check_name(b.run.image))))
			abort();
		break;
	case ZCTL_OP_STOP:
	case ZCTL_OP_RM:
	case ZCTL_OP_IMAGE_RM: check_string(zctl_check_name(b.name.name)); break;
	case ZCTL_OP_LOGS: check_string(zctl_check_name(b.logs.name)); break;
	case ZCTL_OP_DENIALS:
		check_string(zctl_check_denials(&b.denials));
		/* what passes names one zone, or the uplink with no name at all */
		if (!zctl_check_denials(&b.denials) &&
		    (b.denials.flags & ZCTL_DENIALS_UPLINK
			     ? b.denials.name[0] != '\0'
			     : zctl_check_name(b.denials.name) != NULL))
			abort();
		break;
	case ZCTL_OP_UPLOAD:
		check_string(zctl_check_upload(&b.up, (uint32_t)(len - (size_t)want)));
		if (!zctl_check_upload(&b.up, (uint32_t)(len - (size_t)want)) &&
		    b.up.offset + b.up.len > b.up.total)
			abort();
		break;
	case ZCTL_OP_IMAGE_LOAD:
		check_string(zctl_check_image_load(&b.load, data_len));
		if (!zctl_check_image_load(&b.load, data_len) &&
		    (b.load.offset + b.load.len > b.load.total || b.load.total > ZCTL_STORE_MAX ||
		     zctl_check_name(b.load.name)))
			abort();
		break;
	case ZCTL_OP_WORKSPACE_WRITE:
		check_string(zctl_check_ws_write(&b.ws, data_len));
		if (!zctl_check_ws_write(&b.ws, data_len) &&
		    (b.ws.offset + b.ws.len > b.ws.capacity || b.ws.offset % ZCTL_BLOCK ||
		     b.ws.capacity > ZCTL_STORE_MAX))
			abort();
		break;
	case ZCTL_OP_WORKSPACE_READ:
		check_string(zctl_check_ws_read(&b.wr));
		if (!zctl_check_ws_read(&b.wr) &&
		    (b.wr.len > ZCTL_WS_READ_MAX || b.wr.len % ZCTL_BLOCK ||
		     b.wr.offset % ZCTL_BLOCK))
			abort();
		break;
	case ZCTL_OP_AUDIT_READ:
		check_string(zctl_check_audit_read(&b.audit));
		if (!zctl_check_audit_read(&b.audit) &&
		    (b.audit.max_bytes < ZCTL_AUDIT_LINE_MAX ||
		     b.audit.max_bytes > ZCTL_AUDIT_READ_MAX || b.audit.flags & ~ZCTL_AUDIT_ACK))
			abort();
		break;
	case ZCTL_OP_SESSION:
		check_string(zctl_check_session(&b.session));
		/* what passes has every string ended inside its field */
		if (!zctl_check_session(&b.session) &&
		    (strnlen(b.session.text, sizeof(b.session.text)) == sizeof(b.session.text) ||
		     strnlen(b.session.kind, sizeof(b.session.kind)) == sizeof(b.session.kind) ||
		     b.session.exit_status > 255))
			abort();
		break;
	default: break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct zctl_req_hdr h;
	uint32_t doorbell;
	const char *why;

	if (size < sizeof(doorbell) + sizeof(h))
		return 0;
	memcpy(&doorbell, data, sizeof(doorbell));
	data += sizeof(doorbell);
	size -= sizeof(doorbell);
	memcpy(&h, data, sizeof(h));
	why = zctl_check_header(&h, doorbell, (uint32_t)size); /* the window is what we have */
	check_string(why);
	/* what passes names its caller with a printable C string */
	if (!why && (h.who.reserved || strnlen(h.who.comm, sizeof(h.who.comm)) == sizeof(h.who.comm)))
		abort();
	if (!why)
		check_body(&h, data + sizeof(h), doorbell - sizeof(h));
	return 0;
}
