/* The audit log over the control channel: AUDIT_READ and AUDIT_HEAD, and a record of every
 * request (docs/audit.md, docs/control.md "The audit log"). */
#include "zones/control/internal.h"

#include "hv/lib/string.h"
#include "zones/audit/audit.h"
#include "zones/audit/reader.h"
#include "zones/control/check.h"

_Static_assert(ZCTL_AUDIT_LINE_MAX == AUDIT_LINE_MAX, "proto.h mirrors audit.h");
_Static_assert(ZCTL_AUDIT_HASH_SIZE == sizeof(((struct audit_head *)0)->root),
	       "an audit head's root is a SHA-256");

static const char *const op_names[ZCTL_OP_COUNT] = {
	[ZCTL_OP_RUN] = "run",
	[ZCTL_OP_PS] = "ps",
	[ZCTL_OP_LOGS] = "logs",
	[ZCTL_OP_STOP] = "stop",
	[ZCTL_OP_RM] = "rm",
	[ZCTL_OP_STATS] = "stats",
	[ZCTL_OP_UPLOAD] = "upload",
	[ZCTL_OP_DENIALS] = "denials",
	[ZCTL_OP_IMAGE_LOAD] = "image-load",
	[ZCTL_OP_IMAGE_LS] = "image-ls",
	[ZCTL_OP_IMAGE_RM] = "image-rm",
	[ZCTL_OP_WORKSPACE_WRITE] = "workspace-write",
	[ZCTL_OP_WORKSPACE_READ] = "workspace-read",
	[ZCTL_OP_AUDIT_READ] = "audit-read",
	[ZCTL_OP_AUDIT_HEAD] = "audit-head",
	[ZCTL_OP_SESSION] = "session",
};

static const char *const error_names[ZCTL_E_COUNT] = {
	[ZCTL_OK] = "ok",
	[ZCTL_E_BAD_REQUEST] = "bad-request",
	[ZCTL_E_NO_ZONE] = "no-zone",
	[ZCTL_E_NAME_IN_USE] = "name-in-use",
	[ZCTL_E_NO_MEMORY] = "no-memory",
	[ZCTL_E_NO_CPU] = "no-cpu",
	[ZCTL_E_TOO_MANY] = "too-many",
	[ZCTL_E_BAD_IMAGE] = "bad-image",
	[ZCTL_E_NO_IMAGE] = "no-image",
	[ZCTL_E_STATE] = "state",
};

/* ---- AUDIT_HEAD, AUDIT_READ ----------------------------------------------------- */

static void fill_head(struct zctl_audit_head *o)
{
	struct audit_head h;

	audit_head(&h);
	o->size = h.size;
	zv_memcpy(o->root, h.root, sizeof(o->root));
}

int ctl_op_audit_head(struct request *q)
{
	struct zctl_audit_head *o = ctl_reply_body();

	fill_head(o);
	q->reply_len = sizeof(*o);
	return 0;
}

/* Every record before it is in the drain's file, as the drain said: a file
 * that ends sooner lost some (zonectl audit verify). */
static uint64_t acked;

/* The drain acks what it stored before reading on, so its ring space is
 * free by the time it asks for more. */
int ctl_op_audit_read(struct request *q, const struct zctl_audit_read_req *rq)
{
	struct zctl_audit_read *o = ctl_reply_body();
	const char *why = zctl_check_audit_read(rq);
	struct audit_stats st;

	if (why)
		return ctl_refuse(q, ZCTL_E_BAD_REQUEST, "%s", why);
	if (rq->flags & ZCTL_AUDIT_ACK)
		audit_ack(rq->since);
	zv_memset(o, 0, sizeof(*o));
	o->len = (uint32_t)audit_read(rq->since, (char *)(o + 1), rq->max_bytes, &o->first,
				      &o->next);
	fill_head(&o->head);
	if (rq->flags & ZCTL_AUDIT_ACK && rq->since > acked)
		acked = rq->since < o->head.size ? rq->since : o->head.size;
	o->acked = acked;
	audit_stats(&st);
	o->records = st.records;
	o->lost = st.lost;
	o->ring_bytes = st.ring_bytes;
	o->ring_used = st.ring_used;
	o->blocked = st.blocked;
	q->reply_len = (uint32_t)(sizeof(*o) + o->len);
	return 0;
}

/* ---- the record of a request ---------------------------------------------------- */

/* A string field of a request, which a refused request need not have
 * NUL-terminated: at most max bytes of it. */
static void str_field(struct audit_fields *f, const char *key, const char *s, size_t max)
{
	static char text[ZCTL_ALLOW_LEN + 1];
	size_t n = zv_strnlen(s, max < ZCTL_ALLOW_LEN ? max : ZCTL_ALLOW_LEN);

	zv_memcpy(text, s, n);
	text[n] = '\0';
	audit_str(f, key, text);
}

#define STR_FIELD(f, key, array) str_field(f, key, array, sizeof(array))

static void run_fields(struct audit_fields *f, const struct zctl_run *r)
{
	STR_FIELD(f, "name", r->name);
	audit_u64(f, "memory", r->mem_bytes);
	audit_u64(f, "cpus", r->cpus);
	audit_u64(f, "flags", r->flags);
	audit_str(f, "kernel", r->kernel == ZCTL_IMAGE_UPLOADED ? "uploaded" : "default");
	audit_str(f, "initrd",
		  r->initrd == ZCTL_IMAGE_UPLOADED ? "uploaded"
		  : r->initrd == ZCTL_IMAGE_NONE   ? "none"
						   : "default");
	STR_FIELD(f, "image", r->image);
	STR_FIELD(f, "allow", r->allow);
	STR_FIELD(f, "args", r->args); /* last: what does not fit is cut, and the record says so */
}

/* A chunk (offset, len of total): its own figures, never its bytes. */
static void chunk_fields(struct audit_fields *f, uint64_t offset, uint64_t len, uint64_t total)
{
	audit_u64(f, "offset", offset);
	audit_u64(f, "len", len);
	audit_u64(f, "total", total);
}

/* The op's arguments: names, sizes and rules, never uploaded bytes.  body
 * is the request's fixed body as checked and used (channel.c). */
static void op_fields(struct audit_fields *f, uint16_t op, const void *body)
{
	const struct zctl_name *nm = body;
	const struct zctl_upload *up = body;
	const struct zctl_image_load *il = body;
	const struct zctl_ws_write *ww = body;
	const struct zctl_ws_read_req *wr = body;
	const struct zctl_denials_req *dn = body;
	const struct zctl_audit_read_req *ar = body;

	switch (op) {
	case ZCTL_OP_RUN: run_fields(f, body); break;
	case ZCTL_OP_LOGS: STR_FIELD(f, "name", ((const struct zctl_logs_req *)body)->name); break;
	case ZCTL_OP_STOP:
	case ZCTL_OP_RM:
	case ZCTL_OP_IMAGE_RM: STR_FIELD(f, "name", nm->name); break;
	case ZCTL_OP_UPLOAD:
		audit_str(f, "slot", up->slot == ZCTL_SLOT_KERNEL ? "kernel" : "initrd");
		chunk_fields(f, up->offset, up->len, up->total);
		break;
	case ZCTL_OP_DENIALS:
		if (dn->flags & ZCTL_DENIALS_UPLINK)
			audit_str(f, "name", "(uplink)");
		else
			STR_FIELD(f, "name", dn->name);
		break;
	case ZCTL_OP_IMAGE_LOAD:
		STR_FIELD(f, "name", il->name);
		chunk_fields(f, il->offset, il->len, il->total);
		break;
	case ZCTL_OP_WORKSPACE_WRITE: chunk_fields(f, ww->offset, ww->len, ww->capacity); break;
	case ZCTL_OP_WORKSPACE_READ:
		STR_FIELD(f, "name", wr->name);
		chunk_fields(f, wr->offset, wr->len, 0);
		break;
	case ZCTL_OP_AUDIT_READ: audit_u64(f, "since", ar->since); break;
	default: break;
	}
}

/* A stream's last chunk, always worth its own record. */
static bool last_chunk(uint16_t op, const void *body)
{
	const struct zctl_upload *up = body;
	const struct zctl_image_load *il = body;

	if (op == ZCTL_OP_UPLOAD)
		return up->offset + up->len == up->total;
	return op == ZCTL_OP_IMAGE_LOAD && il->offset + il->len == il->total;
}

/*
 * The drain's own reads are not recorded (each would make a record for it
 * to read, forever).  Nor is the same op again from the same zonectl while
 * it succeeds (logs -f's polls, ps in stop's wait loop, an upload's middle
 * chunks): the next record of that zonectl says how many it stood for.
 */
static bool worth_recording(const struct request *q, const void *body, int err)
{
	static uint32_t last_pid;
	static uint16_t last_op;
	uint16_t op = q->hdr.op;
	bool repeat = q->hdr.who.pid == last_pid && op == last_op;

	if (op == ZCTL_OP_AUDIT_READ || op == ZCTL_OP_AUDIT_HEAD)
		return false;
	if (op == ZCTL_OP_SESSION && !err) /* its own record (session.c) says who asked */
		return false;
	last_pid = q->hdr.who.pid;
	last_op = op;
	return !repeat || err || (body && last_chunk(op, body));
}

/* body: NULL when the header was refused before the body was read. */
void ctl_audit_request(const struct request *q, const void *body, int err, const char *message)
{
	static struct audit_fields f; /* 1 KiB: not on the stack */
	static uint64_t repeats;
	struct audit_source src = {q->cz->name, q->cz->id};
	uint16_t op = q->hdr.op;

	if (!worth_recording(q, body, err)) {
		repeats += op != ZCTL_OP_AUDIT_READ && op != ZCTL_OP_AUDIT_HEAD &&
			   op != ZCTL_OP_SESSION;
		return;
	}
	audit_fields_init(&f);
	audit_str(&f, "op", op < ZCTL_OP_COUNT && op_names[op] ? op_names[op] : "unknown");
	if (op >= ZCTL_OP_COUNT || !op_names[op])
		audit_u64(&f, "op_number", op);
	audit_u64(&f, "uid", q->hdr.who.uid);
	audit_u64(&f, "pid", q->hdr.who.pid);
	audit_u64(&f, "ppid", q->hdr.who.ppid);
	STR_FIELD(&f, "comm", q->hdr.who.comm); /* a refused header's may run on */
	audit_str(&f, "result", err >= 0 && err < ZCTL_E_COUNT ? error_names[err] : "error");
	if (err)
		audit_str(&f, "message", message);
	if (repeats)
		audit_u64(&f, "repeats_before", repeats);
	repeats = 0;
	if (body)
		op_fields(&f, op, body);
	audit_append(&src, "control.request", &f);
}

/* The control zone's records, like the hypervisor's, may fill the ring:
 * its requests are what an operator did. */
void ctl_audit_trust(const struct zone *cz)
{
	audit_trust_zone(cz->id);
}
