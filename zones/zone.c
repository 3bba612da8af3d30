/* Zone lifecycle: memory from the pool behind a nested page table, vCPUs, stop, wipe. */
#include <stdarg.h>

#include "drivers/lapic.h"
#include "hv/console.h"
#include "hv/idt.h"
#include "hv/lib/fmt.h"
#include "hv/lib/string.h"
#include "hv/mem.h"
#include "hv/palloc.h"
#include "hv/percpu.h"
#include "hv/time.h"
#include "zones/isolation.h"
#include "zones/platform/irq.h"
#include "zones/platform/legacy.h"
#include "zones/zone.h"

#define CHUNK		  (2 * MIB)
#define ZONE_STRUCT_ORDER 1 /* struct zone fits in 8 KiB */

_Static_assert(sizeof(struct zone) <= (4096u << ZONE_STRUCT_ORDER), "struct zone too big");

static uint64_t npt_page_alloc(void *ctx)
{
	(void)ctx;
	return page_alloc(0);
}

static void npt_page_free(void *ctx, uint64_t pa)
{
	(void)ctx;
	zv_memset(phys_to_virt(pa), 0, PALLOC_PAGE);
	page_free(pa, 0);
}

static void *npt_to_virt(void *ctx, uint64_t pa)
{
	(void)ctx;
	return phys_to_virt(pa);
}

static const struct npt_mem npt_pool = {npt_page_alloc, npt_page_free, npt_to_virt, NULL};

/* Memory in 2 MiB chunks, each mapped RWX at consecutive guest addresses. */
static int map_memory(struct zone *z)
{
	for (uint64_t gpa = 0; gpa < z->mem_bytes; gpa += CHUNK) {
		uint64_t hpa = page_alloc(PALLOC_ORDER_2M);

		if (!hpa)
			return -1;
		if (npt_map(&z->npt, gpa, hpa, CHUNK, NPT_R | NPT_W | NPT_X) != 0) {
			page_free(hpa, PALLOC_ORDER_2M);
			return -1;
		}
	}
	return 0;
}

static const char *check_cpu(uint32_t cpu)
{
	if (cpu >= cpu_count || !cpus[cpu])
		return "no such cpu";
	if (cpu == 0)
		return "cpu 0 runs the control zone only";
	if (!cpus[cpu]->virt_ready)
		return "that cpu has no hardware virtualization";
	return NULL;
}

static const char *check_request(uint64_t mem_bytes, const uint32_t *cpu_list, uint32_t n)
{
	if (mem_bytes == 0 || mem_bytes % CHUNK)
		return "memory must be a non-zero multiple of 2 MiB";
	if (mem_bytes > mem_free_bytes())
		return "not enough free memory in the pool";
	if (n == 0 || n > ZONE_MAX_VCPUS)
		return "a zone has 1 to 4 vCPUs";
	for (uint32_t i = 0; i < n; i++) {
		const char *why = check_cpu(cpu_list[i]);

		if (why)
			return why;
		for (uint32_t j = 0; j < i; j++)
			if (cpu_list[j] == cpu_list[i])
				return "two vCPUs on one cpu";
	}
	return NULL;
}

static uint32_t last_zone_id;

/* The zone struct with its vCPUs, interrupt platform and legacy devices;
 * no memory yet. */
static struct zone *zone_alloc(const char *name, uint64_t mem_bytes, const uint32_t *cpu_list,
			       uint32_t n, bool control, struct zv_err *err)
{
	struct zone *z = phys_to_virt(page_alloc(ZONE_STRUCT_ORDER));

	if (!z) {
		zv_err_set(err, ZV_ENOMEM, "no memory for the zone");
		return NULL;
	}
	z->self_pages = 1u << ZONE_STRUCT_ORDER;
	/* Unique for the boot, never reused: the audit log's zone_id (0 is the hypervisor). */
	z->id = __atomic_add_fetch(&last_zone_id, 1, __ATOMIC_RELAXED);
	zv_strlcpy(z->name, name, sizeof(z->name));
	z->mem_bytes = mem_bytes;
	z->exit_status = -1;
	z->vcpu_count = n;
	z->control = control;
	for (uint32_t i = 0; i < n; i++)
		z->vcpus[i] = (struct vcpu){.zone = z, .id = i, .cpu = cpu_list[i]};
	if (zone_irq_init(z) != 0 || zone_io_attach(z) != 0) {
		/* two devices overlap */
		zv_err_set(err, ZV_EBUSY, "the device registry refused a device");
		zone_destroy(z);
		return NULL;
	}
	return z;
}

/* Destroys z after a failure past zone_alloc; NULL for the caller to return. */
static struct zone *undo(struct zone *z, struct zv_err *err, enum zv_err_code code, const char *why)
{
	zv_err_set(err, code, "%s", why);
	zone_destroy(z);
	return NULL;
}

struct zone *zone_create(const char *name, uint64_t mem_bytes, const uint32_t *cpu_list, uint32_t n,
			 struct zv_err *err)
{
	const char *why = check_request(mem_bytes, cpu_list, n);
	struct zone *z;

	if (why) {
		zv_err_set(err, ZV_EINVAL, "%s", why);
		return NULL;
	}
	z = zone_alloc(name, mem_bytes, cpu_list, n, false, err);
	if (!z)
		return NULL;
	if (npt_init(&z->npt, backend->npt_format, &npt_pool) != 0 || map_memory(z) != 0)
		return undo(z, err, ZV_ENOMEM, "not enough free memory in the pool");
	if (zone_register(z) != 0)
		return undo(z, err, ZV_ENOMEM, "too many zones");
	return z;
}

/* Low chunk at GPA 0, then the identity-mapped block. */
static int map_control_memory(struct zone *z)
{
	uint64_t low = page_alloc(PALLOC_ORDER_2M);
	unsigned order = palloc_order_for(z->mem_bytes);
	uint64_t block;

	if (!low)
		return -1;
	if (npt_map(&z->npt, 0, low, CHUNK, NPT_R | NPT_W | NPT_X) != 0) {
		page_free(low, PALLOC_ORDER_2M);
		return -1;
	}
	block = order <= PALLOC_MAX_ORDER ? page_alloc(order) : 0;
	if (!block)
		return -1;
	z->ram_base = block;
	if (npt_map(&z->npt, block, block, z->mem_bytes, NPT_R | NPT_W | NPT_X) != 0) {
		/* Leaves already mapped are freed with the zone, 2 MiB each. */
		for (uint64_t a = block; a < block + z->mem_bytes; a += CHUNK) {
			uint64_t hpa, size;
			unsigned perm;

			if (!npt_lookup(&z->npt, a, &hpa, &perm, &size))
				page_free(a, PALLOC_ORDER_2M);
		}
		return -1;
	}
	return 0;
}

struct zone *zone_create_control(const char *name, uint64_t mem_bytes, struct zv_err *err)
{
	static const uint32_t cpu0 = 0;
	struct zone *z;

	if (mem_bytes < CHUNK || (mem_bytes & (mem_bytes - 1))) {
		zv_err_set(err, ZV_EINVAL, "control zone memory must be a power of two");
		return NULL;
	}
	if (mem_bytes + CHUNK > mem_free_bytes()) {
		zv_err_set(err, ZV_ENOMEM, "not enough free memory for the control zone");
		return NULL;
	}
	if (!cpus[0] || !cpus[0]->virt_ready) {
		zv_err_set(err, ZV_EINVAL, "cpu 0 has no hardware virtualization");
		return NULL;
	}
	z = zone_alloc(name, mem_bytes, &cpu0, 1, true, err);
	if (!z)
		return NULL;
	z->console_raw = true;
	if (npt_init(&z->npt, backend->npt_format, &npt_pool) != 0 || map_control_memory(z) != 0 ||
	    zone_register(z) != 0)
		return undo(z, err, ZV_ENOMEM,
			    "not enough free memory (in one aligned block) for the control zone");
	return z;
}

/* Guest RAM only: the zone's RAM window bounds the range, and npt_read /
 * npt_write refuse holes and passed-through device pages (NPT_DEV). */
static bool in_ram_window(const struct zone *z, uint64_t gpa, uint64_t len)
{
	uint64_t end = z->ram_base + z->mem_bytes;

	return gpa <= end && len <= end - gpa;
}

int zone_write(struct zone *z, uint64_t gpa, const void *src, uint64_t len)
{
	return in_ram_window(z, gpa, len) ? npt_write(&z->npt, gpa, src, len) : -1;
}

int zone_read(struct zone *z, uint64_t gpa, void *dst, uint64_t len)
{
	return in_ram_window(z, gpa, len) ? npt_read(&z->npt, gpa, dst, len) : -1;
}

int zone_set_entry(struct zone *z, const struct vcpu_entry *e)
{
	/* APs start in real mode and wait for STARTUP (zones/platform/irq.c),
	 * which resets them to the real-mode vector it names. */
	const struct vcpu_entry ap = {.mode = VCPU_ENTRY_REAL16};

	for (uint32_t i = 0; i < z->vcpu_count; i++)
		if (backend->vcpu_init(&z->vcpus[i], i == 0 ? e : &ap, z->npt.root) != 0)
			return -1;
	return 0;
}

/* An IPI makes a vCPU running elsewhere exit (or leave HLT) and see the stop. */
static void kick_other_cpus(struct zone *z)
{
	uint32_t self = this_cpu()->index;

	for (uint32_t i = 0; i < z->vcpu_count; i++)
		if (z->vcpus[i].cpu != self && cpus[z->vcpus[i].cpu])
			lapic_send_ipi(cpus[z->vcpus[i].cpu]->apic_id, VECTOR_WAKEUP);
}

static void stop_with(struct zone *z, bool fault, const char *fmt, va_list ap)
{
	/* The first caller writes the reason before anyone can see the stop. */
	if (__atomic_exchange_n(&z->stop_claimed, 1, __ATOMIC_SEQ_CST) == 0) {
		zv_vsnprintf(z->stop_reason, sizeof(z->stop_reason), fmt, ap);
		z->faulted = fault;
		__atomic_store_n(&z->stop_requested, 1, __ATOMIC_SEQ_CST);
		kick_other_cpus(z);
	}
}

enum vexit_action zone_stop(struct zone *z, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	stop_with(z, false, fmt, ap);
	va_end(ap);
	return VACT_STOP;
}

enum vexit_action zone_fault(struct zone *z, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	stop_with(z, true, fmt, ap);
	va_end(ap);
	return VACT_STOP;
}

struct wipe_tally {
	uint64_t wiped, nonzero;
	bool verify;
};

static uint64_t count_nonzero(const uint64_t *p, uint64_t bytes)
{
	uint64_t n = 0;

	for (uint64_t i = 0; i < bytes / 8; i++)
		n += p[i] != 0;
	return n;
}

static int wipe_leaf(void *ctx, uint64_t gpa, uint64_t hpa, uint64_t size, unsigned perm)
{
	struct wipe_tally *t = ctx;

	(void)gpa;
	if (perm & NPT_DEV)
		return 0; /* a device's registers, not the zone's memory */
	zv_memset(phys_to_virt(hpa), 0, size);
	if (t->verify)
		t->nonzero += count_nonzero(phys_to_virt(hpa), size);
	t->wiped += size;
	return 0;
}

static int free_leaf(void *ctx, uint64_t gpa, uint64_t hpa, uint64_t size, unsigned perm)
{
	(void)ctx;
	(void)gpa;
	if (perm & NPT_DEV)
		return 0;
	page_free(hpa, size == CHUNK ? PALLOC_ORDER_2M : 0);
	return 0;
}

uint64_t zone_destroy(struct zone *z)
{
	struct wipe_tally t = {0, 0, z->verify_wipe};

	zone_unregister(z);
	hook_list_run(&z->on_destroy);
	for (uint32_t i = 0; i < z->vcpu_count; i++)
		if (z->vcpus[i].arch)
			backend->vcpu_free(&z->vcpus[i]);
	if (z->npt.root) {
		npt_for_each_leaf(&z->npt, wipe_leaf, &t);
		if (t.verify)
			kprintf("zone %s: wipe verified: %lu non-zero words\n", z->name, t.nonzero);
		npt_for_each_leaf(&z->npt, free_leaf, NULL);
		npt_destroy(&z->npt);
	}
	z->state = ZONE_WIPED;
	zv_memset(z, 0, sizeof(*z));
	page_free((uint64_t)z, ZONE_STRUCT_ORDER);
	return t.wiped;
}

struct hpa_span {
	uint64_t lo, hi;
};

static int span_leaf(void *ctx, uint64_t gpa, uint64_t hpa, uint64_t size, unsigned perm)
{
	struct hpa_span *s = ctx;

	(void)gpa;
	if (perm & NPT_DEV)
		return 0;
	if (hpa < s->lo)
		s->lo = hpa;
	if (hpa + size > s->hi)
		s->hi = hpa + size;
	return 0;
}

void zone_print_memory(struct zone *z)
{
	struct hpa_span s = {~0ull, 0};

	npt_for_each_leaf(&z->npt, span_leaf, &s);
	kprintf("zone %s: memory at host 0x%lx-0x%lx, %lu table pages\n", z->name, s.lo, s.hi,
		z->npt.table_pages);
}

void zone_start(struct zone *z)
{
	z->start_tsc = rdtsc();
	z->state = ZONE_RUNNING;
	z->vcpus_running = z->vcpu_count;
	for (uint32_t i = 0; i < z->vcpu_count; i++) {
		struct vcpu *v = &z->vcpus[i];

		cpus[v->cpu]->assigned = v;
		lapic_send_ipi(cpus[v->cpu]->apic_id, VECTOR_WAKEUP);
	}
}

/* Microseconds since zone_start, from the TSC (no floating point here). */
static uint64_t zone_uptime_us(const struct zone *z)
{
	uint64_t d = rdtsc() - z->start_tsc, khz = tsc_khz();

	return d / khz * 1000 + d % khz * 1000 / khz;
}

void zone_console_line(void *ctx, const char *line)
{
	struct zone *z = ctx;
	uint64_t us;

	if (z->console_sink) { /* zonectl's zones: a ring of their own, not the UART */
		z->console_sink(z->console_ctx, line);
		return;
	}
	if (!z->console_timestamps) {
		kprintf("[%s] %s\n", z->name, line);
		return;
	}
	us = zone_uptime_us(z);
	kprintf("[%s +%lu.%06lu] %s\n", z->name, us / 1000000, us % 1000000, line);
}

static const char *const exit_names[VEXIT_COUNT] = {
	[VEXIT_CPUID] = "cpuid",
	[VEXIT_MSR_READ] = "rdmsr",
	[VEXIT_MSR_WRITE] = "wrmsr",
	[VEXIT_IO] = "io",
	[VEXIT_HLT] = "hlt",
	[VEXIT_HYPERCALL] = "hypercall",
	[VEXIT_NPF] = "npf",
	[VEXIT_SHUTDOWN] = "shutdown",
	[VEXIT_INTR] = "intr",
	[VEXIT_NMI] = "nmi",
	[VEXIT_VIRT_INSN] = "virt-insn",
	[VEXIT_INIT] = "init",
	[VEXIT_MMIO] = "mmio",
	[VEXIT_IRQ_WINDOW] = "irq-window",
	[VEXIT_EXCEPTION] = "exception",
	[VEXIT_OTHER] = "other",
};

static uint64_t exits_of(const struct zone *z, unsigned reason)
{
	uint64_t sum = 0;

	for (uint32_t i = 0; i < z->vcpu_count; i++)
		sum += z->vcpus[i].exits[reason];
	return sum;
}

/* One line: the zone's exits by reason over all vCPUs, non-zero ones only. */
static void print_exit_counts(const struct zone *z)
{
	char buf[320];
	size_t n = 0;

	for (unsigned r = 0; r < VEXIT_COUNT; r++)
		if (exits_of(z, r) && n < sizeof(buf))
			n += (size_t)zv_snprintf(buf + n, sizeof(buf) - n, " %s %lu", exit_names[r],
						 exits_of(z, r));
	buf[n < sizeof(buf) ? n : sizeof(buf) - 1] = 0;
	kprintf("zone %s: exits:%s\n", z->name, n ? buf : " none");
}

void zone_vcpu_returned(struct vcpu *v)
{
	struct zone *z = v->zone;
	void (*on_ended)(void *, int) = z->on_ended;
	void *ctx = z->on_ended_ctx;
	int status = z->exit_status;
	char name[ZV_CONF_NAME_LEN];
	uint64_t wiped;

	/* A vCPU can only leave its loop once the zone is stopping; the others
	 * were kicked by zone_stop.  The last one out does the teardown. */
	if (!z->stop_requested)
		zone_stop(z, "vcpu %u left its run loop", v->id);
	lapic_timer_stop();
	if (__atomic_sub_fetch(&z->vcpus_running, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	zone_console_end(z);
	if (z->on_stopped)
		z->on_stopped(ctx, z);
	z->state = ZONE_STOPPED;
	kprintf("zone %s: stopped (%s)\n", z->name, z->stop_reason[0] ? z->stop_reason : "stopped");
	print_exit_counts(z);
	if (z->console_timestamps) {
		uint64_t us = zone_uptime_us(z);

		kprintf("zone %s: ran %lu.%06lu s\n", z->name, us / 1000000, us % 1000000);
	}
	zv_strlcpy(name, z->name, sizeof(name));
	wiped = zone_destroy(z);
	kprintf("zone %s: wiped %lu bytes\n", name, wiped);
	if (on_ended)
		on_ended(ctx, status);
}

const char *zone_name(const struct zone *z)
{
	return z->name;
}

uint32_t zone_vcpu_count(const struct zone *z)
{
	return z->vcpu_count;
}

bool zone_stop_requested(const struct zone *z)
{
	return z->stop_requested;
}

struct io_map *zone_io(struct zone *z)
{
	return &z->io;
}

bool zone_service_devices(struct zone *z)
{
	return service_list_run(&z->services);
}

bool zone_polls_console(const struct zone *z)
{
	return z->control && z->console_input;
}

uint32_t zone_count_ud(struct zone *z)
{
	return z->ud_reports++;
}
