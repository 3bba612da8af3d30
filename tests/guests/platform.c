/* platform: pokes the virtual x2APIC and IOAPIC the way a broken or hostile kernel might. */
#include "lib.h"

#define X2APIC_ID	0x802u
#define X2APIC_VERSION	0x803u
#define X2APIC_EOI	0x80bu
#define X2APIC_ICR	0x830u
#define X2APIC_RESERVED 0x8ffu
#define IOAPIC		0xfec00000u /* IOREGSEL; IOWIN at +0x10 (82093AA 3.0) */

static void show_rdmsr(const char *name, uint32_t msr)
{
	uint64_t v;

	if (rdmsr_safe(msr, &v))
		printf("apic: rdmsr %s -> #GP\n", name);
	else
		printf("apic: rdmsr %s -> 0x%x\n", name, (uint32_t)v);
}

static void show_wrmsr(const char *name, uint32_t msr, uint64_t v)
{
	printf("apic: wrmsr %s -> %s\n", name, wrmsr_safe(msr, v) ? "#GP" : "ok");
}

static uint32_t ioapic_read(uint32_t reg)
{
	volatile uint32_t *io = (volatile uint32_t *)IOAPIC;

	io[0] = reg;
	return io[4];
}

int guest_main(uint32_t magic, const struct mb_info *info)
{
	(void)magic;
	(void)info;
	idt_install(); /* the #GP of the refused accesses comes back here */
	show_rdmsr("id", X2APIC_ID);
	show_rdmsr("version", X2APIC_VERSION);
	show_wrmsr("id (read only)", X2APIC_ID, 5);
	show_rdmsr("eoi (write only)", X2APIC_EOI);
	show_wrmsr("eoi nonzero", X2APIC_EOI, 1);
	show_rdmsr("reserved 0x8ff", X2APIC_RESERVED);
	/* An INIT to every other CPU and a fixed IPI to APIC ID 3: the zone has
	 * one vCPU, so neither may reach anything outside it. */
	show_wrmsr("icr init all-but-self", X2APIC_ICR, (3u << 18) | (5u << 8) | (1u << 14));
	show_wrmsr("icr fixed to apic 3", X2APIC_ICR, (3ull << 32) | 0x40);
	printf("ioapic: version 0x%x\n", ioapic_read(1));
	printf("ioapic: entry 4 low 0x%x\n", ioapic_read(0x10 + 2 * 4));
	/* A read-modify-write on a device register is not emulated: the zone
	 * must be stopped with the reason, and nothing else disturbed. */
	printf("ioapic: add to IOWIN\n");
	__asm__ volatile("addl $1, (%0)" : : "r"(IOAPIC + 0x10) : "memory");
	printf("ioapic: still running (wrong)\n");
	return 1;
}
