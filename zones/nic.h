/* An agent zone's NIC: a virtio-net device on virtio-mmio, plugged into the switch
 * (zones/net/switch.h). */
#ifndef ZV_NIC_H
#define ZV_NIC_H

#include <stdbool.h>
#include <stdint.h>

struct zone;
struct zone_acpi_config;

/* Where every agent zone sees its NIC: one page below the IOAPIC, and its
 * IOAPIC input (edge-triggered; COM1 is 4). */
#define ZONE_NIC_GPA 0xfeb00000ull
#define ZONE_NIC_GSI 5
/* The agent network (docs/network.md): 10.77.0.0/24, the control zone at
 * .1 as gateway and resolver, zone port p at .(10 + p). */
#define ZONE_NET	    0x0a4d0000u
#define ZONE_NET_GATEWAY    (ZONE_NET | 1)
#define ZONE_NET_FIRST_HOST 10

/* Gives z a NIC on the switch (before its image is loaded, so its ACPI
 * tables list it).  0, or -1 with *why set (no memory, no free port, a zone
 * too large to leave the window free). */
int zone_nic_attach(struct zone *z, const char **why);
/* Unplugs and frees z's NIC, if any.  On the zone's CPU after it stopped. */
void zone_nic_detach(struct zone *z);
/* Adds the NIC to the zone's ACPI description, if it has one. */
void zone_nic_acpi(const struct zone *z, struct zone_acpi_config *c);
/* The zone's address on the agent network ("10.77.0.10"), for its command line. */
void zone_nic_address(const struct zone *z, char *buf, unsigned len);

#endif
