/* Loader console: formatted output on the UEFI text console, and fatal stops. */
#include <stdarg.h>

#include "boot/loader.h"
#include "hv/lib/fmt.h"

static void print_ascii(const char *s)
{
	CHAR16 wide[256];
	size_t n = 0;

	for (; *s; s++) {
		if (*s == '\n')
			wide[n++] = L'\r';
		wide[n++] = (CHAR16)(unsigned char)*s;
		if (n >= 254) {
			wide[n] = 0;
			uefi_call_wrapper(ST->ConOut->OutputString, 2, ST->ConOut, wide);
			n = 0;
		}
	}
	wide[n] = 0;
	uefi_call_wrapper(ST->ConOut->OutputString, 2, ST->ConOut, wide);
}

static void vprint(const char *fmt, va_list ap)
{
	char buf[512];

	zv_vsnprintf(buf, sizeof(buf), fmt, ap);
	print_ascii(buf);
}

void loader_print(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint(fmt, ap);
	va_end(ap);
}

void loader_fatal(const char *fmt, ...)
{
	va_list ap;

	print_ascii("zonevisor loader: error: ");
	va_start(ap, fmt);
	vprint(fmt, ap);
	va_end(ap);
	print_ascii("\nzonevisor loader: boot stopped; powering off\n");
	/* Give a person at the console a moment to read it. */
	uefi_call_wrapper(BS->Stall, 1, 500000);
	uefi_call_wrapper(RT->ResetSystem, 4, EfiResetShutdown, EFI_ABORTED, 0, NULL);
	for (;;)
		__asm__ volatile("cli; hlt");
}

const char *efi_status_str(EFI_STATUS s)
{
	switch (s) {
	case EFI_SUCCESS: return "success";
	case EFI_NOT_FOUND: return "not found";
	case EFI_OUT_OF_RESOURCES: return "out of resources";
	case EFI_INVALID_PARAMETER: return "invalid parameter";
	case EFI_DEVICE_ERROR: return "device error";
	case EFI_UNSUPPORTED: return "unsupported";
	case EFI_BUFFER_TOO_SMALL: return "buffer too small";
	case EFI_ACCESS_DENIED: return "access denied";
	case EFI_VOLUME_CORRUPTED: return "volume corrupted";
	default: return "error";
	}
}
