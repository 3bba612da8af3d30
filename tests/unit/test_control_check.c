/* Unit tests of zones/control/check.c: every field of every control request, hostile values. */
#include <stddef.h>

#include "tests/unit/test.h"
#include "zones/control/check.h"

static struct zctl_run good_run(void)
{
	struct zctl_run r;

	memset(&r, 0, sizeof(r));
	strcpy(r.name, "job-1");
	r.mem_bytes = 256ull << 20;
	r.cpus = 1;
	strcpy(r.args, "console=ttyS0 zv_cmd64=ZWNobyBoaQ==");
	return r;
}

static struct zctl_req_hdr hdr(uint16_t op, uint32_t len)
{
	return (struct zctl_req_hdr){ZCTL_REQ_MAGIC, ZCTL_VERSION, op, len, 0, {0, 1, 1, 0, "sh"}};
}

TEST(headers_are_checked_field_by_field)
{
	uint32_t run_len = sizeof(struct zctl_req_hdr) + sizeof(struct zctl_run);
	struct zctl_req_hdr h = hdr(ZCTL_OP_RUN, run_len);

	CHECK(zctl_check_header(&h, run_len, ZCTL_WINDOW_SIZE) == NULL);
	CHECK_STR(zctl_check_header(&h, run_len - 1, ZCTL_WINDOW_SIZE),
		  "header length differs from the doorbell's");
	h.length = run_len - 1;
	CHECK_STR(zctl_check_header(&h, run_len - 1, ZCTL_WINDOW_SIZE),
		  "request body has the wrong size for its operation");
	h = hdr(ZCTL_OP_RUN, run_len);
	h.magic ^= 1;
	CHECK_STR(zctl_check_header(&h, run_len, ZCTL_WINDOW_SIZE), "bad request magic");
	h = hdr(ZCTL_OP_RUN, run_len);
	h.version = 1; /* a zonectl from before allowlists */
	CHECK_STR(zctl_check_header(&h, run_len, ZCTL_WINDOW_SIZE),
		  "protocol version mismatch (this hypervisor speaks version 5)");
	h.version = 2; /* a zonectl from before the deny records */
	CHECK_STR(zctl_check_header(&h, run_len, ZCTL_WINDOW_SIZE),
		  "protocol version mismatch (this hypervisor speaks version 5)");
	h = hdr(ZCTL_OP_RUN, run_len);
	h.reserved = 1;
	CHECK_STR(zctl_check_header(&h, run_len, ZCTL_WINDOW_SIZE),
		  "reserved header field is not zero");
	h = hdr(99, sizeof(h));
	CHECK_STR(zctl_check_header(&h, sizeof(h), ZCTL_WINDOW_SIZE), "unknown operation");
	h = hdr(0, sizeof(h));
	CHECK_STR(zctl_check_header(&h, sizeof(h), ZCTL_WINDOW_SIZE), "unknown operation");
	h = hdr(ZCTL_OP_PS, 4);
	CHECK_STR(zctl_check_header(&h, 4, ZCTL_WINDOW_SIZE), "request length outside the window");
	h = hdr(ZCTL_OP_PS, ZCTL_WINDOW_SIZE + 1);
	CHECK_STR(zctl_check_header(&h, ZCTL_WINDOW_SIZE + 1, ZCTL_WINDOW_SIZE),
		  "request length outside the window");
	h = hdr(ZCTL_OP_PS, sizeof(h));
	CHECK(zctl_check_header(&h, sizeof(h), ZCTL_WINDOW_SIZE) == NULL);
	h = hdr(ZCTL_OP_UPLOAD, sizeof(h) + sizeof(struct zctl_upload) + 100);
	CHECK(zctl_check_header(&h, h.length, ZCTL_WINDOW_SIZE) == NULL);
	h = hdr(ZCTL_OP_UPLOAD, sizeof(h) + 4);
	CHECK_STR(zctl_check_header(&h, h.length, ZCTL_WINDOW_SIZE),
		  "request body has the wrong size for its operation");
}

TEST(names)
{
	char n[ZCTL_NAME_LEN];

	memset(n, 0, sizeof(n));
	CHECK_STR(zctl_check_name(n), "empty zone name");
	strcpy(n, "a_b-9");
	CHECK(zctl_check_name(n) == NULL);
	strcpy(n, "A");
	CHECK_STR(zctl_check_name(n), "zone name may only have a-z 0-9 _ -");
	strcpy(n, "a/b");
	CHECK_STR(zctl_check_name(n), "zone name may only have a-z 0-9 _ -");
	memset(n, 'a', sizeof(n)); /* no NUL inside */
	CHECK_STR(zctl_check_name(n), "zone name longer than 31 characters");
}

TEST(run_requests)
{
	struct zctl_run r = good_run();

	CHECK(zctl_check_run(&r) == NULL);
	r.name[0] = 0;
	CHECK(zctl_check_run(&r) == NULL); /* the hypervisor picks one */
	r = good_run();
	r.mem_bytes = 3ull << 20;
	CHECK_STR(zctl_check_run(&r), "memory must be a multiple of 2 MiB from 2M to 64G");
	r.mem_bytes = 0;
	CHECK_STR(zctl_check_run(&r), "memory must be a multiple of 2 MiB from 2M to 64G");
	r.mem_bytes = 128ull << 30;
	CHECK_STR(zctl_check_run(&r), "memory must be a multiple of 2 MiB from 2M to 64G");
	r = good_run();
	r.cpus = 0;
	CHECK_STR(zctl_check_run(&r), "a zone has 1 to 4 vCPUs");
	r.cpus = 5;
	CHECK_STR(zctl_check_run(&r), "a zone has 1 to 4 vCPUs");
	r = good_run();
	r.flags = 8;
	CHECK_STR(zctl_check_run(&r), "unknown run flags");
	r = good_run();
	r.kernel = ZCTL_IMAGE_NONE;
	CHECK_STR(zctl_check_run(&r), "kernel must be the default or an uploaded image");
	r = good_run();
	r.initrd = 7;
	CHECK_STR(zctl_check_run(&r), "initrd must be the default, none or an uploaded image");
	r = good_run();
	r.args[3] = '\n';
	CHECK_STR(zctl_check_run(&r), "command line has a control character");
	r = good_run();
	memset(r.args, 'x', sizeof(r.args));
	CHECK_STR(zctl_check_run(&r), "command line longer than 1023 bytes");
	r = good_run();
	memset(r.name, 'a', sizeof(r.name));
	CHECK_STR(zctl_check_run(&r), "zone name longer than 31 characters");
}

TEST(run_allowlists)
{
	struct zctl_run r = good_run();

	strcpy(r.allow, "api.example.com:443\n*.pypi.org\n10.0.0.0/8:22\n");
	CHECK(zctl_check_run(&r) == NULL);
	strcpy(r.allow, "api.example.com:443");
	CHECK_STR(zctl_check_run(&r), "allowlist's last rule does not end with a newline");
	strcpy(r.allow, "a.com\n\nb.com\n");
	CHECK_STR(zctl_check_run(&r), "allowlist has an empty rule");
	strcpy(r.allow, "\n");
	CHECK_STR(zctl_check_run(&r), "allowlist has an empty rule");
	strcpy(r.allow, "a.com b.com\n");
	CHECK_STR(zctl_check_run(&r),
		  "allowlist rule has a space or a character outside printable ASCII");
	strcpy(r.allow, "a.com\r\n");
	CHECK_STR(zctl_check_run(&r),
		  "allowlist rule has a space or a character outside printable ASCII");
	strcpy(r.allow, "caf\xc3\xa9.com\n");
	CHECK_STR(zctl_check_run(&r),
		  "allowlist rule has a space or a character outside printable ASCII");
	memset(r.allow, 'a', sizeof(r.allow));
	CHECK_STR(zctl_check_run(&r), "allowlist longer than 4095 bytes");
}

TEST(upload_chunks)
{
	struct zctl_upload u = {ZCTL_SLOT_KERNEL, 100, 0, 1000};

	CHECK(zctl_check_upload(&u, 100) == NULL);
	CHECK_STR(zctl_check_upload(&u, 99), "upload length differs from the request's");
	u.slot = 2;
	CHECK_STR(zctl_check_upload(&u, 100), "upload slot must be kernel (0) or initrd (1)");
	u = (struct zctl_upload){ZCTL_SLOT_INITRD, 100, 950, 1000};
	CHECK_STR(zctl_check_upload(&u, 100), "upload chunk lies outside the image");
	u = (struct zctl_upload){ZCTL_SLOT_INITRD, 100, UINT64_MAX - 10, 1000};
	CHECK_STR(zctl_check_upload(&u, 100), "upload chunk lies outside the image");
	u = (struct zctl_upload){ZCTL_SLOT_INITRD, 0, 0, 0};
	CHECK_STR(zctl_check_upload(&u, 0), "image size must be from 1 byte to 64 MiB");
	u.total = ZCTL_UPLOAD_MAX + 1;
	CHECK_STR(zctl_check_upload(&u, 0), "image size must be from 1 byte to 64 MiB");
}

static struct zctl_denials_req denials_of(const char *name, uint32_t flags)
{
	struct zctl_denials_req d;

	memset(&d, 0, sizeof(d));
	strncpy(d.name, name, sizeof(d.name) - 1);
	d.flags = flags;
	return d;
}

TEST(denials_requests)
{
	struct zctl_denials_req d = denials_of("job-1", 0);
	uint32_t len = sizeof(struct zctl_req_hdr) + sizeof(d);
	struct zctl_req_hdr h = hdr(ZCTL_OP_DENIALS, len);

	CHECK(zctl_check_header(&h, len, ZCTL_WINDOW_SIZE) == NULL);
	h = hdr(ZCTL_OP_DENIALS, len - 4);
	CHECK_STR(zctl_check_header(&h, len - 4, ZCTL_WINDOW_SIZE),
		  "request body has the wrong size for its operation");
	h = hdr(ZCTL_OP_DENIALS, len + 4);
	CHECK_STR(zctl_check_header(&h, len + 4, ZCTL_WINDOW_SIZE),
		  "request body has the wrong size for its operation");
	CHECK(zctl_check_denials(&d) == NULL);
	d = denials_of("", ZCTL_DENIALS_UPLINK);
	CHECK(zctl_check_denials(&d) == NULL);
	d = denials_of("", 0);
	CHECK_STR(zctl_check_denials(&d), "empty zone name");
	d = denials_of("Job!", 0);
	CHECK_STR(zctl_check_denials(&d), "zone name may only have a-z 0-9 _ -");
	d = denials_of("job-1", 0);
	memset(d.name, 'a', sizeof(d.name)); /* no NUL inside */
	CHECK_STR(zctl_check_denials(&d), "zone name longer than 31 characters");
	d = denials_of("job-1", ZCTL_DENIALS_UPLINK);
	CHECK_STR(zctl_check_denials(&d), "the uplink's denials take no zone name");
	d = denials_of("", ZCTL_DENIALS_UPLINK);
	d.name[31] = 'x'; /* hidden after the empty string */
	CHECK_STR(zctl_check_denials(&d), "the uplink's denials take no zone name");
	d = denials_of("job-1", 2);
	CHECK_STR(zctl_check_denials(&d), "unknown denials flags");
	d = denials_of("job-1", 0x80000000u | ZCTL_DENIALS_UPLINK);
	CHECK_STR(zctl_check_denials(&d), "unknown denials flags");
	d = denials_of("job-1", 0);
	d.reserved = 1;
	CHECK_STR(zctl_check_denials(&d), "reserved denials field is not zero");
}

TEST(image_and_workspace_headers)
{
	struct zctl_req_hdr h = hdr(ZCTL_OP_IMAGE_LOAD, sizeof(h) + sizeof(struct zctl_image_load));

	CHECK(zctl_check_header(&h, h.length, ZCTL_WINDOW_SIZE) == NULL); /* no data: fine */
	h = hdr(ZCTL_OP_IMAGE_LOAD, sizeof(h) + sizeof(struct zctl_image_load) - 1);
	CHECK_STR(zctl_check_header(&h, h.length, ZCTL_WINDOW_SIZE),
		  "request body has the wrong size for its operation");
	h = hdr(ZCTL_OP_WORKSPACE_WRITE, sizeof(h) + sizeof(struct zctl_ws_write) + 4096);
	CHECK(zctl_check_header(&h, h.length, ZCTL_WINDOW_SIZE) == NULL);
	h = hdr(ZCTL_OP_IMAGE_LS, sizeof(h) + 1);
	CHECK_STR(zctl_check_header(&h, h.length, ZCTL_WINDOW_SIZE),
		  "request body has the wrong size for its operation");
	h = hdr(ZCTL_OP_IMAGE_RM, sizeof(h) + sizeof(struct zctl_name));
	CHECK(zctl_check_header(&h, h.length, ZCTL_WINDOW_SIZE) == NULL);
	h = hdr(ZCTL_OP_WORKSPACE_READ, sizeof(h) + sizeof(struct zctl_ws_read_req) + 1);
	CHECK_STR(zctl_check_header(&h, h.length, ZCTL_WINDOW_SIZE),
		  "request body has the wrong size for its operation");
	CHECK(zctl_op_has_data(ZCTL_OP_UPLOAD) && !zctl_op_has_data(ZCTL_OP_WORKSPACE_READ));
}

TEST(run_image_and_workspace)
{
	struct zctl_run r = good_run();

	strcpy(r.image, "debian-12");
	r.flags = ZCTL_RUN_WORKSPACE | ZCTL_RUN_AUTO_RM;
	CHECK(zctl_check_run(&r) == NULL);
	strcpy(r.image, "Debian");
	CHECK_STR(zctl_check_run(&r), "image name may only have a-z 0-9 _ - (1 to 31 of them)");
	memset(r.image, 'a', sizeof(r.image));
	CHECK_STR(zctl_check_run(&r), "image name may only have a-z 0-9 _ - (1 to 31 of them)");
	r = good_run();
	r.flags = 1u << 3;
	CHECK_STR(zctl_check_run(&r), "unknown run flags");
	r = good_run();
	r.flags = ZCTL_RUN_NO_IMAGE;
	CHECK(zctl_check_run(&r) == NULL);
	strcpy(r.image, "base");
	CHECK_STR(zctl_check_run(&r), "an image named together with no image");
}

TEST(image_load_chunks)
{
	struct zctl_image_load l = {"base", 100, 0, 0, 1000};

	CHECK(zctl_check_image_load(&l, 100) == NULL);
	CHECK_STR(zctl_check_image_load(&l, 99), "image chunk length differs from the request's");
	l.reserved = 1;
	CHECK_STR(zctl_check_image_load(&l, 100), "reserved image field is not zero");
	l = (struct zctl_image_load){"base", 100, 0, 950, 1000};
	CHECK_STR(zctl_check_image_load(&l, 100), "image chunk lies outside the image");
	l = (struct zctl_image_load){"base", 100, 0, UINT64_MAX - 10, 1000};
	CHECK_STR(zctl_check_image_load(&l, 100), "image chunk lies outside the image");
	l = (struct zctl_image_load){"base", 0, 0, 0, 0};
	CHECK_STR(zctl_check_image_load(&l, 0), "image size must be from 1 byte to 64 GiB");
	l.total = ZCTL_STORE_MAX + 1;
	CHECK_STR(zctl_check_image_load(&l, 0), "image size must be from 1 byte to 64 GiB");
	l.total = ZCTL_STORE_MAX;
	CHECK(zctl_check_image_load(&l, 0) == NULL);
	memcpy(l.name, "../x", 5);
	CHECK_STR(zctl_check_image_load(&l, 0),
		  "image name may only have a-z 0-9 _ - (1 to 31 of them)");
	memset(l.name, 'a', sizeof(l.name)); /* no NUL */
	CHECK_STR(zctl_check_image_load(&l, 0),
		  "image name may only have a-z 0-9 _ - (1 to 31 of them)");
}

TEST(workspace_writes)
{
	struct zctl_ws_write w = {1ull << 30, 8192, 4096, ZCTL_WS_WRITE_NEW};

	CHECK(zctl_check_ws_write(&w, 4096) == NULL);
	CHECK_STR(zctl_check_ws_write(&w, 4095),
		  "workspace chunk length differs from the request's");
	w.flags = 2;
	CHECK_STR(zctl_check_ws_write(&w, 4096), "unknown workspace write flags");
	w = (struct zctl_ws_write){1ull << 30, 8191, 4096, 0};
	CHECK_STR(zctl_check_ws_write(&w, 4096), "workspace writes start on a 4 KiB block");
	w = (struct zctl_ws_write){8192, 4096, 4097, 0};
	CHECK_STR(zctl_check_ws_write(&w, 4097), "workspace chunk lies outside the workspace");
	w = (struct zctl_ws_write){8192, UINT64_MAX - 4095, 10, 0}; /* aligned, would wrap */
	CHECK_STR(zctl_check_ws_write(&w, 10), "workspace chunk lies outside the workspace");
	w = (struct zctl_ws_write){8192, 1ull << 62, 10, 0};
	CHECK_STR(zctl_check_ws_write(&w, 10), "workspace chunk lies outside the workspace");
	w = (struct zctl_ws_write){8192, 8192, 0, 0};
	CHECK(zctl_check_ws_write(&w, 0) == NULL); /* an empty write at the end */
	w = (struct zctl_ws_write){0, 0, 0, 0};
	CHECK_STR(zctl_check_ws_write(&w, 0),
		  "workspace size must be a multiple of 4 KiB up to 64 GiB");
	w.capacity = 4097;
	CHECK_STR(zctl_check_ws_write(&w, 0),
		  "workspace size must be a multiple of 4 KiB up to 64 GiB");
	w.capacity = ZCTL_STORE_MAX + 4096;
	CHECK_STR(zctl_check_ws_write(&w, 0),
		  "workspace size must be a multiple of 4 KiB up to 64 GiB");
}

TEST(workspace_reads)
{
	struct zctl_ws_read_req r = {"job-1", 4096, ZCTL_WS_READ_MAX, 0};

	CHECK(zctl_check_ws_read(&r) == NULL);
	r.len = ZCTL_WS_READ_MAX + 4096;
	CHECK_STR(zctl_check_ws_read(&r),
		  "workspace reads are whole 4 KiB blocks, 512 KiB at most");
	r.len = 0;
	CHECK_STR(zctl_check_ws_read(&r),
		  "workspace reads are whole 4 KiB blocks, 512 KiB at most");
	r.len = 100;
	CHECK_STR(zctl_check_ws_read(&r),
		  "workspace reads are whole 4 KiB blocks, 512 KiB at most");
	r = (struct zctl_ws_read_req){"job-1", 100, 4096, 0};
	CHECK_STR(zctl_check_ws_read(&r), "workspace reads start on a 4 KiB block inside 64 GiB");
	r = (struct zctl_ws_read_req){"job-1", UINT64_MAX & ~4095ull, 4096, 0};
	CHECK_STR(zctl_check_ws_read(&r), "workspace reads start on a 4 KiB block inside 64 GiB");
	r = (struct zctl_ws_read_req){"job-1", 0, 4096, 7};
	CHECK_STR(zctl_check_ws_read(&r), "reserved workspace field is not zero");
	r = (struct zctl_ws_read_req){"", 0, 4096, 0};
	CHECK_STR(zctl_check_ws_read(&r), "empty zone name");
}

TEST(who_asked_is_checked)
{
	struct zctl_req_hdr h = hdr(ZCTL_OP_PS, sizeof(h));

	CHECK(zctl_check_header(&h, sizeof(h), ZCTL_WINDOW_SIZE) == NULL);
	h.who.reserved = 7;
	CHECK_STR(zctl_check_header(&h, sizeof(h), ZCTL_WINDOW_SIZE),
		  "reserved header field is not zero");
	h = hdr(ZCTL_OP_PS, sizeof(h));
	memset(h.who.comm, 'a', sizeof(h.who.comm)); /* no NUL */
	CHECK_STR(zctl_check_header(&h, sizeof(h), ZCTL_WINDOW_SIZE),
		  "caller's name is not NUL-terminated");
	h = hdr(ZCTL_OP_PS, sizeof(h));
	strcpy(h.who.comm, "a\"b\n");
	CHECK_STR(zctl_check_header(&h, sizeof(h), ZCTL_WINDOW_SIZE),
		  "caller's name has a character outside printable ASCII");
	h.who.comm[3] = (char)0xc3; /* not ASCII either */
	CHECK(zctl_check_header(&h, sizeof(h), ZCTL_WINDOW_SIZE) != NULL);
	h = hdr(ZCTL_OP_PS, sizeof(h));
	memset(h.who.comm, 0, sizeof(h.who.comm)); /* no name at all is fine */
	h.who.uid = 0xffffffffu;
	CHECK(zctl_check_header(&h, sizeof(h), ZCTL_WINDOW_SIZE) == NULL);
}

TEST(audit_requests)
{
	struct zctl_audit_read_req r = {0, 0, ZCTL_AUDIT_LINE_MAX};
	struct zctl_req_hdr h = hdr(ZCTL_OP_AUDIT_READ, sizeof(h) + sizeof(r));

	CHECK(zctl_check_header(&h, h.length, ZCTL_WINDOW_SIZE) == NULL);
	h.length++;
	CHECK_STR(zctl_check_header(&h, h.length, ZCTL_WINDOW_SIZE),
		  "request body has the wrong size for its operation");
	h = hdr(ZCTL_OP_AUDIT_HEAD, sizeof(h));
	CHECK(zctl_check_header(&h, h.length, ZCTL_WINDOW_SIZE) == NULL);
	h = hdr(ZCTL_OP_AUDIT_HEAD, sizeof(h) + 8);
	CHECK(zctl_check_header(&h, h.length, ZCTL_WINDOW_SIZE) != NULL);

	CHECK(zctl_check_audit_read(&r) == NULL);
	r.since = UINT64_MAX; /* any seq: past the head reads nothing */
	r.flags = ZCTL_AUDIT_ACK;
	r.max_bytes = ZCTL_AUDIT_READ_MAX;
	CHECK(zctl_check_audit_read(&r) == NULL);
	r.flags = 2;
	CHECK_STR(zctl_check_audit_read(&r), "unknown audit read flags");
	r.flags = 0;
	r.max_bytes = ZCTL_AUDIT_LINE_MAX - 1; /* could not hold one line */
	CHECK_STR(zctl_check_audit_read(&r), "audit reads return 1536 bytes to 512 KiB");
	r.max_bytes = ZCTL_AUDIT_READ_MAX + 1;
	CHECK(zctl_check_audit_read(&r) != NULL);
	r.max_bytes = 0;
	CHECK(zctl_check_audit_read(&r) != NULL);
}

/* ps carries each zone's disks: a slot for each disk a zone can have, 8-byte
 * fields on 8-byte boundaries (the control zone reads them as they come), and
 * the whole reply fits the window. */
TEST(ps_reply_holds_the_disks)
{
	CHECK_EQ_U64(ZCTL_MAX_DISKS, 2);
	CHECK(ZCTL_SERIAL_LEN > 20); /* VIRTIO_BLK_ID_BYTES and a NUL */
	CHECK_EQ_U64(sizeof(struct zctl_disk) % 8, 0);
	CHECK_EQ_U64(offsetof(struct zctl_zone, disks) % 8, 0);
	CHECK_EQ_U64(offsetof(struct zctl_disk, reads) % 8, 0);
	CHECK(sizeof(struct zctl_resp_hdr) + sizeof(struct zctl_ps) <= ZCTL_WINDOW_SIZE);
}

/* A session report is checked like any request: every string ends inside its
 * field, the event and kind are known, the status is a shell's. */
TEST(session_reports)
{
	struct zctl_session_report r = {.name = "agent-1",
					.event = ZCTL_SESSION_END,
					.exit_status = 7,
					.kind = "exec",
					.text = "git status"};

	CHECK_EQ_U64(zctl_body_size(ZCTL_OP_SESSION), sizeof(r));
	CHECK(zctl_check_session(&r) == NULL);
	r.exit_status = -1; /* the stream ended without a status */
	CHECK(zctl_check_session(&r) == NULL);
	r.exit_status = 256;
	CHECK_STR(zctl_check_session(&r), "session exit status outside -1..255");
	r.exit_status = 0;
	r.event = ZCTL_SESSION_EVENT_COUNT;
	CHECK_STR(zctl_check_session(&r), "unknown session event");
	r.event = 0;
	CHECK(zctl_check_session(&r) != NULL);
	r.event = ZCTL_SESSION_CP;
	memcpy(r.kind, "cp-sideways", 12);
	CHECK(zctl_check_session(&r) != NULL);
	memset(r.kind, 'e', sizeof(r.kind)); /* "eeee..." with no NUL: not a kind */
	CHECK(zctl_check_session(&r) != NULL);
	memcpy(r.kind, "cp-in", 6);
	CHECK(zctl_check_session(&r) == NULL);
	memset(r.text, 'x', sizeof(r.text));
	CHECK_STR(zctl_check_session(&r), "session text is not NUL-terminated");
	r.text[0] = 0;
	memset(r.name, 0, sizeof(r.name));
	CHECK(zctl_check_session(&r) != NULL);
}
