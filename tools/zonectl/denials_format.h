/* zonectl denials' pure formatting: a DENIALS reply's frames and records as
 * text for people and JSON for programs (unit-tested in tests/unit/test_zonectl.c). */
#ifndef ZV_DENIALS_FORMAT_H
#define ZV_DENIALS_FORMAT_H

#include <stddef.h>

#include "zones/control/proto.h"

/* Where and what, as the switch's audit line has it: "port 0 udp 10.77.0.10:40000 ->
 * 10.77.0.1:53", "uplink arp 10.77.0.1 -> 10.77.0.12", "port 1 ipv6 MAC -> MAC". */
void zc_format_frame(const struct zctl_frame *f, char *out, size_t cap);

/* S with every byte outside printable ASCII (and space) as '.': no terminal escapes. */
void zc_printable(const char *s, char *out, size_t cap);

/* One record: "deny FRAME[ name NAME] reason REASON". */
void zc_format_denial(const struct zctl_deny_record *r, char *out, size_t cap);

/* Milliseconds as seconds for people: "12.345s". */
void zc_format_ms(uint64_t ms, char *out, size_t cap);

/* A frame as a JSON object; length, or -1 if it does not fit. */
long zc_json_frame(const struct zctl_frame *f, char *out, size_t cap);

/* Checks a reply of len bytes and NUL-terminates its strings in place:
 * NULL, or why it is malformed. */
const char *zc_check_denials_reply(void *reply, size_t len);

#endif
