/* The contract between the core and the zones: what hv/ calls that zones/ implements. */
#ifndef ZV_ZONE_API_H
#define ZV_ZONE_API_H

#include <stdbool.h>
#include <stdint.h>

#include "hv/arch/vcpu.h"
#include "hv/bootinfo.h"
#include "hv/config.h"

/* A zone (zones/zone.h): opaque to the core, which sees it through the
 * calls below and the devices its registry holds (hv/io_map.h). */
struct zone;
struct io_map;

/* ---- the core's view of a zone ------------------------------------------- */

const char *zone_name(const struct zone *z);
uint32_t zone_vcpu_count(const struct zone *z);
/* Whether zone_stop was asked: its vCPUs leave their run loops. */
bool zone_stop_requested(const struct zone *z);
/* The zone's device registry, searched by the exits (hv/devio.c). */
struct io_map *zone_io(struct zone *z);
/* Whether the zone takes the hypervisor console's input on this CPU
 * (the control zone: its CPU polls the physical UART). */
bool zone_polls_console(const struct zone *z);
/* Counts one more #UD injected into z; returns how many were before
 * (the caller logs the first few). */
uint32_t zone_count_ud(struct zone *z);

/* ---- life cycle ------------------------------------------------------------ */

/* After mem_init and the config: sets the audit log up as conf says
 * (audit_ring, audit_full, audit_share; zones/audit/boot.c) and writes the
 * hypervisor.boot records.  A pool too small for the ring leaves the log off
 * and says so on the console. */
void audit_start(const struct zv_bootinfo *bi, const struct zv_config *conf);
/* Starts every zone zonevisor.conf declares (each once its `after` zone has
 * ended and its CPU is free) and returns when all have ended or been refused. */
void boot_zones_run(const struct zv_bootinfo *bi, const struct zv_config *conf);
/* Asks the zone to stop; the first reason given is kept.  Any CPU. */
enum vexit_action zone_stop(struct zone *z, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* zone_stop for what the zone did wrong (a nested page fault, a triple
 * fault, an exit nothing emulates): the audit log records it as a fault. */
enum vexit_action zone_fault(struct zone *z, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Copies len bytes out of guest-physical memory; -1 (nothing copied) if any
 * byte is outside the zone's RAM: a hole or a passed device's BAR page. */
int zone_read(struct zone *z, uint64_t gpa, void *dst, uint64_t len);
/* Called by each CPU whose vCPU left its run loop; the last one reports
 * the stop, wipes and frees the zone, then calls on_ended. */
void zone_vcpu_returned(struct vcpu *v);

/* ---- devices the run loop serves ------------------------------------------ */

#define ZONE_NO_DEADLINE UINT64_MAX

/* Fires v's APIC timer if due; the vector v may take now, or -1. */
int zone_irq_pending(struct vcpu *v);
/* v is being given `vector` (IRR -> ISR). */
void zone_irq_ack(struct vcpu *v, uint8_t vector);
/* TSC at which v's APIC timer fires next (ZONE_NO_DEADLINE if never). */
uint64_t zone_irq_deadline(struct vcpu *v);
/* Moves queued console input (hv/console_input.h) into the zone's UART, if
 * the zone owns the console; called on the zone's vCPU 0. */
void zone_console_pull(struct zone *z);
/*
 * Runs one batch of what each of z's devices was notified to do and left
 * pending (its NIC's transmits, its disks' requests), if anything: on each of
 * z's vCPUs before it enters the zone, and from HLT.  A driver notifies once
 * for what it made available, so this is how the rest of a long ring is
 * served.  True if any device ran a batch: the batch may have raised the
 * zone's own interrupt line, so a halted vCPU must look for a pending
 * interrupt again before it sleeps (a kick to its own CPU does not wake it).
 */
bool zone_service_devices(struct zone *z);

#endif
