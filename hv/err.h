/* The one error type of the core and zones: a code to decide by, a reason to print. */
#ifndef ZV_ERR_H
#define ZV_ERR_H

#define ZV_ERR_LEN 192 /* as long as a zonectl reply's message (zones/control/proto.h) */

/* What kind of failure: callers decide by the code, never by the text. */
enum zv_err_code {
	ZV_OK,
	ZV_ENOMEM,     /* the pool, a table or a slot is out of room */
	ZV_EINVAL,     /* the request itself is wrong (sizes, CPUs) */
	ZV_EBUSY,      /* what it needs is taken (a port, the uplink, a device range) */
	ZV_ERULE,      /* a network rule the policy refuses */
	ZV_EIMAGE,     /* the image cannot be loaded or entered */
	ZV_EISOLATION, /* the zones' memory would not stay disjoint */
};

struct zv_err {
	enum zv_err_code code;
	char reason[ZV_ERR_LEN];
};

/* Sets *e (when not NULL) to code and the formatted reason; returns -1,
 * so a failing function can end with `return zv_err_set(...)`. */
int zv_err_set(struct zv_err *e, enum zv_err_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
