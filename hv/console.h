/* The hypervisor console: whole lines to the serial port, never interleaved between CPUs. */
#ifndef ZV_CONSOLE_H
#define ZV_CONSOLE_H

void console_init(void);
/* printf-like; output is atomic per call.  Safe on any CPU, in any context
 * except an NMI that interrupted the console itself. */
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Waits until everything printed has left the UART (before power-off). */
void console_flush(void);
/* Prints then halts this CPU forever. */
void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
