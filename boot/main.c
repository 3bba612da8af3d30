/* BOOTX64.EFI: loads the hypervisor and its files, leaves UEFI, and jumps. */
#include "boot/loader.h"
#include "hv/lib/string.h"

#define STACK_PAGES    16	  /* 64 KiB for the BSP until the hypervisor has its own */
#define TRAMPOLINE_MAX 0x9f000ULL /* INIT-SIPI start-up code must sit below 1 MiB */

static void add_file(struct zv_bootinfo *bi, const char *name)
{
	struct zv_file *f;

	for (uint32_t i = 0; i < bi->file_count; i++)
		if (zv_strcmp(bi->files[i].name, name) == 0)
			return;
	if (bi->file_count == ZV_MAX_FILES)
		loader_fatal("more than %d files to load", ZV_MAX_FILES);
	f = &bi->files[bi->file_count++];
	zv_strlcpy(f->name, name, sizeof(f->name));
	files_read(name, &f->addr, &f->size);
}

static void load_config(struct zv_bootinfo *bi, struct zv_config *conf)
{
	char err[ZV_CONF_ERR_LEN];
	struct zv_file *f;

	add_file(bi, "zonevisor.conf");
	bi->config_file = 0;
	f = &bi->files[0];
	if (zv_config_parse((const char *)f->addr, f->size, conf, err, sizeof(err)) != 0)
		loader_fatal("/zonevisor/zonevisor.conf: %s", err);
}

static zv_entry_fn load_hypervisor(struct zv_bootinfo *bi)
{
	uint64_t file, size;
	zv_entry_fn entry;

	files_read("hypervisor.elf", &file, &size);
	entry = elf_load_hypervisor(file, size, &bi->hv_base, &bi->hv_size);
	uefi_call_wrapper(BS->FreePages, 2, file, (size + 4095) / 4096 + 1);
	return entry;
}

static void collect_platform(EFI_HANDLE image, struct zv_bootinfo *bi)
{
	bi->stack_top = platform_alloc_pages(STACK_PAGES, ~0ULL) + STACK_PAGES * 4096;
	bi->trampoline = platform_alloc_pages(1, TRAMPOLINE_MAX);
	bi->rsdp = platform_find_rsdp();
	bi->efi_runtime = (uint64_t)RT;
	bi->tsc_khz = platform_measure_tsc_khz();
	bi->boot_unix_time = platform_unix_time(&bi->boot_tsc);
	platform_collect_cpus(bi);
	platform_cmdline(image, bi->cmdline, sizeof(bi->cmdline));
}

static __attribute__((noreturn)) void jump(zv_entry_fn entry, struct zv_bootinfo *bi)
{
	__asm__ volatile("mov %0, %%rsp\n\t"
			 "xor %%ebp, %%ebp\n\t"
			 "call *%1\n\t"
			 "1: cli; hlt; jmp 1b"
			 :
			 : "r"(bi->stack_top), "r"(entry), "D"(bi)
			 : "memory");
	__builtin_unreachable();
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	static struct zv_config conf;
	struct zv_bootinfo *bi;
	zv_entry_fn entry;
	EFI_STATUS s;

	InitializeLib(image, systab);
	loader_print("zonevisor loader %s\n", ZV_VERSION);
	s = files_open_esp(image);
	if (EFI_ERROR(s))
		loader_fatal("cannot open the ESP this loader came from: %s", efi_status_str(s));
	bi = (void *)platform_alloc_pages((sizeof(*bi) + 4095) / 4096, ~0ULL);
	zv_memset(bi, 0, sizeof(*bi));
	bi->magic = ZV_BOOTINFO_MAGIC;
	bi->version = ZV_BOOTINFO_VERSION;
	bi->size = sizeof(*bi);
	load_config(bi, &conf);
	entry = load_hypervisor(bi);
	for (uint32_t i = 0; i < conf.zone_count; i++) {
		add_file(bi, conf.zones[i].image);
		if (conf.zones[i].initrd[0])
			add_file(bi, conf.zones[i].initrd);
		if (conf.zones[i].disk[0])
			add_file(bi, conf.zones[i].disk);
	}
	if (conf.agent_kernel[0])
		add_file(bi, conf.agent_kernel);
	if (conf.agent_initrd[0])
		add_file(bi, conf.agent_initrd);
	collect_platform(image, bi);
	loader_print("zonevisor loader: hypervisor at 0x%lx (%lu KiB), %u cpus, "
		     "%u files, tsc %lu kHz; leaving boot services\n",
		     (unsigned long)bi->hv_base, (unsigned long)(bi->hv_size / 1024), bi->cpu_count,
		     bi->file_count, (unsigned long)bi->tsc_khz);
	memmap_exit_boot_services(image, bi);
	jump(entry, bi);
}
