/* zonectl's pure helpers: parsing and formatting, no I/O (unit-tested in
 * tests/unit/test_zonectl.c). */
#ifndef ZV_ZONECTL_UTIL_H
#define ZV_ZONECTL_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Parses SIZE: digits with an optional K, M, G or T suffix (binary, either case,
 * optionally followed by "B" or "iB"); no suffix means bytes.  0 on success. */
int zc_parse_size(const char *s, uint64_t *out);

/* Why NAME is not a valid zone name ([a-z0-9_-], 1..31 characters), or NULL if it is. */
const char *zc_name_error(const char *name);

/* Writes WORDS, each single-quoted for sh ('  becomes  '\''), joined by single
 * spaces, NUL-terminated.  Returns the length, or -1 if it does not fit in CAP. */
long zc_shell_quote(char *const *words, int n, char *out, size_t cap);

/* Writes WORDS joined by single spaces, NUL-terminated; length or -1 if too long. */
long zc_join_words(char *const *words, int n, char *out, size_t cap);

/* Standard base64 (RFC 4648 section 4, padded), NUL-terminated; length or -1. */
long zc_base64_encode(const void *in, size_t len, char *out, size_t cap);

/* S as a JSON string with its quotes (RFC 8259 section 7), NUL-terminated; length or -1. */
long zc_json_string(const char *s, char *out, size_t cap);

/* True if the image is a Linux bzImage: "HdrS" at 0x202 (boot protocol, Documentation/x86/boot). */
int zc_is_bzimage(const void *image, size_t len);

/* The zone's command line for COMMAND (N words; N may be 0).  For a bzImage the
 * agent /init's form, "console=ttyS0 panic=1 quiet zv_cmd64=BASE64" of the
 * shell-quoted words; otherwise (Multiboot) the words joined by spaces.
 * Returns the length, or -1 if it does not fit in CAP. */
long zc_build_args(int bzimage, char *const *words, int n, char *out, size_t cap);

/* CPU_MASK as a list, "1,2" ("-" for none). */
void zc_format_cpus(uint32_t cpu_mask, char *out, size_t cap);

/* BYTES in MiB, "256M" (one decimal when not a whole MiB: "1.5M"). */
void zc_format_mib(uint64_t bytes, char *out, size_t cap);

/* A duration for people: "0s", "12s", "3m4s", "2h5m", "3d4h". */
void zc_format_uptime(uint64_t us, char *out, size_t cap);

/* Appends RULE and a newline to the allowlist ALLOW (CAP bytes, NUL-terminated):
 * NULL, or why RULE is refused (empty, a space or a byte outside printable ASCII;
 * for CIDR not "A.B.C.D[/N][:PORT]"-shaped; otherwise a range that belongs in
 * --allow-cidr; no room).  The hypervisor checks the rest. */
const char *zc_add_rule(char *allow, size_t cap, const char *rule, int cidr);

/* ALLOW's lines as a JSON array of strings, NUL-terminated; length or -1. */
long zc_json_rules(const char *allow, char *out, size_t cap);

struct zctl_disk;
/* A zone's disks from a ps reply as a JSON array of objects (serial, size,
 * read_only, reads, writes, read_bytes, written_bytes, errors, refused),
 * NUL-terminated; length or -1.  The reply is the hypervisor's: a count past
 * ZCTL_MAX_DISKS is cut to it, a serial without its NUL ends at its field. */
long zc_json_disks(const struct zctl_disk *disks, uint32_t count, char *out, size_t cap);

/* "zonectl: " and the message on stderr, then exit(status). */
void zc_fail(int status, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));

#endif
