/* ELF structures used by the loader (ELF64 hypervisor) and zone images (ELF32). */
#ifndef ZV_ELF_H
#define ZV_ELF_H

#include <stdint.h>

/* System V ABI, "ELF header" and "Program header". */
#define ELF_MAGIC	  0x464c457fu /* "\x7fELF" */
#define ELFCLASS32	  1
#define ELFCLASS64	  2
#define ELFDATA2LSB	  1
#define ET_EXEC		  2
#define ET_DYN		  3
#define EM_386		  3
#define EM_X86_64	  62
#define PT_LOAD		  1
#define PT_DYNAMIC	  2
#define DT_NULL		  0
#define DT_RELA		  7
#define DT_RELASZ	  8
#define DT_RELAENT	  9
#define R_X86_64_NONE	  0
#define R_X86_64_RELATIVE 8

struct elf64_ehdr {
	uint32_t magic;
	uint8_t class, data, version, osabi;
	uint8_t pad[8];
	uint16_t type, machine;
	uint32_t version2;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf64_phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

struct elf64_dyn {
	int64_t tag;
	uint64_t val;
};

struct elf64_rela {
	uint64_t offset, info;
	int64_t addend;
};

struct elf32_ehdr {
	uint32_t magic;
	uint8_t class, data, version, osabi;
	uint8_t pad[8];
	uint16_t type, machine;
	uint32_t version2;
	uint32_t entry, phoff, shoff, flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf32_phdr {
	uint32_t type, offset, vaddr, paddr, filesz, memsz, flags, align;
};

#endif
