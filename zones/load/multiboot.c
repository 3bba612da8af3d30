/* Multiboot 1 loader ("Multiboot Specification version 0.6.96", sections 3.1 and 3.3). */
#include <stdbool.h>

#include "hv/elf.h"
#include "hv/lib/string.h"
#include "zones/load/multiboot.h"

#define HEADER_MAGIC	 0x1badb002u
#define HEADER_SEARCH	 8192 /* 3.1.1: the header lies in the first 8 KiB */
#define FLAG_PAGE_ALIGN	 (1u << 0)
#define FLAG_MEMORY_INFO (1u << 1)
#define FLAG_AOUT_KLUDGE (1u << 16)
#define KNOWN_REQUIRED	 (FLAG_PAGE_ALIGN | FLAG_MEMORY_INFO)
#define LOW_LIMIT	 0x100000u /* images load at or above 1 MiB */

#define INFO_MEM     (1u << 0)
#define INFO_CMDLINE (1u << 2)
#define INFO_MMAP    (1u << 6)
#define CMDLINE_GPA  (MULTIBOOT_INFO_GPA + 0x100)
#define CMDLINE_MAX  255
#define MMAP_GPA     (MULTIBOOT_INFO_GPA + 0x300)
#define LOW_RAM_END  0x9fc00u

struct mb_header {
	uint32_t magic, flags, checksum;
	uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
};

struct mb_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
	uint32_t mods_count, mods_addr, syms[4], mmap_length, mmap_addr;
	uint32_t rest[9]; /* drives, config table, loader name, APM, VBE: unused */
};

struct __attribute__((packed)) mb_mmap_entry {
	uint32_t size;
	uint64_t base, len;
	uint32_t type;
};

struct load_ctx {
	const uint8_t *image;
	uint64_t size, mem;
	guest_write_fn write;
	void *wctx;
};

static const struct mb_header *find_header(const uint8_t *image, uint64_t size, uint64_t *off)
{
	uint64_t limit = size < HEADER_SEARCH ? size : HEADER_SEARCH;

	for (uint64_t o = 0; o + sizeof(struct mb_header) <= limit; o += 4) {
		struct mb_header h;

		zv_memcpy(&h, image + o, sizeof(h));
		if (h.magic == HEADER_MAGIC && h.magic + h.flags + h.checksum == 0) {
			*off = o;
			return (const struct mb_header *)(image + o);
		}
	}
	return NULL;
}

/* Is [addr, addr+len) inside the zone and at or above 1 MiB? */
static bool fits(const struct load_ctx *c, uint64_t addr, uint64_t len)
{
	return addr >= LOW_LIMIT && addr <= c->mem && len <= c->mem - addr;
}

static const char *load_aout(const struct load_ctx *c, const struct mb_header *hp, uint64_t hoff,
			     struct multiboot_loaded *out)
{
	struct mb_header h;
	uint64_t file_off, load_len, end;

	zv_memcpy(&h, hp, sizeof(h));
	if (h.load_addr > h.header_addr || h.header_addr - h.load_addr > hoff)
		return "a.out header: load_addr is inconsistent with the header position";
	file_off = hoff - (h.header_addr - h.load_addr);
	load_len = h.load_end_addr ? (uint64_t)h.load_end_addr - h.load_addr : c->size - file_off;
	if (h.load_end_addr && h.load_end_addr < h.load_addr)
		return "a.out header: load_end_addr is below load_addr";
	if (load_len > c->size - file_off)
		return "image is truncated (a.out load range runs past the file)";
	end = h.bss_end_addr ? h.bss_end_addr : h.load_addr + load_len;
	if (end < h.load_addr + load_len)
		return "a.out header: bss_end_addr is below load_end_addr";
	if (!fits(c, h.load_addr, end - h.load_addr))
		return "image does not fit the zone's memory (or loads below 1 MiB)";
	if (h.entry_addr < h.load_addr || h.entry_addr >= end)
		return "a.out header: entry point outside the image";
	if (c->write(c->wctx, h.load_addr, c->image + file_off, load_len) != 0)
		return "image does not fit the zone's memory";
	out->entry = h.entry_addr;
	out->image_end = (uint32_t)end;
	return NULL;
}

static const char *check_elf(const struct load_ctx *c, struct elf32_ehdr *eh)
{
	if (c->size < sizeof(*eh))
		return "image is truncated (no ELF header)";
	zv_memcpy(eh, c->image, sizeof(*eh));
	if (eh->magic != ELF_MAGIC)
		return "image has a Multiboot header but is neither ELF nor a.out-kludge";
	if (eh->class != ELFCLASS32 || eh->data != ELFDATA2LSB || eh->machine != EM_386 ||
	    eh->type != ET_EXEC)
		return "image is not a 32-bit x86 ELF executable";
	if (eh->phentsize != sizeof(struct elf32_phdr) || eh->phnum == 0 || eh->phoff > c->size ||
	    (uint64_t)eh->phnum * sizeof(struct elf32_phdr) > c->size - eh->phoff)
		return "image is truncated (program headers run past the file)";
	return NULL;
}

static const char *load_segment(const struct load_ctx *c, const struct elf32_phdr *ph,
				uint32_t *end)
{
	if (ph->filesz > ph->memsz)
		return "ELF segment has filesz > memsz";
	if (ph->offset > c->size || ph->filesz > c->size - ph->offset)
		return "image is truncated (a segment runs past the file)";
	if (!fits(c, ph->paddr, ph->memsz))
		return "image does not fit the zone's memory (or loads below 1 MiB)";
	if (c->write(c->wctx, ph->paddr, c->image + ph->offset, ph->filesz) != 0)
		return "image does not fit the zone's memory";
	if (ph->paddr + ph->memsz > *end)
		*end = ph->paddr + ph->memsz;
	return NULL; /* bss: zone memory starts zeroed */
}

static const char *load_elf(const struct load_ctx *c, struct multiboot_loaded *out)
{
	struct elf32_ehdr eh;
	const char *err = check_elf(c, &eh);
	uint32_t end = 0, loaded = 0;

	if (err)
		return err;
	for (unsigned i = 0; i < eh.phnum; i++) {
		struct elf32_phdr ph;

		zv_memcpy(&ph, c->image + eh.phoff + i * sizeof(ph), sizeof(ph));
		if (ph.type != PT_LOAD || ph.memsz == 0)
			continue;
		err = load_segment(c, &ph, &end);
		if (err)
			return err;
		loaded++;
	}
	if (!loaded)
		return "ELF image has no loadable segment";
	if (eh.entry < LOW_LIMIT || eh.entry >= end)
		return "ELF entry point outside the loaded image";
	out->entry = eh.entry;
	out->image_end = end;
	return NULL;
}

static int write_mmap(const struct load_ctx *c, uint32_t *len)
{
	struct mb_mmap_entry map[2] = {
		{20, 0, LOW_RAM_END, 1},
		{20, LOW_LIMIT, c->mem - LOW_LIMIT, 1},
	};

	*len = sizeof(map);
	return c->write(c->wctx, MMAP_GPA, map, sizeof(map));
}

static const char *write_info(const struct load_ctx *c, const char *cmdline,
			      struct multiboot_loaded *out)
{
	struct mb_info info;
	size_t n = zv_strnlen(cmdline, CMDLINE_MAX);
	char buf[CMDLINE_MAX + 1];

	zv_memset(&info, 0, sizeof(info));
	zv_memcpy(buf, cmdline, n);
	buf[n] = 0;
	info.flags = INFO_MEM | INFO_CMDLINE | INFO_MMAP;
	info.mem_lower = LOW_RAM_END / 1024;
	info.mem_upper = (uint32_t)((c->mem - LOW_LIMIT) / 1024);
	info.cmdline = CMDLINE_GPA;
	info.mmap_addr = MMAP_GPA;
	if (write_mmap(c, &info.mmap_length) != 0 ||
	    c->write(c->wctx, CMDLINE_GPA, buf, n + 1) != 0 ||
	    c->write(c->wctx, MULTIBOOT_INFO_GPA, &info, sizeof(info)) != 0)
		return "zone memory too small for the Multiboot info block";
	out->info = MULTIBOOT_INFO_GPA;
	return NULL;
}

const char *multiboot_load(const void *image, uint64_t size, uint64_t mem_bytes,
			   const char *cmdline, guest_write_fn write, void *ctx,
			   struct multiboot_loaded *out)
{
	struct load_ctx c = {image, size, mem_bytes, write, ctx};
	const struct mb_header *h;
	struct mb_header hc;
	uint64_t hoff;
	const char *err;

	if (mem_bytes < 2 * LOW_LIMIT || mem_bytes > 0xffffffffull)
		return "zone memory must be between 2 MiB and 4 GiB for a Multiboot image";
	h = find_header(image, size, &hoff);
	if (!h)
		return "no Multiboot header in the first 8 KiB (bad magic or checksum)";
	zv_memcpy(&hc, h, sizeof(hc));
	if ((hc.flags & 0xffff) & ~KNOWN_REQUIRED)
		return "image requires Multiboot features zonevisor does not offer (video mode)";
	if ((hc.flags & FLAG_AOUT_KLUDGE) && hoff + sizeof(struct mb_header) > size)
		return "image is truncated (a.out header fields missing)";
	err = (hc.flags & FLAG_AOUT_KLUDGE) ? load_aout(&c, h, hoff, out) : load_elf(&c, out);
	return err ? err : write_info(&c, cmdline, out);
}
