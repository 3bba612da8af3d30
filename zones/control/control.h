/* The control channel in the hypervisor: zonectl's requests from the control zone. */
#ifndef ZV_CONTROL_H
#define ZV_CONTROL_H

#include <stdbool.h>
#include <stdint.h>

#include "hv/arch/vcpu.h"
#include "hv/bootinfo.h"
#include "hv/config.h"
#include "zones/control/proto.h"

struct zone;

/* Remembers the boot files and the agent images zonectl defaults to. */
void control_init(const struct zv_bootinfo *bi, const struct zv_config *conf);

/* Registers the channel's ports (zones/control/proto.h) in the control
 * zone's z->io: 0, or -1 when refused. */
int control_attach(struct zone *z);

#endif
