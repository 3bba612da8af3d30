/* Loads hypervisor.elf, a static x86-64 PIE, and applies its relocations. */
#include "hv/elf.h"
#include "boot/loader.h"
#include "hv/lib/string.h"

#define PAGE 4096ULL

static const struct elf64_ehdr *check_header(uint64_t file, uint64_t size)
{
	const struct elf64_ehdr *eh = (const void *)file;

	if (size < sizeof(*eh) || eh->magic != ELF_MAGIC || eh->class != ELFCLASS64 ||
	    eh->data != ELFDATA2LSB)
		loader_fatal("hypervisor.elf is not a 64-bit little-endian ELF file");
	if (eh->machine != EM_X86_64 || eh->type != ET_DYN)
		loader_fatal("hypervisor.elf is not an x86-64 position-independent executable");
	if (eh->phentsize != sizeof(struct elf64_phdr) || eh->phnum == 0 || eh->phoff > size ||
	    (uint64_t)eh->phnum * sizeof(struct elf64_phdr) > size - eh->phoff)
		loader_fatal("hypervisor.elf has a malformed program header table");
	return eh;
}

static const struct elf64_phdr *phdr(const struct elf64_ehdr *eh, unsigned i)
{
	return (const struct elf64_phdr *)((uint64_t)eh + eh->phoff) + i;
}

/* Highest address any PT_LOAD segment reaches; checks each one. */
static uint64_t load_span(const struct elf64_ehdr *eh, uint64_t size)
{
	uint64_t span = 0;

	for (unsigned i = 0; i < eh->phnum; i++) {
		const struct elf64_phdr *ph = phdr(eh, i);

		if (ph->type != PT_LOAD)
			continue;
		if (ph->filesz > ph->memsz || ph->offset > size || ph->filesz > size - ph->offset ||
		    ph->vaddr > (1ULL << 30) || ph->memsz > (1ULL << 30))
			loader_fatal("hypervisor.elf segment %u is out of bounds", i);
		if (ph->vaddr + ph->memsz > span)
			span = ph->vaddr + ph->memsz;
	}
	if (span == 0)
		loader_fatal("hypervisor.elf has nothing to load");
	return (span + PAGE - 1) & ~(PAGE - 1);
}

static void copy_segments(const struct elf64_ehdr *eh, uint64_t base)
{
	for (unsigned i = 0; i < eh->phnum; i++) {
		const struct elf64_phdr *ph = phdr(eh, i);

		if (ph->type == PT_LOAD)
			zv_memcpy((void *)(base + ph->vaddr),
				  (const void *)((uint64_t)eh + ph->offset), ph->filesz);
	}
}

static const struct elf64_phdr *find_dynamic(const struct elf64_ehdr *eh)
{
	for (unsigned i = 0; i < eh->phnum; i++)
		if (phdr(eh, i)->type == PT_DYNAMIC)
			return phdr(eh, i);
	return NULL;
}

/* Only R_X86_64_RELATIVE can occur in a static PIE linked with -z text. */
static void relocate(const struct elf64_ehdr *eh, uint64_t base, uint64_t span)
{
	const struct elf64_phdr *dph = find_dynamic(eh);
	uint64_t rela = 0, relasz = 0, relaent = sizeof(struct elf64_rela);

	if (!dph)
		return;
	if (dph->vaddr + dph->memsz > span)
		loader_fatal("hypervisor.elf dynamic section is out of bounds");
	for (const struct elf64_dyn *d = (const void *)(base + dph->vaddr);
	     (uint64_t)(d + 1) <= base + dph->vaddr + dph->memsz && d->tag != DT_NULL; d++) {
		if (d->tag == DT_RELA)
			rela = d->val;
		else if (d->tag == DT_RELASZ)
			relasz = d->val;
		else if (d->tag == DT_RELAENT)
			relaent = d->val;
	}
	if (relaent != sizeof(struct elf64_rela) || rela > span || relasz > span - rela)
		loader_fatal("hypervisor.elf relocation table is malformed");
	for (uint64_t off = 0; off < relasz; off += relaent) {
		const struct elf64_rela *r = (const void *)(base + rela + off);
		uint32_t type = (uint32_t)r->info;

		if (type == R_X86_64_NONE)
			continue;
		if (type != R_X86_64_RELATIVE || r->offset > span - 8)
			loader_fatal("hypervisor.elf has unsupported relocation type %u", type);
		*(uint64_t *)(base + r->offset) = base + (uint64_t)r->addend;
	}
}

zv_entry_fn elf_load_hypervisor(uint64_t file, uint64_t size, uint64_t *base, uint64_t *span)
{
	const struct elf64_ehdr *eh = check_header(file, size);

	*span = load_span(eh, size);
	if (eh->entry >= *span)
		loader_fatal("hypervisor.elf entry point is outside the image");
	/* Below 4 GiB: the AP trampoline reaches it from 32-bit code. */
	*base = platform_alloc_pages(*span / PAGE, 0xffffffffULL);
	zv_memset((void *)*base, 0, *span);
	copy_segments(eh, *base);
	relocate(eh, *base, *span);
	return (zv_entry_fn)(*base + eh->entry);
}
