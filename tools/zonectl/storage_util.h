/* zonectl's pure helpers for images and workspaces (unit-tested in tests/unit/test_zonectl.c). */
#ifndef ZV_ZONECTL_STORAGE_UTIL_H
#define ZV_ZONECTL_STORAGE_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define ZC_WS_MIN (1ull << 30) /* the smallest default workspace: 1G */

/* The default image name for PATH: its basename without the last extension,
 * lowercased, every byte outside [a-z0-9_-] made '-', cut to 31 characters.
 * 0, or -1 when nothing is left (then --name is needed). */
int zc_image_name(const char *path, char *out, size_t cap);

/* The default workspace size for a directory holding DIR_BYTES: twice that,
 * rounded up to a MiB, or ZC_WS_MIN, whichever is larger (at most 64G). */
uint64_t zc_workspace_default(uint64_t dir_bytes);

/* A data extent [*start, *end) of a file of SIZE bytes widened to whole 4 KiB
 * blocks (the end clamped to SIZE rounded up to a block). */
void zc_block_extent(uint64_t *start, uint64_t *end, uint64_t size);

/* From block FROM of a bitmap of N blocks (bit i LSB first: block i
 * written), the next run of written blocks: its first block, and its length
 * into *len; N when there is none. */
unsigned zc_next_run(const uint8_t *used, unsigned n, unsigned from, unsigned *len);

/* "12.3 MiB"-style size for people (B, KiB, MiB, GiB, one decimal above B). */
void zc_format_bytes(uint64_t bytes, char *out, size_t cap);

/* Whether e2fsck's exit STATUS (e2fsck(8): bit 0 errors corrected, bit 1
 * reboot wanted, 4 uncorrected, 8 operational error, ...) leaves a
 * filesystem debugfs can read: nothing but bits 0 and 1. */
int zc_fsck_ok(int status);

/* Of debugfs's stderr TEXT (LEN bytes, any bytes: it quotes the zone's file
 * names), the number of lines that are complaints: every nonempty line but
 * its version banner ("debugfs 1.47.0 (5-Feb-2023)") and rdump's failures to
 * give a file the zone's owner ("rdump: Operation not permitted while
 * changing ownership of NAME", or dump_file's), which it cannot do without
 * CAP_CHOWN and need not: zonectl makes the export's files its own.  SHOW,
 * unless NULL, is given each complaint line (without its newline). */
unsigned zc_debugfs_complaints(const char *text, size_t len,
			       void (*show)(const char *line, size_t n));

/* The mode an exported file of MODE (st_mode) is given: its permission bits,
 * without set-user-ID and set-group-ID unless it is a directory (where
 * set-group-ID only says new files inherit its group). */
unsigned zc_export_mode(unsigned mode);

/* How long e2fsck or debugfs may run on a workspace with WRITTEN bytes
 * written: a second per 4 MiB, at least 120 s, at most a day. */
unsigned zc_export_timeout(uint64_t written);

/* Free bytes a filesystem needs for one copy of a workspace with WRITTEN
 * bytes written (the image, or the files unpacked from it): those, an
 * eighth more for what e2fsck adds (directories it rebuilds, its repairs)
 * and 16 MiB; UINT64_MAX when that overflows. */
uint64_t zc_export_room(uint64_t written);

#endif
