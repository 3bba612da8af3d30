/* Boot-time zones: the ones zonevisor.conf declares, started and waited for by the BSP. */
#ifndef ZV_BOOT_ZONES_H
#define ZV_BOOT_ZONES_H

#include "hv/bootinfo.h"
#include "hv/config.h"

/* Starts every declared zone (each once its `after` zone has ended and its
 * CPU is free) and returns when all have ended or been refused. */
void boot_zones_run(const struct zv_bootinfo *bi, const struct zv_config *conf);

#endif
