/* The control channel in the hypervisor: zonectl's requests from the control zone. */
#ifndef ZV_CONTROL_H
#define ZV_CONTROL_H

#include <stdbool.h>
#include <stdint.h>

#include "hv/arch/vcpu.h"
#include "hv/bootinfo.h"
#include "hv/config.h"
#include "zones/control_proto.h"

struct zone;

/* Remembers the boot files and the agent images zonectl defaults to. */
void control_init(const struct zv_bootinfo *bi, const struct zv_config *conf);

static inline bool control_port(uint16_t port)
{
	return port >= ZCTL_PORT_BASE && port < ZCTL_PORT_BASE + ZCTL_PORT_COUNT;
}

/* The channel's registers (zones/control_proto.h), control zone only. */
enum vexit_action control_port_read(struct zone *z, uint16_t port, unsigned size, uint32_t *v);
enum vexit_action control_port_write(struct zone *z, uint16_t port, unsigned size, uint32_t v);

#endif
