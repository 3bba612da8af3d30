/* Local APIC access in xAPIC or x2APIC mode (Intel SDM vol. 3A, ch. 10 / 11). */
#include "drivers/lapic.h"
#include "hv/cpu.h"
#include "hv/idt.h"
#include "hv/time.h"

#include <stddef.h>

#define APIC_BASE_EXTD	    (1ull << 10) /* x2APIC mode enabled */
#define APIC_BASE_ADDR_MASK 0xffffff000ull

/* Register offsets in the xAPIC page; x2APIC MSR = 0x800 + offset / 16. */
#define REG_ID	       0x20
#define REG_EOI	       0xb0
#define REG_SVR	       0xf0
#define REG_ISR	       0x100 /* eight 32-bit words, 0x10 apart */
#define REG_ICR_LO     0x300
#define REG_ICR_HI     0x310
#define REG_LVT_TIMER  0x320
#define REG_TIMER_INIT 0x380
#define REG_TIMER_CUR  0x390
#define REG_TIMER_DCR  0x3e0
#define TIMER_DIVIDE_1 0xb /* SDM vol. 3A, figure 11-10 */
#define LVT_MASKED     (1u << 16)
#define CALIBRATE_US   1000

#define SVR_ENABLE  (1u << 8)
#define ICR_BUSY    (1u << 12)
#define ICR_ASSERT  (1u << 14)
#define ICR_LEVEL   (1u << 15)
#define ICR_FIXED   (0u << 8)
#define ICR_NMI	    (4u << 8)
#define ICR_INIT    (5u << 8)
#define ICR_STARTUP (6u << 8)

static int x2apic;
static volatile uint32_t *mmio;

static uint32_t reg_read(uint32_t reg)
{
	return x2apic ? (uint32_t)rdmsr(0x800 + reg / 16) : mmio[reg / 4];
}

static void reg_write(uint32_t reg, uint32_t v)
{
	if (x2apic)
		wrmsr(0x800 + reg / 16, v);
	else
		mmio[reg / 4] = v;
}

/* For hv/isr.S, which reads ISR bits 31:0 before it builds a frame. */
volatile uint32_t *lapic_isr0_mmio;
uint32_t lapic_isr_x2apic;

void lapic_init(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);

	x2apic = (base & APIC_BASE_EXTD) != 0;
	mmio = (volatile uint32_t *)(base & APIC_BASE_ADDR_MASK);
	reg_write(REG_SVR, SVR_ENABLE | VECTOR_SPURIOUS);
	lapic_isr_x2apic = x2apic;
	lapic_isr0_mmio = x2apic ? NULL : &mmio[REG_ISR / 4];
}

bool lapic_in_service(uint8_t vector)
{
	return (reg_read(REG_ISR + (vector / 32) * 0x10) >> (vector % 32)) & 1;
}

int lapic_is_x2apic(void)
{
	return x2apic;
}

uint32_t lapic_id(void)
{
	uint32_t id = reg_read(REG_ID);

	return x2apic ? id : id >> 24;
}

void lapic_eoi(void)
{
	reg_write(REG_EOI, 0);
}

static int send_icr(uint32_t apic_id, uint32_t lo)
{
	if (x2apic) {
		wrmsr(0x830, ((uint64_t)apic_id << 32) | lo);
		return 0;
	}
	reg_write(REG_ICR_HI, apic_id << 24);
	reg_write(REG_ICR_LO, lo);
	for (int spins = 0; spins < 1000000; spins++) {
		if (!(reg_read(REG_ICR_LO) & ICR_BUSY))
			return 0;
		cpu_relax();
	}
	return -1;
}

int lapic_send_init(uint32_t apic_id)
{
	return send_icr(apic_id, ICR_INIT | ICR_LEVEL | ICR_ASSERT);
}

int lapic_send_startup(uint32_t apic_id, uint8_t vector_page)
{
	return send_icr(apic_id, ICR_STARTUP | ICR_ASSERT | vector_page);
}

int lapic_send_ipi(uint32_t apic_id, uint8_t vector)
{
	return send_icr(apic_id, ICR_FIXED | ICR_ASSERT | vector);
}

int lapic_send_nmi(uint32_t apic_id)
{
	return send_icr(apic_id, ICR_NMI | ICR_ASSERT);
}

/* Timer ticks per TSC cycle, 32.32 fixed point; 0 until calibrated. */
static uint64_t ticks_per_tsc;

void lapic_timer_calibrate(void)
{
	uint64_t t0, t1;
	uint32_t left;

	reg_write(REG_TIMER_DCR, TIMER_DIVIDE_1);
	reg_write(REG_LVT_TIMER, LVT_MASKED | VECTOR_TIMER);
	t0 = rdtsc();
	reg_write(REG_TIMER_INIT, 0xffffffffu);
	udelay(CALIBRATE_US);
	left = reg_read(REG_TIMER_CUR);
	t1 = rdtsc();
	reg_write(REG_TIMER_INIT, 0);
	if (t1 > t0 && left < 0xffffffffu)
		ticks_per_tsc = ((uint64_t)(0xffffffffu - left) << 32) / (t1 - t0);
	if (!ticks_per_tsc)
		ticks_per_tsc = 1ull << 32; /* unmeasurable: assume one tick per cycle */
}

void lapic_timer_oneshot(uint64_t tsc_cycles)
{
	unsigned __int128 t = (unsigned __int128)tsc_cycles * ticks_per_tsc;
	uint64_t ticks = (uint64_t)(t >> 32) + 1; /* round up: never fire early */

	if (ticks > 0xffffffffu)
		ticks = 0xffffffffu; /* wakes early; the caller re-arms */
	reg_write(REG_TIMER_DCR, TIMER_DIVIDE_1);
	reg_write(REG_LVT_TIMER, VECTOR_TIMER); /* one-shot, unmasked */
	reg_write(REG_TIMER_INIT, (uint32_t)ticks);
}

bool lapic_timer_running(void)
{
	return reg_read(REG_TIMER_CUR) != 0;
}

void lapic_timer_stop(void)
{
	reg_write(REG_TIMER_INIT, 0);
}
