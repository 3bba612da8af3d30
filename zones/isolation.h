/* The set of live zones, and the check that their nested page tables stay disjoint. */
#ifndef ZV_ZONE_ISOLATION_H
#define ZV_ZONE_ISOLATION_H

#include <stddef.h>

#include "hv/bootinfo.h"
#include "hv/err.h"

struct zone;

#define ZONES_MAX 64

/* Records which host memory no zone may ever map: everything the memory
 * map does not call usable (hypervisor, firmware, ACPI, MMIO). */
void zones_init(const struct zv_bootinfo *bi);
/* Adds z to the live set; -1 when ZONES_MAX zones are live. */
int zone_register(struct zone *z);
void zone_unregister(struct zone *z);
/* Number of live zones. */
unsigned zones_live(void);
/* 0 when no two live zones share a writable host page and none maps
 * forbidden memory; else -1 with *err (ZV_EISOLATION) saying where. */
int zones_check_isolation(struct zv_err *err);

#endif
