/* Layout of the AP trampoline page shared by hv/trampoline.S and hv/smp.c. */
#ifndef ZV_TRAMPOLINE_H
#define ZV_TRAMPOLINE_H

/* Parameters the BSP writes before each STARTUP IPI (offsets in the page). */
#define TRAMP_CR3   0xf00
#define TRAMP_STACK 0xf08
#define TRAMP_ENTRY 0xf10
#define TRAMP_ARG   0xf18

#ifndef __ASSEMBLY__
#include <stdint.h>

extern const char tramp_start[];
extern const uint32_t tramp_size;
#endif

#endif
