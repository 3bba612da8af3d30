/* Loads a zone's image: a bzImage through the Linux boot protocol, anything else as Multiboot. */
#include "zones/load/image.h"
#include "zones/load/linux.h"
#include "zones/load/multiboot.h"
#include "zones/zone.h"

static int write_guest(void *ctx, uint64_t gpa, const void *src, uint64_t len)
{
	return zone_write(ctx, gpa, src, len);
}

static const char *load_multiboot(struct zone *z, const void *img, size_t size, const char *args,
				  struct vcpu_entry *e)
{
	struct multiboot_loaded ld;
	const char *why = multiboot_load(img, size, z->mem_bytes, args, write_guest, z, &ld);

	*e = (struct vcpu_entry){.mode = VCPU_ENTRY_PROTECTED32,
				 .rip = ld.entry,
				 .rax = MULTIBOOT_BOOTLOADER_MAGIC,
				 .rbx = ld.info};
	return why;
}

int zone_load_image(struct zone *z, const void *img, size_t size, const void *initrd,
		    size_t initrd_size, const char *args, struct vcpu_entry *e, struct zv_err *err)
{
	const char *why;

	if (linux_is_bzimage(img, size))
		why = linux_zone_load(z, img, size, initrd, initrd_size, args, e);
	else if (initrd)
		why = "initrd is only for Linux (bzImage) images";
	else
		why = load_multiboot(z, img, size, args, e);
	return why ? zv_err_set(err, ZV_EIMAGE, "%s", why) : 0;
}
