/* power: the ways a guest ends itself besides port 0xF4 (cmdline: i8042, acpi-off, acpi-reset). */
#include "lib.h"

int guest_main(uint32_t magic, const struct mb_info *info)
{
	const char *cmd = mb_args(info);

	(void)magic;
	printf("power: i8042 status 0x%x\n", inb(0x64));
	if (arg_flag(cmd, "i8042")) {
		printf("power: pulsing the i8042 reset line\n");
		outb(0x64, 0xfe);
	} else if (arg_flag(cmd, "acpi-off")) {
		printf("power: writing S5 to the sleep control register\n");
		outb(0x600, (5 << 2) | 0x20);
	} else if (arg_flag(cmd, "acpi-reset")) {
		printf("power: writing the ACPI reset register\n");
		outb(0x604, 1);
	}
	printf("power: still running\n");
	return 2;
}
