/* Runs the zones declared in zonevisor.conf, in dependency order, from the BSP. */
#include "drivers/lapic.h"
#include "hv/console.h"
#include "hv/console_input.h"
#include "hv/cpu.h"
#include "hv/idt.h"
#include "hv/lib/fmt.h"
#include "hv/lib/string.h"
#include "hv/mem.h"
#include "hv/percpu.h"
#include "hv/time.h"
#include "hv/zone_api.h"
#include "zones/control/control.h"
#include "zones/isolation.h"
#include "zones/pci/pass.h"
#include "zones/spawn.h"
#include "zones/storage/mem_disk.h"
#include "zones/zone.h"

enum bz_state { BZ_WAITING, BZ_RUNNING, BZ_ENDED };

struct boot_zone {
	const struct zv_zone_conf *conf;
	volatile enum bz_state state;
};

static struct boot_zone table[ZV_CONF_MAX_ZONES];

static void on_zone_ended(void *ctx, int status)
{
	(void)status;
	((struct boot_zone *)ctx)->state = BZ_ENDED;
	if (cpus[0])
		lapic_send_ipi(cpus[0]->apic_id, VECTOR_WAKEUP); /* wake the BSP */
}

/* A declared zone's spec; a file the loader did not load leaves the image
 * NULL, for zone_spawn to refuse.  A `disk` file becomes its read-only vda,
 * serial the file's name. */
static struct zone_spec spec_of(const struct zv_bootinfo *bi, const struct zv_config *conf,
				struct boot_zone *b)
{
	const struct zv_zone_conf *c = b->conf;
	const struct zv_file *img = zv_bootinfo_file(bi, c->image);
	const struct zv_file *rd = c->initrd[0] ? zv_bootinfo_file(bi, c->initrd) : NULL;
	const struct zv_file *dk = c->disk[0] ? zv_bootinfo_file(bi, c->disk) : NULL;
	bool loaded = img && (!c->initrd[0] || rd) && (!c->disk[0] || dk);
	struct zone_spec s = {
		.name = c->name,
		.kind = c->control ? ZONE_CONTROL : ZONE_PLAIN,
		.mem_bytes = c->memory,
		.cpus = c->cpus,
		.vcpu_count = c->vcpu_count,
		.image = loaded ? phys_to_virt(img->addr) : NULL,
		.image_size = loaded ? img->size : 0,
		.initrd = loaded && rd ? phys_to_virt(rd->addr) : NULL,
		.initrd_size = loaded && rd ? rd->size : 0,
		.args = c->args,
		.verify_wipe = conf->verify_wipe,
		.console_input = c->control || c->console,
		.console_timestamps = !c->control && conf->console_timestamps,
		.ctx = b,
	};

	if (loaded && dk) {
		mem_disk_init(&s.disks[0], phys_to_virt(dk->addr), dk->size, c->disk);
		s.disk_count = 1;
	}
	return s;
}

static void print_started(const struct zv_zone_conf *c)
{
	char list[32];
	size_t n = 0;

	for (uint32_t i = 0; i < c->vcpu_count && n < sizeof(list); i++)
		n += (size_t)zv_snprintf(list + n, sizeof(list) - n, "%s%u", i ? "," : "",
					 c->cpus[i]);
	kprintf("zone %s: started (cpu %s, %lu MiB)\n", c->name, list, c->memory / MIB);
}

static void on_ready(void *ctx, struct zone *z)
{
	struct boot_zone *b = ctx;

	b->state = BZ_RUNNING;
	print_started(b->conf);
	kprintf("zone %s: isolation checked against %u live zones\n", z->name, zones_live());
	zone_print_memory(z);
}

static void start(const struct zv_bootinfo *bi, const struct zv_config *conf, struct boot_zone *b)
{
	struct zone_spec s = spec_of(bi, conf, b);
	struct zv_err err;

	s.on_ended = on_zone_ended;
	s.on_ready = on_ready;
	if (zone_spawn(&s, &err) != 0) {
		kprintf("zone %s: refused: %s\n", s.name, err.reason);
		b->state = BZ_ENDED;
	}
}

static void on_control_ready(void *ctx, struct zone *z)
{
	((struct boot_zone *)ctx)->state = BZ_RUNNING;
	kprintf("zone %s: control zone started (cpu 0, %lu MiB at host 0x%lx, identity-mapped)\n",
		z->name, z->mem_bytes / MIB, z->ram_base);
}

/* The control zone: created identity-mapped and run here, on the BSP,
 * until it ends (zonectl's requests are served inside its exits). */
static void run_control(const struct zv_bootinfo *bi, const struct zv_config *conf,
			struct boot_zone *b)
{
	struct zone_spec s = spec_of(bi, conf, b);
	struct zv_err err;

	s.on_ready = on_control_ready;
	if (zone_spawn(&s, &err) != 0)
		kprintf("zone %s: refused: %s\n", s.name, err.reason);
	b->state = BZ_ENDED;
}

static struct boot_zone *find(const char *name, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (!zv_strcmp(table[i].conf->name, name))
			return &table[i];
	return NULL;
}

static bool uses_cpu(const struct zv_zone_conf *c, uint32_t cpu)
{
	for (uint32_t i = 0; i < c->vcpu_count; i++)
		if (c->cpus[i] == cpu)
			return true;
	return false;
}

/* Whether a running zone holds any of c's CPUs. */
static bool cpus_busy(const struct zv_zone_conf *c, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		for (uint32_t k = 0; k < c->vcpu_count; k++)
			if (table[i].state == BZ_RUNNING && uses_cpu(table[i].conf, c->cpus[k]))
				return true;
	return false;
}

static bool ready(const struct boot_zone *b, uint32_t n)
{
	const struct boot_zone *dep = b->conf->after[0] ? find(b->conf->after, n) : NULL;

	return b->state == BZ_WAITING && (!dep || dep->state == BZ_ENDED) && !cpus_busy(b->conf, n);
}

/* One pass: starts what can start; returns whether any zone is unfinished. */
static bool start_ready(const struct zv_bootinfo *bi, const struct zv_config *conf)
{
	bool unfinished = false;

	for (uint32_t i = 0; i < conf->zone_count; i++) {
		if (table[i].conf->control)
			continue; /* last, and on this CPU: boot_zones_run */
		if (ready(&table[i], conf->zone_count))
			start(bi, conf, &table[i]);
		unfinished |= table[i].state != BZ_ENDED;
	}
	return unfinished;
}

/* The running zone that owns the console, or NULL. */
static const struct boot_zone *console_zone(uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (table[i].state == BZ_RUNNING && table[i].conf->console)
			return &table[i];
	return NULL;
}

#define INPUT_POLL_MS 10 /* keyboard latency; the BSP has nothing else to do */

/* Halts until a zone ends; while a console zone runs, wakes every
 * INPUT_POLL_MS to pass typed bytes on and kick that zone's first CPU. */
static void wait_and_forward_input(uint32_t n)
{
	const struct boot_zone *b = console_zone(n);

	if (b)
		lapic_timer_oneshot(tsc_khz() * INPUT_POLL_MS);
	irq_enable_and_halt();
	b = console_zone(n);
	if (console_input_poll() && b && cpus[b->conf->cpus[0]])
		lapic_send_ipi(cpus[b->conf->cpus[0]]->apic_id, VECTOR_WAKEUP);
}

void boot_zones_run(const struct zv_bootinfo *bi, const struct zv_config *conf)
{
	uint64_t before = mem_free_bytes();

	zones_init(bi);
	if (!conf->zone_count)
		return;
	for (uint32_t i = 0; i < conf->zone_count; i++)
		table[i] = (struct boot_zone){&conf->zones[i], BZ_WAITING};
	kprintf("zones: %u declared; pool %lu KiB free\n", conf->zone_count, before / 1024);
	if (zv_config_control(conf)) {
		struct boot_zone *cb = find(zv_config_control(conf)->name, conf->zone_count);

		control_init(bi, conf);
		pci_pass_scan();
		start_ready(bi, conf); /* boot-time agent zones first, then the operator's */
		run_control(bi, conf, cb);
		kprintf("zones: the control zone ended\n");
		return;
	}
	while (start_ready(bi, conf))
		wait_and_forward_input(conf->zone_count);
	kprintf("zones: all ended; pool %lu KiB free (%lu KiB before)\n", mem_free_bytes() / 1024,
		before / 1024);
}
