/* The IDT: 256 gates to the stubs of hv/isr.S. */
#include "hv/idt.h"
#include "hv/percpu.h"
#include "hv/vectors.h"

struct __attribute__((packed)) idt_gate {
	uint16_t offset_lo;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr;
	uint16_t offset_mid;
	uint32_t offset_hi;
	uint32_t reserved;
};

extern uint64_t isr_stub_table[256];
static struct idt_gate idt[256] __attribute__((aligned(16)));

static uint8_t ist_for(unsigned v)
{
	/* #NMI (2), #DF (8), #MC (18) get a known-good stack. */
	return (v == 2 || v == 8 || v == 18) ? IST_FAULT : 0;
}

/* The core's own vectors (hv/idt.h); devices reserve theirs later. */
static void reserve_core_vectors(void)
{
	static const struct vector_owner timer = {"apic-timer", NULL, NULL},
					 wakeup = {"wakeup", NULL, NULL},
					 spurious = {"spurious", NULL, NULL};

	(void)vectors_reserve(&host_vectors, VECTOR_TIMER, VECTOR_TIMER, &timer);
	(void)vectors_reserve(&host_vectors, VECTOR_WAKEUP, VECTOR_WAKEUP, &wakeup);
	(void)vectors_reserve(&host_vectors, VECTOR_SPURIOUS, VECTOR_SPURIOUS, &spurious);
}

void idt_init(void)
{
	reserve_core_vectors();
	for (unsigned v = 0; v < 256; v++) {
		uint64_t a = isr_stub_table[v];

		idt[v] = (struct idt_gate){
			.offset_lo = (uint16_t)a,
			.selector = GDT_CODE64,
			.ist = ist_for(v),
			.type_attr = 0x8e, /* P, DPL0, 64-bit interrupt gate */
			.offset_mid = (uint16_t)(a >> 16),
			.offset_hi = (uint32_t)(a >> 32),
		};
	}
}

void idt_load(void)
{
	struct __attribute__((packed)) {
		uint16_t limit;
		uint64_t base;
	} ip = {sizeof(idt) - 1, (uint64_t)idt};

	__asm__ volatile("lidt %0" ::"m"(ip));
}
