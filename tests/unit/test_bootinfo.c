/* Unit tests of hv/bootinfo.c: a sound block passes, each corruption gets its own message. */
#include "hv/bootinfo.h"
#include "tests/unit/test.h"

#define PG	ZV_PAGE_SIZE
#define MIB	(1ULL << 20)
#define HV_BASE (1024 * MIB) /* the loader's ZV_MEM_HV range: 1 GiB + 16 MiB */

static struct zv_bootinfo bi;

static void add_range(uint64_t base, uint64_t pages, uint32_t type)
{
	struct zv_mem_range *r = &bi.mem[bi.mem_count++];

	r->base = base;
	r->pages = pages;
	r->type = type;
	r->efi_type = 7;
}

static void add_file(const char *name, uint64_t addr, uint64_t size)
{
	struct zv_file *f = &bi.files[bi.file_count++];

	snprintf(f->name, sizeof(f->name), "%s", name);
	f->addr = addr;
	f->size = size;
}

/* A block like the one the loader builds on a 4-CPU QEMU q35. */
static void make_good(void)
{
	memset(&bi, 0, sizeof(bi));
	bi.magic = ZV_BOOTINFO_MAGIC;
	bi.version = ZV_BOOTINFO_VERSION;
	bi.size = sizeof(bi);
	add_range(0, 0x9f, ZV_MEM_USABLE);
	add_range(0x9f000, 0x61, ZV_MEM_RESERVED);
	add_range(1 * MIB, (1024 - 1) * MIB / PG, ZV_MEM_USABLE);
	add_range(HV_BASE, 8 * MIB / PG, ZV_MEM_HV);
	add_range(HV_BASE + 8 * MIB, 8 * MIB / PG, ZV_MEM_HV); /* adjacent, unmerged */
	add_range(HV_BASE + 16 * MIB, 64 * MIB / PG, ZV_MEM_LOADER);
	add_range(0xfec00000, 1, ZV_MEM_MMIO);
	add_range(0xfee00000, 1, ZV_MEM_MMIO);
	add_range(0x100000000ULL, 1024 * MIB / PG, ZV_MEM_USABLE);
	bi.hv_base = HV_BASE;
	bi.hv_size = 2 * MIB;
	bi.stack_top = HV_BASE + 4 * MIB;
	bi.trampoline = 0x8000;
	bi.rsdp = 0x7fbfa014;
	bi.tsc_khz = 2400000;
	for (uint32_t i = 0; i < 4; i++)
		bi.cpus[bi.cpu_count++].apic_id = i;
	bi.cpus[0].flags = ZV_CPU_BSP;
	add_file("zonevisor.conf", HV_BASE + 5 * MIB, 300);
	add_file("hello.elf", HV_BASE + 6 * MIB, 5 * MIB); /* spans both HV ranges */
	add_file("empty.txt", HV_BASE + 12 * MIB, 0);
	bi.config_file = 0;
	snprintf(bi.cmdline, sizeof(bi.cmdline), "debug");
}

#define CHECK_BAD(msg) CHECK_STR(zv_bootinfo_validate(&bi), msg)

TEST(good_block_validates)
{
	make_good();
	CHECK(zv_bootinfo_validate(&bi) == NULL);
	CHECK(zv_bootinfo_validate(NULL) != NULL);
}

TEST(header)
{
	make_good();
	bi.magic ^= 1;
	CHECK_BAD("bad boot-info magic");
	make_good();
	bi.version = ZV_BOOTINFO_VERSION + 1;
	CHECK_BAD("unsupported boot-info version");
	make_good();
	bi.size = sizeof(bi) - 8;
	CHECK_BAD("boot-info size does not match this hypervisor");
}

TEST(counts)
{
	make_good();
	bi.mem_count = 0;
	CHECK_BAD("no memory ranges");
	make_good();
	bi.mem_count = ZV_MAX_MEM_RANGES + 1;
	CHECK_BAD("too many memory ranges");
	make_good();
	bi.cpu_count = 0;
	CHECK_BAD("no CPUs");
	make_good();
	bi.cpu_count = ZV_MAX_CPUS + 1;
	CHECK_BAD("too many CPUs");
	make_good();
	bi.file_count = ZV_MAX_FILES + 1;
	CHECK_BAD("too many files");
	make_good();
	bi.cpu_count = 0xffffffff;
	CHECK_BAD("too many CPUs");
}

TEST(memory_ranges)
{
	make_good();
	bi.mem[2].base += 0x800;
	CHECK_BAD("memory range not page aligned");
	make_good();
	bi.mem[2].pages = 0;
	CHECK_BAD("empty memory range");
	make_good();
	bi.mem[8].pages = UINT64_MAX / PG;
	CHECK_BAD("memory range beyond the physical address limit");
	make_good();
	bi.mem[8].base = UINT64_MAX & ~(PG - 1);
	CHECK_BAD("memory range beyond the physical address limit");
	make_good();
	bi.mem[8].pages = ((1ULL << 52) - bi.mem[8].base) / PG; /* ends at the limit: fine */
	CHECK(zv_bootinfo_validate(&bi) == NULL);
	bi.mem[8].pages++;
	CHECK_BAD("memory range beyond the physical address limit");
	make_good();
	bi.mem[1].type = 0;
	CHECK_BAD("unknown memory range type");
	make_good();
	bi.mem[1].type = ZV_MEM_LOADER + 1;
	CHECK_BAD("unknown memory range type");
	make_good();
	bi.mem[1].pages++; /* runs one page into the next range */
	CHECK_BAD("memory ranges overlap");
	make_good();
	struct zv_mem_range t = bi.mem[6];
	bi.mem[6] = bi.mem[7];
	bi.mem[7] = t;
	CHECK_BAD("memory ranges not sorted");
	make_good();
	bi.mem[7].base = bi.mem[6].base; /* same base twice */
	CHECK_BAD("memory ranges overlap");
}

TEST(cpus)
{
	make_good();
	bi.cpus[0].flags = 0;
	CHECK_BAD("no CPU is marked as the BSP");
	make_good();
	bi.cpus[3].flags = ZV_CPU_BSP;
	CHECK_BAD("more than one CPU is marked as the BSP");
	make_good();
	bi.cpus[3].apic_id = 1;
	CHECK_BAD("duplicate APIC ID");
	make_good();
	bi.cpus[4].flags = ZV_CPU_BSP; /* beyond cpu_count: ignored */
	CHECK(zv_bootinfo_validate(&bi) == NULL);
}

TEST(files)
{
	make_good();
	memset(bi.files[1].name, 'x', ZV_FILE_NAME_LEN);
	CHECK_BAD("file name not NUL terminated");
	make_good();
	bi.files[1].name[0] = 0;
	CHECK_BAD("empty file name");
	make_good();
	bi.files[1].size = UINT64_MAX;
	CHECK_BAD("file address overflows");
	make_good();
	bi.files[1].addr = 2 * MIB; /* usable memory, not HV */
	CHECK_BAD("file outside hypervisor memory");
	make_good();
	bi.files[1].size = 10 * MIB + 1; /* one byte into the loader's range */
	CHECK_BAD("file outside hypervisor memory");
	make_good();
	bi.files[1].size = 10 * MIB; /* ends exactly at the end of HV memory */
	CHECK(zv_bootinfo_validate(&bi) == NULL);
	make_good();
	bi.files[2].addr = HV_BASE + 16 * MIB; /* empty, but not in HV memory */
	CHECK_BAD("file outside hypervisor memory");
	make_good();
	snprintf(bi.files[2].name, ZV_FILE_NAME_LEN, "hello.elf");
	CHECK_BAD("duplicate file name");
	make_good();
	bi.config_file = 3;
	CHECK_BAD("config file index out of range");
	make_good();
	bi.file_count = 0;
	bi.config_file = 0;
	CHECK_BAD("config file index out of range");
}

TEST(misc_fields)
{
	make_good();
	memset(bi.cmdline, 'a', sizeof(bi.cmdline));
	CHECK_BAD("command line not NUL terminated");
	make_good();
	bi.hv_base += 16;
	CHECK_BAD("hypervisor base not page aligned");
	make_good();
	bi.hv_base = 1 * MIB;
	CHECK_BAD("hypervisor image outside hypervisor memory");
	make_good();
	bi.hv_size = 0;
	CHECK_BAD("hypervisor image outside hypervisor memory");
	make_good();
	bi.hv_size = 17 * MIB;
	CHECK_BAD("hypervisor image outside hypervisor memory");
	make_good();
	bi.hv_size = UINT64_MAX;
	CHECK_BAD("hypervisor image outside hypervisor memory");
	make_good();
	bi.trampoline = 0;
	CHECK_BAD("trampoline must be a nonzero page below 1 MiB");
	make_good();
	bi.trampoline = 0x8100;
	CHECK_BAD("trampoline must be a nonzero page below 1 MiB");
	make_good();
	bi.trampoline = 1 * MIB;
	CHECK_BAD("trampoline must be a nonzero page below 1 MiB");
	make_good();
	bi.trampoline = 1 * MIB - PG; /* the last page below 1 MiB is fine */
	CHECK(zv_bootinfo_validate(&bi) == NULL);
	make_good();
	bi.tsc_khz = 0;
	CHECK_BAD("TSC frequency unknown");
}

TEST(file_lookup)
{
	make_good();
	CHECK(zv_bootinfo_file(&bi, "hello.elf") == &bi.files[1]);
	CHECK(zv_bootinfo_file(&bi, "zonevisor.conf") == &bi.files[0]);
	CHECK(zv_bootinfo_file(&bi, "hello") == NULL);
	CHECK(zv_bootinfo_file(&bi, "hello.elf2") == NULL);
	CHECK(zv_bootinfo_file(&bi, "HELLO.ELF") == NULL);
	CHECK(zv_bootinfo_file(&bi, "") == NULL);
	CHECK(zv_bootinfo_file(&bi, NULL) == NULL);
	CHECK(zv_bootinfo_file(NULL, "hello.elf") == NULL);
	bi.file_count = 1;
	CHECK(zv_bootinfo_file(&bi, "hello.elf") == NULL);
	/* An unvalidated block with a wild count and unterminated names is safe. */
	bi.file_count = 0xffffffff;
	for (int i = 0; i < ZV_MAX_FILES; i++)
		memset(bi.files[i].name, 'z', ZV_FILE_NAME_LEN);
	char longname[ZV_FILE_NAME_LEN + 8];
	memset(longname, 'z', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	CHECK(zv_bootinfo_file(&bi, longname) == NULL);
	longname[ZV_FILE_NAME_LEN - 1] = 0;
	CHECK(zv_bootinfo_file(&bi, longname) == NULL);
}
