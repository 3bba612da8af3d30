/* Field-by-field validation of control-channel requests (pure; host-tested). */
#ifndef ZV_CONTROL_CHECK_H
#define ZV_CONTROL_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "zones/control/proto.h"

/* The fixed body size each op must carry exactly (UPLOAD: its header; the
 * data follows), or -1 for an unknown op. */
int64_t zctl_body_size(uint32_t op);

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

#endif
