/*
 * The control channel in the hypervisor: its ports, the doorbell and the reply;
 * the requests are in run.c, ops.c and storage.c, the records in records.c (wire format:
 * zones/control/proto.h, prose: docs/control.md).  Requests arrive on the BSP, inside the control
 * zone's OUT to the doorbell, and are answered before it completes.  Zones
 * spawned here run on the APs; a record per zone keeps its name, state,
 * console output and exit status from `zonectl run` until `zonectl rm`.
 * The zone's memory is wiped as soon as it stops; rm only forgets the record.
 */
#include "zones/control/internal.h"
#include <stdarg.h>

#include "hv/console.h"
#include "hv/lib/fmt.h"
#include "hv/lib/string.h"
#include "hv/mem.h"
#include "hv/palloc.h"
#include "hv/percpu.h"
#include "hv/spinlock.h"
#include "hv/time.h"
#include "zones/control/check.h"
#include "zones/net/deny_log.h"
#include "zones/net/nic.h"
#include "zones/spawn.h"
#include "zones/zone.h"

static uint8_t reply[REPLY_BYTES];

/* ---- replies ---------------------------------------------------------- */

int ctl_refuse(struct request *q, enum zctl_error e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

int ctl_refuse(struct request *q, enum zctl_error e, const char *fmt, ...)
{
	struct zctl_resp_hdr *h = (struct zctl_resp_hdr *)reply;
	va_list ap;

	va_start(ap, fmt);
	zv_vsnprintf(h->message, sizeof(h->message), fmt, ap);
	va_end(ap);
	q->reply_len = 0;
	return (int)e;
}

void *ctl_reply_body(void)
{
	return reply + sizeof(struct zctl_resp_hdr);
}

/* ---- dispatch ------------------------------------------------------------ */

union body {
	struct zctl_run run;
	struct zctl_logs_req logs;
	struct zctl_name name;
	struct zctl_upload upload;
	struct zctl_denials_req denials;
	struct zctl_image_load image_load;
	struct zctl_ws_write ws_write;
	struct zctl_ws_read_req ws_read;
	struct zctl_audit_read_req audit_read;
	struct zctl_session_report session;
};

/* The request's body as checked and used, for its audit record after. */
static union body body;
static bool body_read;

static int dispatch(struct request *q, const union body *b)
{
	switch (q->hdr.op) {
	case ZCTL_OP_RUN: return ctl_op_run(q, &b->run);
	case ZCTL_OP_PS: return ctl_op_ps(q);
	case ZCTL_OP_LOGS: return ctl_op_logs(q, &b->logs);
	case ZCTL_OP_STOP: return ctl_op_stop(q, &b->name);
	case ZCTL_OP_RM: return ctl_op_rm(q, &b->name);
	case ZCTL_OP_STATS: return ctl_op_stats(q);
	case ZCTL_OP_UPLOAD: return ctl_op_upload(q, &b->upload);
	case ZCTL_OP_DENIALS: return ctl_op_denials(q, &b->denials);
	case ZCTL_OP_IMAGE_LOAD: return ctl_op_image_load(q, &b->image_load);
	case ZCTL_OP_IMAGE_LS: return ctl_op_image_ls(q);
	case ZCTL_OP_IMAGE_RM: return ctl_op_image_rm(q, &b->name);
	case ZCTL_OP_WORKSPACE_WRITE: return ctl_op_ws_write(q, &b->ws_write);
	case ZCTL_OP_WORKSPACE_READ: return ctl_op_ws_read(q, &b->ws_read);
	case ZCTL_OP_AUDIT_READ: return ctl_op_audit_read(q, &b->audit_read);
	case ZCTL_OP_AUDIT_HEAD: return ctl_op_audit_head(q);
	case ZCTL_OP_SESSION: return ctl_op_session(q, &b->session);
	default: return ctl_refuse(q, ZCTL_E_BAD_REQUEST, "unknown operation");
	}
}

/* Copies the request out of the window first: what is checked is what is used. */
static int handle(struct request *q)
{
	const char *why;
	int64_t size;

	if (zone_read(q->cz, ZCTL_WINDOW_GPA, &q->hdr, sizeof(q->hdr)) != 0)
		return ctl_refuse(q, ZCTL_E_BAD_REQUEST, "window unreadable");
	why = zctl_check_header(&q->hdr, q->len, ZCTL_WINDOW_SIZE);
	if (why)
		return ctl_refuse(q, ZCTL_E_BAD_REQUEST, "%s", why);
	size = zctl_body_size(q->hdr.op);
	zv_memset(&body, 0, sizeof(body));
	if (zone_read(q->cz, ZCTL_WINDOW_GPA + sizeof(q->hdr), &body, (uint64_t)size) != 0)
		return ctl_refuse(q, ZCTL_E_BAD_REQUEST, "window unreadable");
	body_read = true;
	return dispatch(q, &body);
}

static void serve(struct zone *cz, uint32_t len)
{
	struct zctl_resp_hdr *h = (struct zctl_resp_hdr *)reply;
	struct request q = {.cz = cz, .len = len};
	int err;

	zv_memset(h, 0, sizeof(*h));
	spin_lock(&ctl.lock);
	body_read = false;
	err = handle(&q);
	spin_unlock(&ctl.lock);
	ctl_wipe_deferred(); /* after the lock, before the reply: the pool is whole again */
	ctl_audit_request(&q, body_read ? &body : NULL, err, h->message);
	h->magic = ZCTL_RESP_MAGIC;
	h->version = ZCTL_VERSION;
	h->op = q.hdr.op;
	h->error = err;
	h->length = (uint32_t)sizeof(*h) + q.reply_len;
	if (err)
		kprintf("zonectl: request %u refused: %s\n", q.hdr.op, h->message);
	if (zone_write(cz, ZCTL_WINDOW_GPA, reply, h->length) != 0)
		kprintf("zonectl: reply does not fit the window\n");
}

static enum io_result port_read(void *zone, struct vcpu *vc, uint64_t off, unsigned size,
				uint64_t *v)
{
	(void)zone;
	(void)vc;
	if (size != 4)
		return IO_DONE; /* all-ones, as for any port without a device */
	switch (ZCTL_PORT_BASE + off) {
	case ZCTL_PORT_ID: *v = ZCTL_ID; break;
	case ZCTL_PORT_VERSION: *v = ZCTL_VERSION; break;
	case ZCTL_PORT_WINDOW: *v = ZCTL_WINDOW_GPA; break;
	case ZCTL_PORT_WINDOW_SIZE: *v = ZCTL_WINDOW_SIZE; break;
	default: break;
	}
	return IO_DONE;
}

static enum io_result port_write(void *zone, struct vcpu *vc, uint64_t off, unsigned size,
				 uint64_t v)
{
	(void)vc;
	if (ZCTL_PORT_BASE + off == ZCTL_PORT_DOORBELL && size == 4)
		serve(zone, (uint32_t)v);
	return IO_DONE;
}

int control_attach(struct zone *z)
{
	const struct io_range ports = {"control-channel", ZCTL_PORT_BASE, ZCTL_PORT_COUNT,
				       port_read,	  port_write,	  z};

	ctl_audit_trust(z);
	return io_map_add(&z->io, IO_PORT, &ports);
}
