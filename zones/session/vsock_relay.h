/* Each zone's virtio-vsock device and the relay between the control zone and the agent zones
 * (docs/sessions.md "The vsock relay"). */
#ifndef ZV_SESSION_VSOCK_RELAY_H
#define ZV_SESSION_VSOCK_RELAY_H

#include <stdint.h>

#include "hv/err.h"

struct zone;
struct zone_acpi_config;

/* Where a zone sees its vsock device: the page after the disks' windows
 * (zones/storage/blk.h: 0xfeb01000 and 0xfeb02000), and its IOAPIC input:
 * 5 is the NIC's, 6 and 7 the disks', 8 the RTC's by ISA custom, 9 the
 * SCI's; 10 is free in every zone (hardware-reduced ACPI, no overrides). */
#define ZONE_VSOCK_GPA 0xfeb03000ull
#define ZONE_VSOCK_GSI 10

/*
 * Gives z its vsock device (before its image is loaded, so its ACPI tables
 * list it): guest_cid 3 for the control zone, 16 + z->id for an agent zone.
 * 0, or -1 with *err: ZV_EINVAL (memory reaches the window), ZV_EBUSY (a
 * second control zone, or a passed PCI device decodes the window), ZV_ENOMEM.
 */
int zone_vsock_attach(struct zone *z, struct zv_err *err);
/* Adds z's vsock device to its ACPI description, if it has one. */
void zone_vsock_acpi(const struct zone *z, struct zone_acpi_config *c);
/* z's guest_cid, or 0 when it has no vsock device (zonectl ps). */
uint32_t zone_vsock_cid(const struct zone *z);

#endif
