/* Field-by-field validation of control-channel requests (pure; host-tested). */
#include "zones/control/check.h"

#include "hv/lib/string.h"

#define MIB_2 (2ull << 20)

int64_t zctl_body_size(uint32_t op)
{
	switch (op) {
	case ZCTL_OP_RUN: return sizeof(struct zctl_run);
	case ZCTL_OP_PS:
	case ZCTL_OP_STATS: return 0;
	case ZCTL_OP_LOGS: return sizeof(struct zctl_logs_req);
	case ZCTL_OP_STOP:
	case ZCTL_OP_RM: return sizeof(struct zctl_name);
	case ZCTL_OP_UPLOAD: return sizeof(struct zctl_upload);
	case ZCTL_OP_DENIALS: return sizeof(struct zctl_denials_req);
	case ZCTL_OP_IMAGE_LOAD: return sizeof(struct zctl_image_load);
	case ZCTL_OP_IMAGE_LS: return 0;
	case ZCTL_OP_IMAGE_RM: return sizeof(struct zctl_name);
	case ZCTL_OP_WORKSPACE_WRITE: return sizeof(struct zctl_ws_write);
	case ZCTL_OP_WORKSPACE_READ: return sizeof(struct zctl_ws_read_req);
	case ZCTL_OP_AUDIT_READ: return sizeof(struct zctl_audit_read_req);
	case ZCTL_OP_AUDIT_HEAD: return 0;
	case ZCTL_OP_SESSION: return sizeof(struct zctl_session_report);
	default: return -1;
	}
}

bool zctl_op_has_data(uint32_t op)
{
	return op == ZCTL_OP_UPLOAD || op == ZCTL_OP_IMAGE_LOAD || op == ZCTL_OP_WORKSPACE_WRITE;
}

/* Who asked: its name goes into the audit log as text. */
static const char *check_who(const struct zctl_who *w)
{
	size_t n = zv_strnlen(w->comm, sizeof(w->comm));

	if (w->reserved)
		return "reserved header field is not zero";
	if (n == sizeof(w->comm))
		return "caller's name is not NUL-terminated";
	for (size_t i = 0; i < n; i++)
		if (w->comm[i] < 0x20 || w->comm[i] > 0x7e)
			return "caller's name has a character outside printable ASCII";
	return NULL;
}

const char *zctl_check_header(const struct zctl_req_hdr *h, uint32_t len, uint32_t window_size)
{
	int64_t body;

	if (len < sizeof(*h) || len > window_size)
		return "request length outside the window";
	if (h->magic != ZCTL_REQ_MAGIC)
		return "bad request magic";
	if (h->version != ZCTL_VERSION)
		return "protocol version mismatch (this hypervisor speaks version 5)";
	if (h->length != len)
		return "header length differs from the doorbell's";
	if (h->reserved)
		return "reserved header field is not zero";
	if (check_who(&h->who))
		return check_who(&h->who);
	body = zctl_body_size(h->op);
	if (body < 0)
		return "unknown operation";
	if (zctl_op_has_data(h->op) ? len < sizeof(*h) + (uint64_t)body
				    : len != sizeof(*h) + (uint64_t)body)
		return "request body has the wrong size for its operation";
	return NULL;
}

static int is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

const char *zctl_check_name(const char name[ZCTL_NAME_LEN])
{
	size_t n = zv_strnlen(name, ZCTL_NAME_LEN);

	if (n == 0)
		return "empty zone name";
	if (n == ZCTL_NAME_LEN)
		return "zone name longer than 31 characters";
	for (size_t i = 0; i < n; i++)
		if (!is_name_char(name[i]))
			return "zone name may only have a-z 0-9 _ -";
	return NULL;
}

/* Printable ASCII and UTF-8 bytes, tab; no other control character. */
static const char *check_args(const char *a)
{
	size_t n = zv_strnlen(a, ZCTL_ARGS_LEN);

	if (n == ZCTL_ARGS_LEN)
		return "command line longer than 1023 bytes";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)a[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return "command line has a control character";
	}
	return NULL;
}

/* Lines of printable ASCII, each ended by '\n'; a rule's own syntax is the
 * policy's to judge (zones/net/policy.c), when the NIC is attached. */
static const char *check_allow(const char *a)
{
	size_t n = zv_strnlen(a, ZCTL_ALLOW_LEN);

	if (n == ZCTL_ALLOW_LEN)
		return "allowlist longer than 4095 bytes";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)a[i];

		if (c == '\n' && (i == 0 || a[i - 1] == '\n'))
			return "allowlist has an empty rule";
		if (c != '\n' && (c <= 0x20 || c >= 0x7f))
			return "allowlist rule has a space or a character outside printable ASCII";
	}
	if (n && a[n - 1] != '\n')
		return "allowlist's last rule does not end with a newline";
	return NULL;
}

const char *zctl_check_run(const struct zctl_run *r)
{
	if (r->name[0] && zctl_check_name(r->name))
		return zctl_check_name(r->name);
	if (zv_strnlen(r->name, ZCTL_NAME_LEN) == ZCTL_NAME_LEN)
		return "zone name longer than 31 characters";
	if (r->mem_bytes < MIB_2 || r->mem_bytes % MIB_2 || r->mem_bytes > (64ull << 30))
		return "memory must be a multiple of 2 MiB from 2M to 64G";
	if (r->cpus < 1 || r->cpus > 4)
		return "a zone has 1 to 4 vCPUs";
	if (r->flags & ~(ZCTL_RUN_AUTO_RM | ZCTL_RUN_WORKSPACE | ZCTL_RUN_NO_IMAGE))
		return "unknown run flags";
	if (r->image[0] && (r->flags & ZCTL_RUN_NO_IMAGE))
		return "an image named together with no image";
	if (r->image[0] && zctl_check_name(r->image))
		return "image name may only have a-z 0-9 _ - (1 to 31 of them)";
	if (zv_strnlen(r->image, ZCTL_NAME_LEN) == ZCTL_NAME_LEN)
		return "image name longer than 31 characters";
	if (r->kernel != ZCTL_IMAGE_DEFAULT && r->kernel != ZCTL_IMAGE_UPLOADED)
		return "kernel must be the default or an uploaded image";
	if (r->initrd > ZCTL_IMAGE_UPLOADED)
		return "initrd must be the default, none or an uploaded image";
	if (check_allow(r->allow))
		return check_allow(r->allow);
	return check_args(r->args);
}

const char *zctl_check_upload(const struct zctl_upload *u, uint32_t data_len)
{
	if (u->slot >= ZCTL_SLOT_COUNT)
		return "upload slot must be kernel (0) or initrd (1)";
	if (u->len != data_len)
		return "upload length differs from the request's";
	if (u->total == 0 || u->total > ZCTL_UPLOAD_MAX)
		return "image size must be from 1 byte to 64 MiB";
	if (u->offset > u->total || u->len > u->total - u->offset)
		return "upload chunk lies outside the image";
	return NULL;
}

/* Every byte of the name is zero: "" and nothing hidden after it. */
static int all_zero(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

const char *zctl_check_denials(const struct zctl_denials_req *d)
{
	if (d->flags & ~ZCTL_DENIALS_UPLINK)
		return "unknown denials flags";
	if (d->reserved)
		return "reserved denials field is not zero";
	if (d->flags & ZCTL_DENIALS_UPLINK)
		return all_zero(d->name, sizeof(d->name))
			       ? NULL
			       : "the uplink's denials take no zone name";
	return zctl_check_name(d->name);
}

const char *zctl_check_image_load(const struct zctl_image_load *l, uint32_t data_len)
{
	if (zctl_check_name(l->name))
		return "image name may only have a-z 0-9 _ - (1 to 31 of them)";
	if (l->reserved)
		return "reserved image field is not zero";
	if (l->len != data_len)
		return "image chunk length differs from the request's";
	if (l->total == 0 || l->total > ZCTL_STORE_MAX)
		return "image size must be from 1 byte to 64 GiB";
	if (l->offset > l->total || l->len > l->total - l->offset)
		return "image chunk lies outside the image";
	return NULL;
}

const char *zctl_check_ws_write(const struct zctl_ws_write *w, uint32_t data_len)
{
	if (w->flags & ~ZCTL_WS_WRITE_NEW)
		return "unknown workspace write flags";
	if (w->len != data_len)
		return "workspace chunk length differs from the request's";
	if (w->capacity == 0 || w->capacity % ZCTL_BLOCK || w->capacity > ZCTL_STORE_MAX)
		return "workspace size must be a multiple of 4 KiB up to 64 GiB";
	if (w->offset % ZCTL_BLOCK)
		return "workspace writes start on a 4 KiB block";
	if (w->offset > w->capacity || w->len > w->capacity - w->offset)
		return "workspace chunk lies outside the workspace";
	return NULL;
}

const char *zctl_check_ws_read(const struct zctl_ws_read_req *r)
{
	if (zctl_check_name(r->name))
		return zctl_check_name(r->name);
	if (r->reserved)
		return "reserved workspace field is not zero";
	if (r->offset % ZCTL_BLOCK || r->offset > ZCTL_STORE_MAX)
		return "workspace reads start on a 4 KiB block inside 64 GiB";
	if (r->len == 0 || r->len % ZCTL_BLOCK || r->len > ZCTL_WS_READ_MAX)
		return "workspace reads are whole 4 KiB blocks, 512 KiB at most";
	return NULL;
}

const char *zctl_check_audit_read(const struct zctl_audit_read_req *r)
{
	if (r->flags & ~ZCTL_AUDIT_ACK)
		return "unknown audit read flags";
	if (r->max_bytes < ZCTL_AUDIT_LINE_MAX || r->max_bytes > ZCTL_AUDIT_READ_MAX)
		return "audit reads return 1536 bytes to 512 KiB";
	return NULL;
}

static bool session_kind_known(const char kind[ZCTL_SESSION_KIND_LEN])
{
	static const char *const kinds[] = {"exec", "run", "attach", "cp-in", "cp-out"};

	for (unsigned i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (zv_strncmp(kind, kinds[i], ZCTL_SESSION_KIND_LEN) == 0)
			return true;
	return false;
}

const char *zctl_check_session(const struct zctl_session_report *r)
{
	if (zctl_check_name(r->name))
		return zctl_check_name(r->name);
	if (r->event == 0 || r->event >= ZCTL_SESSION_EVENT_COUNT)
		return "unknown session event";
	if (!session_kind_known(r->kind))
		return "unknown session kind (exec, run, attach, cp-in, cp-out)";
	if (zv_strnlen(r->text, sizeof(r->text)) == sizeof(r->text))
		return "session text is not NUL-terminated";
	if (r->exit_status < -1 || r->exit_status > 255)
		return "session exit status outside -1..255";
	return NULL;
}
