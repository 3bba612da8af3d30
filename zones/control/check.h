/* Field-by-field validation of control-channel requests (pure; host-tested). */
#ifndef ZV_CONTROL_CHECK_H
#define ZV_CONTROL_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zones/control/proto.h"

/* The fixed body size each op must carry exactly (those with data: their
 * header; the data follows), or -1 for an unknown op. */
int64_t zctl_body_size(uint32_t op);

/* Whether op's fixed body is followed by data (UPLOAD, IMAGE_LOAD, WORKSPACE_WRITE). */
bool zctl_op_has_data(uint32_t op);

/* Checks the header of a request of len bytes in a window of window_size:
 * NULL, or why it is malformed (message for the reply). */
const char *zctl_check_header(const struct zctl_req_hdr *h, uint32_t len, uint32_t window_size);

/* A zone name: 1..ZCTL_NAME_LEN-1 of [a-z0-9_-], NUL-terminated inside. */
const char *zctl_check_name(const char name[ZCTL_NAME_LEN]);

/* Every field of a run request but what depends on the host's state. */
const char *zctl_check_run(const struct zctl_run *r);

/* An upload chunk of data_len bytes following u. */
const char *zctl_check_upload(const struct zctl_upload *u, uint32_t data_len);

/* A denials request: known flags, reserved zero, a zone name or (uplink) none. */
const char *zctl_check_denials(const struct zctl_denials_req *d);

/* An image chunk of data_len bytes following l. */
const char *zctl_check_image_load(const struct zctl_image_load *l, uint32_t data_len);

/* A workspace chunk of data_len bytes following w: block-aligned, inside its capacity. */
const char *zctl_check_ws_write(const struct zctl_ws_write *w, uint32_t data_len);

/* A workspace read: a zone name, whole blocks, at most ZCTL_WS_READ_MAX. */
const char *zctl_check_ws_read(const struct zctl_ws_read_req *r);

/* An audit read: known flags, room for one whole line, at most ZCTL_AUDIT_READ_MAX. */
const char *zctl_check_audit_read(const struct zctl_audit_read_req *r);

/* A session report: a zone name, a known event and kind, NUL-terminated text,
 * an exit status in -1..255. */
const char *zctl_check_session(const struct zctl_session_report *r);

#endif
