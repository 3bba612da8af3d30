/* Local APIC access in xAPIC or x2APIC mode (Intel SDM vol. 3A, ch. 10 / 11). */
#include "drivers/lapic.h"
#include "hv/cpu.h"
#include "hv/idt.h"

#define APIC_BASE_EXTD	    (1ull << 10) /* x2APIC mode enabled */
#define APIC_BASE_ADDR_MASK 0xffffff000ull

/* Register offsets in the xAPIC page; x2APIC MSR = 0x800 + offset / 16. */
#define REG_ID	   0x20
#define REG_EOI	   0xb0
#define REG_SVR	   0xf0
#define REG_ICR_LO 0x300
#define REG_ICR_HI 0x310

#define SVR_ENABLE  (1u << 8)
#define ICR_BUSY    (1u << 12)
#define ICR_ASSERT  (1u << 14)
#define ICR_LEVEL   (1u << 15)
#define ICR_FIXED   (0u << 8)
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

void lapic_init(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);

	x2apic = (base & APIC_BASE_EXTD) != 0;
	mmio = (volatile uint32_t *)(base & APIC_BASE_ADDR_MASK);
	reg_write(REG_SVR, SVR_ENABLE | VECTOR_SPURIOUS);
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
