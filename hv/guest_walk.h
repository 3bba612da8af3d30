/* Guest page-table walker: guest-virtual to guest-physical, for instruction fetch (pure C). */
#ifndef ZV_GUEST_WALK_H
#define ZV_GUEST_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The guest's paging state, as its VMCB/VMCS save area holds it. */
struct guest_paging {
	uint64_t cr0, cr3, cr4, efer;
};

/*
 * What the walk is for; or in WALK_USER for an access at CPL 3 (U/S is then
 * checked).  Without it no U/S check is made, so a fetch whose CPL is unknown
 * is safe to walk as WALK_FETCH (present, reserved and NX checks only).
 */
enum walk_access {
	WALK_READ = 0,
	WALK_WRITE = 1,
	WALK_FETCH = 2,
	WALK_USER = 4,
};

enum guest_walk_err {
	GUEST_WALK_NOT_PRESENT = -1,  /* an entry on the way has P = 0 (#PF, P = 0) */
	GUEST_WALK_RESERVED = -2,     /* an entry has a reserved bit set (#PF, RSVD = 1) */
	GUEST_WALK_PROTECTION = -3,   /* NX fetch, read-only write, supervisor page at CPL 3 */
	GUEST_WALK_READ_ERROR = -4,   /* a paging structure lies outside guest RAM */
	GUEST_WALK_NONCANONICAL = -5, /* long mode: gva is not canonical (#GP, not #PF) */
	GUEST_WALK_BAD_ARGS = -6,     /* NULL pointers */
};

/* Copies len bytes of guest-physical memory at gpa to dst; 0, or -1 when gpa is not guest RAM. */
typedef int (*guest_read_fn)(void *ctx, uint64_t gpa, void *dst, size_t len);

/*
 * Translates gva to *gpa through the guest's own tables for access acc, in the
 * mode p selects: no paging (CR0.PG = 0), 32-bit (4 MiB pages with CR4.PSE),
 * PAE, 4-level or (CR4.LA57) 5-level long mode.  Returns 0 or a negative
 * enum guest_walk_err.  Accessed/dirty bits are not set.  Reserved bits are
 * those reserved whatever MAXPHYADDR is (52 assumed): a table above guest RAM
 * is caught by read instead.  Not modelled: SMEP, SMAP, protection keys, CET.
 */
int guest_walk(const struct guest_paging *p, uint64_t gva, enum walk_access acc, uint64_t *gpa,
	       guest_read_fn read, void *ctx);

/*
 * Reads the up to 15 instruction bytes at linear address rip_linear into out,
 * translating each page separately, and sets *got to how many could be read
 * (fewer than 15 when the next page is absent or not executable: then the
 * decoder tells whether that was enough).  Returns 0 when *got > 0, else the
 * guest_walk error of the first byte.  A later page's fault can be found by
 * walking rip_linear + *got.
 */
int guest_fetch_insn(const struct guest_paging *p, uint64_t rip_linear, uint8_t out[15],
		     size_t *got, guest_read_fn read, void *ctx);

/*
 * The #PF error code (SDM vol. 3A, 4.7) to inject for guest_walk error err of
 * an access acc.  Meaningful only for GUEST_WALK_NOT_PRESENT, _RESERVED and
 * _PROTECTION; the other errors are not page faults (0 is returned).
 */
uint32_t guest_walk_pf_error(const struct guest_paging *p, int err, enum walk_access acc);

#endif
