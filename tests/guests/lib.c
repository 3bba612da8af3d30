/* The test guests' freestanding runtime: COM1 console, printf-lite, exit, CPUID/MSR, IDT. */
#include <stdarg.h>

#include "lib.h"

#define COM1	   0x3f8
#define UART_THR   0	/* transmit holding register */
#define UART_LSR   5	/* line status register */
#define LSR_THRE   0x20 /* 8250: transmit holding register empty */
#define DEBUG_EXIT 0xf4 /* QEMU isa-debug-exit, also zonevisor's exit port */

#define IDT_VECTORS 32
#define GATE_INTR32 0x8e /* present, DPL 0, 32-bit interrupt gate (SDM vol.3 6.11) */
#define CODE_SEL    0x08 /* boot.S's GDT: flat 32-bit code */

struct idt_gate {
	uint16_t off_lo, sel;
	uint8_t zero, type;
	uint16_t off_hi;
} __attribute__((packed));

struct idt_ptr {
	uint16_t limit;
	uint32_t base;
} __attribute__((packed));

extern const uint32_t isr_table[IDT_VECTORS]; /* boot.S: one stub per vector */

static struct idt_gate idt[IDT_VECTORS];
static exception_hook_fn exception_hook;
static volatile uint32_t expected_vector = ~0u;
static volatile uint32_t expected_skip;
static volatile int expected_hit;

void *memset(void *d, int c, size_t n)
{
	uint8_t *p = d;

	while (n--)
		*p++ = (uint8_t)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	uint8_t *p = d;
	const uint8_t *q = s;

	while (n--)
		*p++ = *q++;
	return d;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b || !*a)
			return (uint8_t)*a - (uint8_t)*b;
	}
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

void serial_putc(char c)
{
	while (!(inb(COM1 + UART_LSR) & LSR_THRE))
		;
	outb(COM1 + UART_THR, (uint8_t)c);
}

void serial_puts(const char *s)
{
	while (*s)
		serial_putc(*s++);
}

static void put_unsigned(uint32_t v, unsigned base, int width, char pad)
{
	char buf[12];
	int n = 0;

	do {
		buf[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (width-- > n)
		serial_putc(pad);
	while (n)
		serial_putc(buf[--n]);
}

static void put_signed(int32_t v, int width, char pad)
{
	uint32_t mag = v < 0 ? 0u - (uint32_t)v : (uint32_t)v;

	if (v < 0) {
		serial_putc('-');
		width--;
	}
	put_unsigned(mag, 10, width, pad);
}

static void put_string(const char *s, int width)
{
	int n = (int)strlen(s);

	while (width-- > n)
		serial_putc(' ');
	serial_puts(s);
}

static void put_conversion(char conv, va_list *ap, int width, char pad)
{
	switch (conv) {
	case 'd': put_signed(va_arg(*ap, int32_t), width, pad); break;
	case 'u': put_unsigned(va_arg(*ap, uint32_t), 10, width, pad); break;
	case 'x': put_unsigned(va_arg(*ap, uint32_t), 16, width, pad); break;
	case 'c': serial_putc((char)va_arg(*ap, int)); break;
	case 's': put_string(va_arg(*ap, const char *), width); break;
	case '%': serial_putc('%'); break;
	default: serial_putc('%'); serial_putc(conv);
	}
}

void printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	for (; *fmt; fmt++) {
		int width = 0;
		char pad = ' ';

		if (*fmt != '%') {
			serial_putc(*fmt);
			continue;
		}
		if (*++fmt == '0')
			pad = '0';
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		if (!*fmt)
			break;
		put_conversion(*fmt, &ap, width, pad);
	}
	va_end(ap);
}

void exit_with(int code)
{
	outb(DEBUG_EXIT, (uint8_t)code);
	for (;;)
		__asm__ volatile("cli; hlt");
}

struct cpuid_regs cpuid_sub(uint32_t leaf, uint32_t sub)
{
	struct cpuid_regs r;

	__asm__ volatile("cpuid"
			 : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
			 : "a"(leaf), "c"(sub));
	return r;
}

struct cpuid_regs cpuid(uint32_t leaf)
{
	return cpuid_sub(leaf, 0);
}

uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr) : "memory");
	return (uint64_t)hi << 32 | lo;
}

void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr"
			 :
			 : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
			 : "memory");
}

/* RDMSR and WRMSR are 2 bytes (0f 32, 0f 30): a #GP is skipped over. */
int rdmsr_safe(uint32_t msr, uint64_t *v)
{
	fault_expect(VEC_GP, 2);
	*v = rdmsr(msr);
	return fault_taken() ? -1 : 0;
}

int wrmsr_safe(uint32_t msr, uint64_t v)
{
	fault_expect(VEC_GP, 2);
	wrmsr(msr, v);
	return fault_taken() ? -1 : 0;
}

static void idt_load(uint32_t base, uint16_t limit)
{
	struct idt_ptr p = {limit, base};

	__asm__ volatile("lidt %0" : : "m"(p) : "memory");
}

void idt_install(void)
{
	for (unsigned v = 0; v < IDT_VECTORS; v++) {
		idt[v].off_lo = (uint16_t)isr_table[v];
		idt[v].sel = CODE_SEL;
		idt[v].zero = 0;
		idt[v].type = GATE_INTR32;
		idt[v].off_hi = (uint16_t)(isr_table[v] >> 16);
	}
	idt_load((uint32_t)(uintptr_t)idt, sizeof(idt) - 1);
}

void idt_load_empty(void)
{
	idt_load(0, 0);
}

void set_exception_hook(exception_hook_fn hook)
{
	exception_hook = hook;
}

void fault_expect(uint32_t vector, uint32_t skip)
{
	expected_hit = 0;
	expected_skip = skip;
	compiler_barrier();
	expected_vector = vector;
}

int fault_taken(void)
{
	int hit = expected_hit;

	expected_vector = ~0u;
	expected_hit = 0;
	return hit;
}

/* Called by isr_common (boot.S) with interrupts off; returning resumes at f->eip. */
void trap_handler(struct trap_frame *f);
void trap_handler(struct trap_frame *f)
{
	if (exception_hook && exception_hook(f->vector, f->error, &f->eip))
		return;
	if (f->vector == expected_vector) {
		expected_vector = ~0u;
		expected_hit = 1;
		f->eip += expected_skip;
		return;
	}
	printf("unexpected exception %u at 0x%x (error 0x%x)\n", f->vector, f->eip, f->error);
	exit_with(EXIT_UNEXPECTED_EXCEPTION);
}

uint64_t mb_mem_bytes(const struct mb_info *info)
{
	if (!(info->flags & MB_INFO_MEM))
		return 0;
	return (uint64_t)info->mem_upper * 1024 + MIB;
}

uint32_t mb_mem_top(const struct mb_info *info)
{
	uint64_t top = mb_mem_bytes(info);

	return top > 0xfffff000ull ? 0xfffff000u : (uint32_t)top;
}

uint32_t mb_low_top(const struct mb_info *info)
{
	if (!(info->flags & MB_INFO_MEM) || info->mem_lower > 640)
		return 0;
	return (info->mem_lower * 1024) & ~(PAGE_SIZE - 1);
}

/* QEMU's -kernel passes "<path> <append>", GRUB "<path> <args>": drop such a first word. */
static int is_image_path(const char *w, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (w[i] == '/')
			return 1;
	}
	return n >= 4 && !strncmp(w + n - 4, ".elf", 4);
}

const char *mb_args(const struct mb_info *info)
{
	const char *s, *w;
	size_t n = 0;

	if (!(info->flags & MB_INFO_CMDLINE) || !info->cmdline)
		return "";
	s = (const char *)(uintptr_t)info->cmdline;
	while (*s == ' ')
		s++;
	w = s;
	while (w[n] && w[n] != ' ')
		n++;
	if (!is_image_path(w, n))
		return s;
	s = w + n;
	while (*s == ' ')
		s++;
	return s;
}

uint32_t image_end(void)
{
	return page_round_up((uint32_t)(uintptr_t)_end);
}

const char *arg_value(const char *args, const char *key)
{
	size_t klen = strlen(key);
	const char *w = args;

	while (*w) {
		while (*w == ' ')
			w++;
		if (!strncmp(w, key, klen) && w[klen] == '=')
			return w + klen + 1;
		while (*w && *w != ' ')
			w++;
	}
	return NULL;
}

int arg_flag(const char *args, const char *word)
{
	size_t n = strlen(word);
	const char *w = args;

	while (*w) {
		while (*w == ' ')
			w++;
		if (!strncmp(w, word, n) && (w[n] == ' ' || !w[n]))
			return 1;
		while (*w && *w != ' ')
			w++;
	}
	return 0;
}

static int digit_value(char c, unsigned base)
{
	int d = -1;

	if (c >= '0' && c <= '9')
		d = c - '0';
	else if (c >= 'a' && c <= 'f')
		d = c - 'a' + 10;
	else if (c >= 'A' && c <= 'F')
		d = c - 'A' + 10;
	return d >= 0 && (unsigned)d < base ? d : -1;
}

int parse_number(const char *s, uint32_t *out, const char **end)
{
	unsigned base = 10;
	uint32_t v = 0;
	int digits = 0, d;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	while ((d = digit_value(*s, base)) >= 0) {
		v = v * base + (uint32_t)d;
		s++;
		digits++;
	}
	*out = v;
	*end = s;
	return digits > 0;
}

uint32_t arg_number(const char *args, const char *key, uint32_t def)
{
	const char *s = arg_value(args, key), *end;
	uint32_t v;

	if (!s || !parse_number(s, &v, &end) || (*end && *end != ' '))
		return def;
	return v;
}
