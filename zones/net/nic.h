/* NICs on the agent network: each agent zone's virtio-net device on virtio-mmio, and the
 * control zone's uplink, all plugged into the one switch (zones/net/switch.h). */
#ifndef ZV_NIC_H
#define ZV_NIC_H

#include <stdbool.h>
#include <stdint.h>

#include "hv/err.h"
#include "hv/zone_api.h"

struct deny_log;
struct zone;
struct zone_acpi_config;

/* Where a zone sees its NIC (an agent zone's port, the control zone's uplink):
 * one page below the IOAPIC, and its IOAPIC input (edge-triggered; COM1 is 4). */
#define ZONE_NIC_GPA 0xfeb00000ull
#define ZONE_NIC_GSI 5
/* The agent network (docs/network.md): 10.77.0.0/24, the control zone at
 * .1 as gateway and resolver, zone port p at .(10 + p). */
#define ZONE_NET	    0x0a4d0000u
#define ZONE_NET_GATEWAY    (ZONE_NET | 1)
#define ZONE_NET_FIRST_HOST 10
#define ZONE_NET_ALLOW_MAX  4096 /* bytes of an allowlist's text, rules one per line */

/*
 * Gives z a NIC on the switch (before its image is loaded, so its ACPI
 * tables list it).  allow: the zone's rules (docs/network.md), one per line;
 * NULL or "" denies everything.  0, or -1 with *err: ZV_ERULE for a rule
 * refused (the reason names it), ZV_ENOMEM for no memory or no free port,
 * ZV_EINVAL for a zone too large to leave the window free.
 */
int zone_nic_attach(struct zone *z, const char *allow, struct zv_err *err);
/* Gives the control zone the switch's uplink port (the gateway, 10.77.0.1).
 * 0, or -1 with *err set. */
int zone_nic_attach_uplink(struct zone *control, struct zv_err *err);
/* Whether the zone has a NIC (or the uplink). */
bool zone_has_nic(const struct zone *z);
/* Adds the NIC to the zone's ACPI description, if it has one. */
void zone_nic_acpi(const struct zone *z, struct zone_acpi_config *c);
/* The zone's address on the agent network ("10.77.0.10"), for its command line. */
void zone_nic_address(const struct zone *z, char *buf, unsigned len);

/* What zonectl ps shows of a zone's network.  All zero without a NIC. */
struct zone_nic_info {
	char address[16];	     /* "10.77.0.10" */
	uint32_t rules;		     /* rules in its allowlist */
	uint64_t allowed, denied;    /* frames, both directions (struct switch_counters) */
	uint64_t tx_bytes, rx_bytes; /* to the uplink, delivered to the zone */
};
void zone_nic_info(const struct zone *z, struct zone_nic_info *out);
/* Rule i of z's allowlist in canonical form into buf; its length, 0 past the last. */
unsigned zone_nic_rule(const struct zone *z, uint32_t i, char *buf, unsigned len);

/* Copies the deny records of z's NIC (or uplink) into *copy (zones/net/deny_log.h);
 * false if it has none (no NIC, or they were taken). */
bool zone_nic_denials(const struct zone *z, struct deny_log *copy);
/* Hands z's deny records to the caller, who keeps them past the zone's end and
 * frees them with zone_nic_free_denials; NULL if none.  The NIC records no more. */
struct deny_log *zone_nic_take_denials(struct zone *z);
/* Wipes and frees records taken with zone_nic_take_denials (NULL: nothing). */
void zone_nic_free_denials(struct deny_log *log);

#endif
