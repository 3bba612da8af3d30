/* What a zone's devices do before each of its vCPUs enters it: work a notify left pending. */
#ifndef ZV_SERVICE_LIST_H
#define ZV_SERVICE_LIST_H

#include <stdbool.h>

#define SERVICE_LIST_MAX 4 /* a NIC and ZONE_BLK_MAX disks, and one spare */

/*
 * Filled while the zone is built (one entry per device that defers work),
 * then only read while its vCPUs run, and dropped with the zone: no lock.
 * Each callback does one bounded batch of its device's pending work and
 * returns true if it did any.
 */
struct service_list {
	unsigned n;
	struct {
		bool (*fn)(void *ctx);
		void *ctx;
	} s[SERVICE_LIST_MAX];
};

/* Adds fn(ctx): 0, or -1 when the list is full. */
int service_list_add(struct service_list *l, bool (*fn)(void *ctx), void *ctx);
/* Calls every callback once, in the order added; true if any did work. */
bool service_list_run(const struct service_list *l);

#endif
