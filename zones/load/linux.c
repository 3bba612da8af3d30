/* Linux zones: bzImage + initramfs into zone memory through zones/load/bzimage.c and acpi_build.c.
 */
#include "zones/load/linux.h"
#include "hv/lib/fmt.h"
#include "hv/lib/string.h"
#include "hv/mem.h"
#include "hv/time.h"
#include "zones/control/proto.h"
#include "zones/load/bzimage.h"
#include "zones/net/nic.h"
#include "zones/pci/pass.h"
#include "zones/platform/acpi/tables.h"
#include "zones/platform/vioapic.h"
#include "zones/session/vsock_relay.h"
#include "zones/storage/blk.h"
#include "zones/zone.h"

#define SCRATCH_ORDER 4 /* 64 KiB: the largest piece built in host memory */

static char msg[160];

int linux_is_bzimage(const void *img, size_t size)
{
	return size > 0x206 && zv_memcmp((const uint8_t *)img + 0x202, "HdrS", 4) == 0;
}

static const char *copy(struct zone *z, uint64_t gpa, const void *src, uint64_t len,
			const char *what)
{
	if (zone_write(z, gpa, src, len) == 0)
		return NULL;
	zv_snprintf(msg, sizeof(msg), "%s does not fit the zone's memory", what);
	return msg;
}

static const char *load_acpi(struct zone *z, const struct bzimage_layout *l, uint8_t *buf,
			     uint64_t *rsdp)
{
	struct zone_acpi_config c;
	size_t used;

	zv_memset(&c, 0, sizeof(c));
	c.base_gpa = l->acpi_gpa;
	c.vcpu_count = z->vcpu_count;
	for (uint32_t i = 0; i < z->vcpu_count; i++)
		c.apic_ids[i] = i;
	c.ioapic_addr = VIOAPIC_BASE;
	c.ioapic_id = z->vcpu_count; /* zones/platform/irq.c: the ID after the vCPUs' */
	if (z->control)
		pci_pass_acpi(&c);
	zone_nic_acpi(z, &c);
	zone_blk_acpi(z, &c);
	zone_vsock_acpi(z, &c);
	if (zone_acpi_build(&c, buf, BZIMAGE_ACPI_SIZE, &used, rsdp) != 0)
		return "cannot build the zone's ACPI tables";
	return copy(z, l->acpi_gpa, buf, used, "ACPI tables");
}

static const char *load_boot_data(struct zone *z, const struct bzimage_info *bi, const void *img,
				  const struct bzimage_layout *l, uint8_t *scratch)
{
	struct bzimage_e820_entry e820[3];
	uint64_t rsdp, gdt[BZIMAGE_GDT_ENTRIES];
	const char *err = load_acpi(z, l, scratch, &rsdp);
	struct bzimage_boot b = {
		l->kernel_gpa, l->cmdline_gpa, l->initrd_gpa, l->initrd_size, rsdp, e820, 0};

	if (err)
		return err;
	b.e820_count = z->ram_base ? bzimage_e820_at(z->ram_base, z->ram_base + z->mem_bytes, e820)
				   : bzimage_zone_e820(z->mem_bytes, e820);
	if (bzimage_build_zero_page(bi, img, &b, (struct bzimage_boot_params *)scratch) != 0)
		return "cannot build the zero page (addresses the kernel cannot take)";
	err = copy(z, l->zero_page_gpa, scratch, 4096, "zero page");
	if (err)
		return err;
	bzimage_build_gdt(gdt);
	err = copy(z, l->gdt_gpa, gdt, sizeof(gdt), "GDT");
	if (err)
		return err;
	bzimage_build_page_tables(l->pml4_gpa, (uint64_t *)scratch);
	return copy(z, l->pml4_gpa, scratch, BZIMAGE_PT_BYTES, "page tables");
}

static const char *load_all(struct zone *z, const struct bzimage_info *bi, const uint8_t *img,
			    const void *initrd, const char *cmdline, const struct bzimage_layout *l,
			    uint8_t *scratch)
{
	const char *err = copy(z, l->kernel_gpa, img + bi->setup_size, bi->kernel_size, "kernel");

	if (!err && l->initrd_size)
		err = copy(z, l->initrd_gpa, initrd, l->initrd_size, "initramfs");
	if (!err)
		err = copy(z, l->cmdline_gpa, cmdline, zv_strlen(cmdline) + 1, "command line");
	return err ? err : load_boot_data(z, bi, img, l, scratch);
}

/*
 * The platform's own parameters go first, so the zone's args (which end with
 * " -- command" for the agent /init) can still override them: the TSC rate,
 * because a zone has no PIT or HPET to calibrate against (docs/zones.md); and
 * reboot=k, because with a hardware-reduced FADT and no EFI Linux would
 * otherwise pick EFI reboot, fall back to a real-mode jump to the BIOS reset
 * vector, and never reach a reset the zone can see (the i8042 pulse ends
 * it, zones/platform/legacy.c).
 */
static const char *full_cmdline(const struct zone *z, const char *args)
{
	static char buf[ZCTL_ARGS_LEN + 80];
	char net[32] = "";

	if (zone_has_nic(z) && !z->control) {
		/* The agent /init sets eth0 up with it (tools/initramfs/init). */
		zv_strlcpy(net, "zv_net=", sizeof(net));
		zone_nic_address(z, net + 7, sizeof(net) - 7);
	}
	zv_snprintf(buf, sizeof(buf), "tsc_early_khz=%lu reboot=k %s %s", tsc_khz(), net, args);
	return buf;
}

const char *linux_zone_load(struct zone *z, const void *img, size_t size, const void *initrd,
			    size_t initrd_size, const char *args, struct vcpu_entry *e)
{
	static struct bzimage_info bi;
	static struct bzimage_layout l;
	uint64_t scratch;
	const char *err = bzimage_parse(img, size, &bi);
	const char *cmdline = full_cmdline(z, args);

	if (err)
		return err;
	if (bzimage_plan_at(&bi, z->ram_base, z->ram_base + z->mem_bytes, initrd ? initrd_size : 0,
			    zv_strlen(cmdline), &l) != 0)
		return l.err;
	scratch = page_alloc(SCRATCH_ORDER);
	if (!scratch)
		return "no hypervisor memory to build the boot data";
	err = load_all(z, &bi, img, initrd, cmdline, &l, phys_to_virt(scratch));
	zv_memset(phys_to_virt(scratch), 0, 4096u << SCRATCH_ORDER);
	page_free(scratch, SCRATCH_ORDER);
	if (err)
		return err;
	*e = (struct vcpu_entry){.mode = VCPU_ENTRY_LONG64,
				 .rip = l.entry_gpa,
				 .rsi = l.zero_page_gpa,
				 .cr3 = l.pml4_gpa,
				 .gdt_base = l.gdt_gpa,
				 .gdt_limit = BZIMAGE_GDT_ENTRIES * 8 - 1};
	return NULL;
}
