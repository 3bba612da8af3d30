/* Bringing CPUs online: per-CPU setup, virtualization enable, AP start-up. */
#ifndef ZV_SMP_H
#define ZV_SMP_H

#include "hv/bootinfo.h"

/* Sets up the BSP as cpu 0 (runs on the loader's stack). */
void smp_init_bsp(const struct zv_bootinfo *bi);
/* Starts every other CPU of the boot-info list, one at a time, in order. */
void smp_start_aps(const struct zv_bootinfo *bi);
/* CPUs online, and how many of them can run zones. */
uint32_t smp_online_count(void);
uint32_t smp_virt_count(void);
struct vcpu;
/* Runs v on this CPU until it leaves its run loop, then reports it
 * (zone_vcpu_returned): the APs' idle loop, and the BSP's control zone. */
void cpu_run_vcpu(struct vcpu *v);
/* The idle loop: halts until an interrupt, forever. */
void __attribute__((noreturn)) cpu_idle(void);

#endif
