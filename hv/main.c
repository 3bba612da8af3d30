/* hv_main: the hypervisor's boot sequence on the BSP. */
#include "drivers/lapic.h"
#include "hv/bootinfo.h"
#include "hv/config.h"
#include "hv/console.h"
#include "hv/cpu.h"
#include "hv/idt.h"
#include "hv/mem.h"
#include "hv/percpu.h"
#include "hv/platform.h"
#include "hv/smp.h"
#include "hv/time.h"
#include "hv/zone_api.h"

void hv_main(struct zv_bootinfo *bi);

static struct zv_config config;

static void load_config(const struct zv_bootinfo *bi)
{
	const struct zv_file *f = &bi->files[bi->config_file];
	char err[ZV_CONF_ERR_LEN];

	/* The loader checked it already; a failure here means memory changed. */
	if (zv_config_parse(phys_to_virt(f->addr), f->size, &config, err, sizeof(err)) != 0)
		panic("zonevisor.conf: %s", err);
}

/* An NMI, then interrupts on vectors that are also exceptions, with and
 * without an error code (hv/isr.S tells them apart), each to this CPU. */
static void send_stray_events(void)
{
	static const uint8_t vectors[] = {17, 18, 20, 30};
	struct percpu *p = this_cpu();

	kprintf("zonevisor: debug_fault: sending an NMI and vectors 17, 18, 20, 30 to cpu %u\n",
		p->index);
	lapic_send_nmi(lapic_id());
	for (size_t i = 0; i < sizeof(vectors); i++) {
		lapic_send_ipi(lapic_id(), vectors[i]);
		__asm__ volatile("sti; nop; nop; cli" ::: "memory");
	}
	kprintf("zonevisor: cpu %u went on after %u NMI and %u interrupts on reserved vectors\n",
		p->index, p->stray_nmis, p->stray_interrupts);
}

static void __attribute__((noinline)) trigger_debug_fault(enum zv_debug_fault f)
{
	volatile uint64_t zero = 0;

	switch (f) {
	case ZV_FAULT_NONE: return;
	case ZV_FAULT_UD:
		kprintf("zonevisor: debug_fault: executing ud2\n");
		__asm__ volatile("ud2");
		break;
	case ZV_FAULT_PF:
		kprintf("zonevisor: debug_fault: reading an unmapped address\n");
		(void)*(volatile uint64_t *)0x0000700000000000ull;
		break;
	case ZV_FAULT_GP:
		kprintf("zonevisor: debug_fault: reading a non-canonical address\n");
		(void)*(volatile uint64_t *)0x8000000000000000ull;
		break;
	case ZV_FAULT_DE:
		kprintf("zonevisor: debug_fault: dividing by zero\n");
		__asm__ volatile("divq %0" ::"r"(zero), "a"(1ull), "d"(0ull));
		break;
	case ZV_FAULT_STRAY: send_stray_events(); break;
	}
}

void hv_main(struct zv_bootinfo *bi)
{
	const char *bad;

	console_init();
	kprintf("zonevisor %s booting\n", ZV_VERSION);
	bad = zv_bootinfo_validate(bi);
	if (bad)
		panic("boot info rejected: %s", bad);
	time_init(bi->tsc_khz);
	time_set_wallclock(bi->boot_unix_time, bi->boot_tsc);
	paging_init(bi);
	idt_init();
	mem_init(bi);
	load_config(bi);
	audit_start(bi, &config); /* before anything a zone does can need recording */
	platform_check_acpi(bi);
	if (config.dump_acpi)
		platform_dump_acpi(bi);
	smp_init_bsp(bi);
	lapic_timer_calibrate();
	smp_start_aps(bi);
	kprintf("zonevisor: ready (%u cpus, %lu MiB free)\n", smp_online_count(),
		mem_free_bytes() / MIB);
	trigger_debug_fault(config.debug_fault);
	boot_zones_run(bi, &config);
	if (config.on_idle == ZV_IDLE_POWEROFF)
		platform_power_off(bi);
	cpu_idle();
}
