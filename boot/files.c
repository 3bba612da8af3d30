/* Reading files from the ESP the loader was started from. */
#include "boot/loader.h"
#include "hv/lib/string.h"

static EFI_FILE_HANDLE esp_root;

EFI_STATUS files_open_esp(EFI_HANDLE image)
{
	EFI_LOADED_IMAGE *li;
	EFI_STATUS s;

	s = uefi_call_wrapper(BS->HandleProtocol, 3, image, &LoadedImageProtocol, (void **)&li);
	if (EFI_ERROR(s))
		return s;
	esp_root = LibOpenRoot(li->DeviceHandle);
	return esp_root ? EFI_SUCCESS : EFI_NOT_FOUND;
}

static void path_of(const char *name, CHAR16 *out, size_t len)
{
	const CHAR16 *dir = ZV_ESP_DIR;
	size_t n = 0;

	while (*dir && n + 1 < len)
		out[n++] = *dir++;
	for (; *name && n + 1 < len; name++)
		out[n++] = (CHAR16)(*name == '/' ? '\\' : *name);
	out[n] = 0;
}

static uint64_t file_size(EFI_FILE_HANDLE f, const char *name)
{
	EFI_FILE_INFO *info = LibFileInfo(f);
	uint64_t size;

	if (!info)
		loader_fatal("cannot stat /zonevisor/%s", name);
	size = info->FileSize;
	FreePool(info);
	return size;
}

void files_read(const char *name, uint64_t *addr, uint64_t *size)
{
	CHAR16 path[128];
	EFI_FILE_HANDLE f;
	EFI_STATUS s;
	UINTN got;

	path_of(name, path, 128);
	s = uefi_call_wrapper(esp_root->Open, 5, esp_root, &f, path, EFI_FILE_MODE_READ, 0);
	if (EFI_ERROR(s))
		loader_fatal("cannot open /zonevisor/%s on the ESP: %s", name, efi_status_str(s));
	*size = file_size(f, name);
	*addr = platform_alloc_pages((*size + 4095) / 4096 + 1, ~0ULL);
	got = *size;
	s = uefi_call_wrapper(f->Read, 3, f, &got, (void *)*addr);
	uefi_call_wrapper(f->Close, 1, f);
	if (EFI_ERROR(s) || got != *size)
		loader_fatal("cannot read /zonevisor/%s: %s", name, efi_status_str(s));
	/* A NUL after the data lets text files be scanned safely. */
	((char *)*addr)[*size] = 0;
}
