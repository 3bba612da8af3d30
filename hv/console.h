/* The hypervisor console: whole lines to the serial port, never interleaved between CPUs. */
#ifndef ZV_CONSOLE_H
#define ZV_CONSOLE_H

void console_init(void);
/* printf-like; output is atomic per call.  Safe on any CPU, in any context
 * except an NMI that interrupted the console itself. */
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* One byte as it is (the control zone's terminal output); the next
 * kprintf starts on a new line if this one left a line open. */
void console_put_raw(char c);
/* Waits until everything printed has left the UART (before power-off). */
void console_flush(void);
/* Prints then halts this CPU forever. */
void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
