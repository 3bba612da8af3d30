/* The test guests' freestanding runtime: ports, COM1 console, exit, CPUID/MSR, IDT, Multiboot. */
#ifndef GUEST_LIB_H
#define GUEST_LIB_H

/* Our own fixed-width types: gcc -m32 must not need glibc's 32-bit headers. */
typedef unsigned char uint8_t;
typedef unsigned short uint16_t;
typedef unsigned int uint32_t;
typedef unsigned long long uint64_t;
typedef int int32_t;
typedef long long int64_t;
typedef unsigned int uintptr_t;
typedef unsigned int size_t;

#define NULL ((void *)0)

#define MULTIBOOT_BOOTLOADER_MAGIC 0x2badb002u
#define MB_INFO_MEM		   (1u << 0) /* Multiboot 0.6.96 3.3: mem_lower/mem_upper valid */
#define MB_INFO_CMDLINE		   (1u << 2) /* cmdline valid */
#define MB_INFO_MMAP		   (1u << 6) /* mmap_length/mmap_addr valid */

#define EXIT_UNEXPECTED_EXCEPTION 99 /* trap_handler's status for a fault nobody expected */

#define VEC_UD 6  /* invalid opcode */
#define VEC_GP 13 /* general protection */

#define PAGE_SIZE 4096u
#define MIB	  (1024u * 1024u)

struct mb_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
	uint32_t mods_count, mods_addr, syms[4], mmap_length, mmap_addr;
};

/* Saved by isr_common in boot.S: pushal order, then vector, error code, the CPU's frame. */
struct trap_frame {
	uint32_t edi, esi, ebp, esp, ebx, edx, ecx, eax;
	uint32_t vector, error, eip, cs, eflags;
};

/* A guest's own handler: return nonzero when it dealt with the exception (may edit *eip). */
typedef int (*exception_hook_fn)(uint32_t vector, uint32_t error, uint32_t *eip);

extern char _end[]; /* linker.ld: first byte after the image, bss and stack */

/* The guest's entry, called by boot.S; its return value becomes the exit code. */
int guest_main(uint32_t magic, const struct mb_info *info);

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

/* Stops the compiler from deleting or merging busy loops. */
static inline void compiler_barrier(void)
{
	__asm__ volatile("" : : : "memory");
}

static inline uint32_t page_round_up(uint32_t a)
{
	return (a + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
}

struct cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};

/* CPUID leaf/subleaf 0, and any subleaf. */
struct cpuid_regs cpuid(uint32_t leaf);
struct cpuid_regs cpuid_sub(uint32_t leaf, uint32_t sub);

/* RDMSR/WRMSR with no fault handling: a #GP is fatal (status 99 once idt_install ran). */
uint64_t rdmsr(uint32_t msr);
void wrmsr(uint32_t msr, uint64_t v);
/* The same, catching #GP: 0 on success, -1 when the instruction raised #GP. Needs idt_install. */
int rdmsr_safe(uint32_t msr, uint64_t *v);
int wrmsr_safe(uint32_t msr, uint64_t v);

/* COM1 (8250 at 0x3f8), polled; lines end with "\n" only. */
void serial_putc(char c);
void serial_puts(const char *s);
/* printf-lite: %s %c %d %u %x %%, with optional '0' flag and width (%08x). */
void printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Ends the run: QEMU's isa-debug-exit (and zonevisor) report (code << 1) | 1. */
__attribute__((noreturn)) void exit_with(int code);

/* Builds and loads an IDT of interrupt gates for vectors 0..31 that go to trap_handler. */
void idt_install(void);
/* Loads an IDT with limit 0: any exception then escalates to a triple fault. */
void idt_load_empty(void);
/* Optional per-guest handler tried before the expected-fault check (NULL: none). */
void set_exception_hook(exception_hook_fn hook);
/*
 * Arms the expected-fault check: the next exception `vector` is recorded and the
 * saved EIP advanced by skip bytes (the faulting instruction's length).  Any other
 * exception prints "unexpected exception N at 0x<eip>" and exits with status 99.
 */
void fault_expect(uint32_t vector, uint32_t skip);
/* Disarms the check; returns 1 when the armed fault happened since fault_expect. */
int fault_taken(void);

/* RAM size in bytes from mem_upper (mem_upper KiB above 1 MiB); 0 without MB_INFO_MEM. */
uint64_t mb_mem_bytes(const struct mb_info *info);
/* The first byte past RAM as a 32-bit address, clamped to 0xfffff000. */
uint32_t mb_mem_top(const struct mb_info *info);
/*
 * The kernel's arguments: the Multiboot command line without a leading image
 * path (QEMU and GRUB put the kernel's file name first); "" when there is none.
 */
const char *mb_args(const struct mb_info *info);
/* End of conventional RAM below 1 MiB (mem_lower KiB), page-aligned down; 0 without info. */
uint32_t mb_low_top(const struct mb_info *info);
/* Low RAM the guests may scribble on: from here to mb_low_top (page 0 holds the IVT). */
#define LOW_FREE_START 0x1000u
/* First byte of this guest's free RAM: _end rounded up to a page. */
uint32_t image_end(void);

/* Argument parsing over mb_args() text: words separated by spaces. */
/* The value after "key=" of the first word that starts with it, else NULL (ends at a space). */
const char *arg_value(const char *args, const char *key);
/* 1 when some word equals word exactly. */
int arg_flag(const char *args, const char *word);
/* arg_value parsed as a number (decimal or 0x hex), or def when absent or malformed. */
uint32_t arg_number(const char *args, const char *key, uint32_t def);
/* Parses a decimal or 0x-hex number at s; sets *end past it; 0 when no digit was found. */
int parse_number(const char *s, uint32_t *out, const char **end);

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int strncmp(const char *a, const char *b, size_t n);
size_t strlen(const char *s);

#endif
