/*
 * zv-exit: report an exit status to the hypervisor and stop the zone.
 *
 *   zv-exit N        writes the byte N (0..255) to I/O port 0xF4
 *
 * Port 0xF4 is the agent zone's debug-exit port: zonevisor stops the zone on
 * the write and records N as its exit status.  Plain QEMU with
 * `-device isa-debug-exit,iobase=0xf4,iosize=4` exits with status (N<<1)|1.
 * If the write returns (no such device: an ordinary PC ignores the port),
 * zv-exit exits with status 1 and the caller falls back to `poweroff -f`.
 *
 * No libc: built with gcc -static -nostdlib -O2; needs CAP_SYS_RAWIO (root).
 */
#define SYS_write 1
#define SYS_exit 60
#define SYS_ioperm 173
#define ZV_EXIT_PORT 0xF4

static long sys3(long n, long a, long b, long c)
{
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
	return ret;
}

static void say(const char *s)
{
	long n = 0;
	while (s[n])
		n++;
	sys3(SYS_write, 2, (long)s, n);
}

static __attribute__((noreturn)) void quit(int status)
{
	for (;;)
		sys3(SYS_exit, status, 0, 0);
}

/* Called from _start with the initial stack: argc, argv[0], argv[1], ... */
__attribute__((noreturn, used)) void zv_main(long *sp)
{
	long argc = sp[0];
	char **argv = (char **)(sp + 1);
	unsigned value = 0;
	const char *p;

	if (argc != 2 || !argv[1][0]) {
		say("usage: zv-exit STATUS   (STATUS 0..255, written to port 0xF4)\n");
		quit(2);
	}
	for (p = argv[1]; *p; p++) {
		if (*p < '0' || *p > '9' || value > 255) {
			say("zv-exit: STATUS must be a number 0..255\n");
			quit(2);
		}
		value = value * 10 + (unsigned)(*p - '0');
	}
	if (value > 255) {
		say("zv-exit: STATUS must be a number 0..255\n");
		quit(2);
	}
	if (sys3(SYS_ioperm, ZV_EXIT_PORT, 1, 1) != 0) {
		say("zv-exit: ioperm(0xf4) failed\n");
		quit(1);
	}
	__asm__ volatile("outb %b0, %w1" : : "a"((unsigned char)value), "Nd"((unsigned short)ZV_EXIT_PORT) : "memory");
	say("zv-exit: port 0xf4 write returned (no debug-exit device)\n");
	quit(1);
}

__asm__(".text\n"
	".global _start\n"
	"_start:\n"
	"	mov %rsp, %rdi\n"
	"	and $-16, %rsp\n"
	"	call zv_main\n"
	"	hlt\n");
