/* Unit tests of hv/guest_walk.c: every paging mode, faults, NX, page-crossing fetches, hostile CR3.
 */
#include <stdlib.h>

#include "hv/guest_walk.h"
#include "hv/npt.h"
#include "hv/x86_bits.h"
#include "hv/x86_decode.h"
#include "tests/unit/test.h"

#define P  (1ull << 0)
#define RW (1ull << 1)
#define US (1ull << 2)
#define PS (1ull << 7)
#define XD (1ull << 63)

#define KIB 0x400ull
#define MIB 0x100000ull
#define GIB 0x40000000ull

/* ---- a guest's RAM and its page tables, built by hand -------------------------- */

#define RAM_SIZE (1 * MIB)
static uint8_t ram[RAM_SIZE] __attribute__((aligned(4096)));
static uint64_t next_table;

static int ram_read(void *ctx, uint64_t gpa, void *dst, size_t len)
{
	(void)ctx;
	if (gpa >= RAM_SIZE || len > RAM_SIZE - gpa)
		return -1;
	memcpy(dst, ram + gpa, len);
	return 0;
}

static void reset(void)
{
	memset(ram, 0, sizeof(ram));
	next_table = 0x10000;
}

static uint64_t new_table(void)
{
	uint64_t pa = next_table;

	next_table += 4 * KIB;
	return pa;
}

static void put32(uint64_t pa, uint32_t v)
{
	memcpy(ram + pa, &v, sizeof(v));
}

static void put64(uint64_t pa, uint64_t v)
{
	memcpy(ram + pa, &v, sizeof(v));
}

static uint64_t get64(uint64_t pa)
{
	uint64_t v;

	memcpy(&v, ram + pa, sizeof(v));
	return v;
}

/* 32-bit paging: a 4 KiB mapping, or (large) a 4 MiB one. */
static void map32(uint64_t cr3, uint32_t va, uint64_t pa, uint32_t flags, int large)
{
	uint64_t pde = cr3 + ((va >> 22) & 0x3ff) * 4;
	uint32_t e;

	if (large) {
		put32(pde, (uint32_t)(pa & 0xffc00000u) | flags | (uint32_t)PS);
		return;
	}
	memcpy(&e, ram + pde, 4);
	if (!(e & P)) {
		e = (uint32_t)new_table() | (uint32_t)(P | RW | US);
		put32(pde, e);
	}
	put32((e & 0xfffff000u) + ((va >> 12) & 0x3ff) * 4, (uint32_t)pa | flags);
}

/* The address of the next-level table in entry pa, made present if absent. */
static uint64_t child(uint64_t pa, uint64_t flags)
{
	uint64_t e = get64(pa);

	if (!(e & P)) {
		e = new_table() | flags;
		put64(pa, e);
	}
	return e & 0x000ffffffffff000ull;
}

/* PAE: the PDPT at pdpt (32-byte aligned); a 4 KiB or (large) 2 MiB mapping. */
static void map_pae(uint64_t pdpt, uint32_t va, uint64_t pa, uint64_t flags, int large)
{
	uint64_t pd = child(pdpt + ((va >> 30) & 3) * 8, P); /* PDPTEs have no R/W, U/S */
	uint64_t pde = pd + ((va >> 21) & 0x1ff) * 8;

	if (large) {
		put64(pde, pa | flags | PS);
		return;
	}
	put64(child(pde, P | RW | US) + ((va >> 12) & 0x1ff) * 8, pa | flags);
}

/* The address of the entry for va at level (1 = PT ... 5 = PML5) under root; builds tables. */
static uint64_t long_entry(uint64_t root, int levels, uint64_t va, int level)
{
	uint64_t table = root;

	for (int l = levels; l > level; l--)
		table = child(table + ((va >> (12 + 9 * (l - 1))) & 0x1ff) * 8, P | RW | US);
	return table + ((va >> (12 + 9 * (level - 1))) & 0x1ff) * 8;
}

/* Long mode: leaf 1 = 4 KiB, 2 = 2 MiB, 3 = 1 GiB. */
static void map_long(uint64_t root, int levels, uint64_t va, uint64_t pa, uint64_t flags, int leaf)
{
	put64(long_entry(root, levels, va, leaf), pa | flags | (leaf > 1 ? PS : 0));
}

static struct guest_paging paging32(uint64_t cr3, uint64_t cr4)
{
	return (struct guest_paging){CR0_PE | CR0_PG, cr3, cr4, 0};
}

static struct guest_paging paging_pae(uint64_t cr3, uint64_t efer)
{
	return (struct guest_paging){CR0_PE | CR0_PG, cr3, CR4_PAE, efer};
}

static struct guest_paging paging_long(uint64_t cr3, uint64_t cr4)
{
	return (struct guest_paging){CR0_PE | CR0_PG, cr3, CR4_PAE | cr4,
				     EFER_LME | EFER_LMA | EFER_NXE};
}

static int walk(const struct guest_paging *p, uint64_t gva, enum walk_access acc, uint64_t *gpa)
{
	*gpa = 0xdead;
	return guest_walk(p, gva, acc, gpa, ram_read, NULL);
}

/* ---- translation in each mode ---------------------------------------------------- */

TEST(no_paging)
{
	struct guest_paging p = {CR0_PE, 0, 0, 0};
	uint64_t gpa;

	CHECK_EQ_U64(guest_walk(&p, 0x12345678, WALK_FETCH, &gpa, NULL, NULL), 0);
	CHECK_EQ_U64(gpa, 0x12345678);
	CHECK_EQ_U64(guest_walk(&p, 0x100001234ull, WALK_READ, &gpa, NULL, NULL), 0);
	CHECK_EQ_U64(gpa, 0x1234); /* linear addresses are 32 bits */
	p.efer = EFER_LMA;
	CHECK_EQ_U64(guest_walk(&p, 0x100001234ull, WALK_READ, &gpa, NULL, NULL), 0);
	CHECK_EQ_U64(gpa, 0x100001234ull);
}

TEST(paging32_4k)
{
	uint64_t cr3, gpa;
	struct guest_paging p;

	reset();
	cr3 = new_table();
	p = paging32(cr3 | 0x18, 0); /* PCD/PWT bits in CR3 are not address bits */
	map32(cr3, 0x00403000, 0x5000, P | RW, 0);
	map32(cr3, 0xc0001000, 0x7000, P, 0);
	CHECK_EQ_U64(walk(&p, 0x00403123, WALK_READ, &gpa), 0);
	CHECK_EQ_U64(gpa, 0x5123);
	CHECK_EQ_U64(walk(&p, 0xc0001abc, WALK_FETCH, &gpa), 0);
	CHECK_EQ_U64(gpa, 0x7abc);
	CHECK_EQ_U64(walk(&p, 0x100403123ull, WALK_READ, &gpa), 0); /* bits 63:32 dropped */
	CHECK_EQ_U64(gpa, 0x5123);
	CHECK_EQ_U64(walk(&p, 0x00404000, WALK_READ, &gpa), GUEST_WALK_NOT_PRESENT); /* PTE */
	CHECK_EQ_U64(walk(&p, 0x80000000, WALK_READ, &gpa), GUEST_WALK_NOT_PRESENT); /* PDE */
	CHECK_EQ_U64(gpa, 0xdead);
	/* XD does not exist here: bit 31 of a 4-byte PTE is an address bit */
	map32(cr3, 0x00405000, 0x80006000u, P, 0);
	CHECK_EQ_U64(walk(&p, 0x00405010, WALK_FETCH, &gpa), 0);
	CHECK_EQ_U64(gpa, 0x80006010u);
}

TEST(paging32_4m_pse)
{
	uint64_t cr3, gpa;
	struct guest_paging p;

	reset();
	cr3 = new_table();
	p = paging32(cr3, CR4_PSE);
	map32(cr3, 0x00800000, 0x00c00000, P | RW, 1);
	CHECK_EQ_U64(walk(&p, 0x00812345, WALK_READ, &gpa), 0);
	CHECK_EQ_U64(gpa, 0x00c12345);
	/* PSE-36: PDE bits 20:13 are physical-address bits 39:32 */
	put32(cr3 + 2 * 4, 0x00c00000u | (0x12u << 13) | (uint32_t)(P | PS));
	CHECK_EQ_U64(walk(&p, 0x00812345, WALK_READ, &gpa), 0);
	CHECK_EQ_U64(gpa, 0x1200c12345ull);
	/* bit 21 is reserved */
	put32(cr3 + 2 * 4, 0x00c00000u | (1u << 21) | (uint32_t)(P | PS));
	CHECK_EQ_U64(walk(&p, 0x00812345, WALK_READ, &gpa), GUEST_WALK_RESERVED);
	/* without CR4.PSE, PS is ignored: the PDE points at a page table (here outside RAM) */
	map32(cr3, 0x00800000, 0x00c00000, P | RW, 1);
	p.cr4 = 0;
	CHECK_EQ_U64(walk(&p, 0x00812345, WALK_READ, &gpa), GUEST_WALK_READ_ERROR);
}

TEST(pae)
{
	uint64_t pdpt = 0x1020, gpa; /* 32-byte aligned, not page aligned */
	struct guest_paging p;

	reset();
	p = paging_pae(pdpt, EFER_NXE);
	map_pae(pdpt, 0x00403000, 0x9000, P | RW, 0);
	map_pae(pdpt, 0xc0600000, 0x400000, P | RW, 1);
	map_pae(pdpt, 0x40000000, 0xa000, P | XD, 0);
	CHECK_EQ_U64(walk(&p, 0x00403456, WALK_READ, &gpa), 0);
	CHECK_EQ_U64(gpa, 0x9456);
	CHECK_EQ_U64(walk(&p, 0xc0654321, WALK_READ, &gpa), 0);
	CHECK_EQ_U64(gpa, 0x454321);
	CHECK_EQ_U64(walk(&p, 0x40000010, WALK_READ, &gpa), 0);
	CHECK_EQ_U64(gpa, 0xa010);
	CHECK_EQ_U64(walk(&p, 0x40000010, WALK_FETCH, &gpa), GUEST_WALK_PROTECTION);
	CHECK_EQ_U64(walk(&p, 0x80000000, WALK_READ, &gpa), GUEST_WALK_NOT_PRESENT); /* PDPTE */
	CHECK_EQ_U64(walk(&p, 0x00600000, WALK_READ, &gpa), GUEST_WALK_NOT_PRESENT); /* PDE */
	/* without NXE, XD is a reserved bit */
	p.efer = 0;
	CHECK_EQ_U64(walk(&p, 0x40000010, WALK_READ, &gpa), GUEST_WALK_RESERVED);
	p.efer = EFER_NXE;
	/* PDPTE: R/W (bit 1) is reserved in PAE mode */
	put64(pdpt, get64(pdpt) | RW);
	CHECK_EQ_U64(walk(&p, 0x00403456, WALK_READ, &gpa), GUEST_WALK_RESERVED);
	put64(pdpt, get64(pdpt) & ~RW);
	/* bits 62:52 of a PAE PTE are reserved */
	map_pae(pdpt, 0x00403000, 0x9000 | (1ull << 52), P | RW, 0);
	CHECK_EQ_U64(walk(&p, 0x00403456, WALK_READ, &gpa), GUEST_WALK_RESERVED);
	/* 2 MiB PDE: bits 20:13 are reserved */
	map_pae(pdpt, 0xc0600000, 0x400000 | (1ull << 13), P | RW, 1);
	CHECK_EQ_U64(walk(&p, 0xc0654321, WALK_READ, &gpa), GUEST_WALK_RESERVED);
}

TEST(long_mode_4level)
{
	uint64_t root, gpa;
	struct guest_paging p;

	reset();
	root = new_table();
	p = paging_long(root | 0x5, 0); /* a PCID in CR3 bits 11:0 */
	map_long(root, 4, 0x400000, 0x21000, P | RW, 1);
	map_long(root, 4, 0x40000000, 0x80000000ull, P | RW, 2);
	map_long(root, 4, 0x8000000000ull, 0x40000000ull, P | RW, 3);
	map_long(root, 4, 0xffff800000201000ull, 0x22000, P, 1);
	CHECK_EQ_U64(walk(&p, 0x400abc, WALK_READ, &gpa), 0);
	CHECK_EQ_U64(gpa, 0x21abc);
	CHECK_EQ_U64(walk(&p, 0x40123456, WALK_READ, &gpa), 0);
	CHECK_EQ_U64(gpa, 0x80123456ull);
	CHECK_EQ_U64(walk(&p, 0x8012345678ull, WALK_READ, &gpa), 0);
	CHECK_EQ_U64(gpa, 0x52345678ull);
	CHECK_EQ_U64(walk(&p, 0xffff800000201ff0ull, WALK_FETCH, &gpa), 0);
	CHECK_EQ_U64(gpa, 0x22ff0);
	/* LME with PG is long mode even before LMA reads back */
	p.efer = EFER_LME | EFER_NXE;
	CHECK_EQ_U64(walk(&p, 0x400abc, WALK_READ, &gpa), 0);
	CHECK_EQ_U64(gpa, 0x21abc);
	/* bits 62:52 are ignored in long mode, not address bits */
	map_long(root, 4, 0x400000, 0x21000 | (0x7ffull << 52), P | RW, 1);
	CHECK_EQ_U64(walk(&p, 0x400abc, WALK_READ, &gpa), 0);
	CHECK_EQ_U64(gpa, 0x21abc);
}

TEST(long_mode_faults)
{
	uint64_t root, gpa;
	struct guest_paging p;

	reset();
	root = new_table();
	p = paging_long(root, 0);
	map_long(root, 4, 0x400000, 0x21000, P | RW, 1);
	CHECK_EQ_U64(walk(&p, 0x401000, WALK_READ, &gpa), GUEST_WALK_NOT_PRESENT);	  /* PT */
	CHECK_EQ_U64(walk(&p, 0x600000, WALK_READ, &gpa), GUEST_WALK_NOT_PRESENT);	  /* PD */
	CHECK_EQ_U64(walk(&p, 0x40000000, WALK_READ, &gpa), GUEST_WALK_NOT_PRESENT);	  /* PDPT */
	CHECK_EQ_U64(walk(&p, 0x8000000000ull, WALK_READ, &gpa), GUEST_WALK_NOT_PRESENT); /* PML4 */
	CHECK_EQ_U64(walk(&p, 0x0000800000000000ull, WALK_READ, &gpa), GUEST_WALK_NONCANONICAL);
	CHECK_EQ_U64(walk(&p, 0xfff0000000000000ull, WALK_READ, &gpa), GUEST_WALK_NONCANONICAL);
	/* PS in a PML4E is reserved */
	put64(root, get64(root) | PS);
	CHECK_EQ_U64(walk(&p, 0x400000, WALK_READ, &gpa), GUEST_WALK_RESERVED);
	put64(root, get64(root) & ~PS);
	/* 1 GiB page: bits 29:13 reserved; 2 MiB page: bits 20:13 */
	map_long(root, 4, 0x80000000ull, 0x40000000ull | (1ull << 13), P, 3);
	CHECK_EQ_U64(walk(&p, 0x80000000ull, WALK_READ, &gpa), GUEST_WALK_RESERVED);
	map_long(root, 4, 0xc0000000ull, 0x40000000ull | (1ull << 29), P, 3);
	CHECK_EQ_U64(walk(&p, 0xc0000000ull, WALK_READ, &gpa), GUEST_WALK_RESERVED);
	map_long(root, 4, 0x800000, 0x200000 | (1ull << 20), P, 2);
	CHECK_EQ_U64(walk(&p, 0x800000, WALK_READ, &gpa), GUEST_WALK_RESERVED);
	/* bit 12 of a 2 MiB entry is PAT, not reserved nor an address bit */
	map_long(root, 4, 0x800000, 0x200000 | (1ull << 12), P, 2);
	CHECK_EQ_U64(walk(&p, 0x812345, WALK_READ, &gpa), 0);
	CHECK_EQ_U64(gpa, 0x212345);
}

TEST(long_mode_5level)
{
	uint64_t root, gpa, va = 0x0001000000001000ull; /* bit 48: only 57-bit canonical */
	struct guest_paging p;

	reset();
	root = new_table();
	p = paging_long(root, CR4_LA57);
	map_long(root, 5, va, 0x23000, P | RW, 1);
	map_long(root, 5, 0xff00000000400000ull, 0x200000, P | RW, 2);
	CHECK_EQ_U64(walk(&p, va + 0x10, WALK_FETCH, &gpa), 0);
	CHECK_EQ_U64(gpa, 0x23010);
	CHECK_EQ_U64(walk(&p, 0xff00000000412345ull, WALK_READ, &gpa), 0);
	CHECK_EQ_U64(gpa, 0x212345);
	CHECK_EQ_U64(walk(&p, 0x0100000000000000ull, WALK_READ, &gpa), GUEST_WALK_NONCANONICAL);
	CHECK_EQ_U64(walk(&p, 0x0002000000000000ull, WALK_READ, &gpa), GUEST_WALK_NOT_PRESENT);
	put64(long_entry(root, 5, va, 5), get64(long_entry(root, 5, va, 5)) | PS); /* reserved */
	CHECK_EQ_U64(walk(&p, va, WALK_READ, &gpa), GUEST_WALK_RESERVED);
	/* the same address under 4-level paging is not canonical */
	p.cr4 = CR4_PAE;
	CHECK_EQ_U64(walk(&p, va, WALK_READ, &gpa), GUEST_WALK_NONCANONICAL);
}

/* ---- rights ------------------------------------------------------------------------- */

TEST(nx_on_fetch)
{
	uint64_t root, gpa;
	struct guest_paging p;

	reset();
	root = new_table();
	p = paging_long(root, 0);
	map_long(root, 4, 0x400000, 0x21000, P | RW | XD, 1);
	map_long(root, 4, 0x600000, 0x22000, P | RW, 1);
	CHECK_EQ_U64(walk(&p, 0x400000, WALK_FETCH, &gpa), GUEST_WALK_PROTECTION);
	CHECK_EQ_U64(walk(&p, 0x400000, WALK_READ, &gpa), 0);
	CHECK_EQ_U64(walk(&p, 0x400000, WALK_WRITE, &gpa), 0);
	CHECK_EQ_U64(walk(&p, 0x600000, WALK_FETCH, &gpa), 0);
	/* XD in a directory entry covers every page below it */
	put64(long_entry(root, 4, 0x600000, 2), get64(long_entry(root, 4, 0x600000, 2)) | XD);
	CHECK_EQ_U64(walk(&p, 0x600000, WALK_FETCH, &gpa), GUEST_WALK_PROTECTION);
	/* without NXE the bit is reserved */
	p.efer &= ~EFER_NXE;
	CHECK_EQ_U64(walk(&p, 0x600000, WALK_READ, &gpa), GUEST_WALK_RESERVED);
}

TEST(write_and_user_rights)
{
	uint64_t root, gpa;
	struct guest_paging p;

	reset();
	root = new_table();
	p = paging_long(root, 0);
	map_long(root, 4, 0x400000, 0x21000, P | US, 1);       /* read-only user page */
	map_long(root, 4, 0x600000, 0x22000, P | RW, 1);       /* supervisor page */
	CHECK_EQ_U64(walk(&p, 0x400000, WALK_WRITE, &gpa), 0); /* CR0.WP = 0 */
	CHECK_EQ_U64(walk(&p, 0x400000, WALK_WRITE | WALK_USER, &gpa), GUEST_WALK_PROTECTION);
	p.cr0 |= CR0_WP;
	CHECK_EQ_U64(walk(&p, 0x400000, WALK_WRITE, &gpa), GUEST_WALK_PROTECTION);
	CHECK_EQ_U64(walk(&p, 0x400000, WALK_READ | WALK_USER, &gpa), 0);
	CHECK_EQ_U64(walk(&p, 0x600000, WALK_READ | WALK_USER, &gpa), GUEST_WALK_PROTECTION);
	CHECK_EQ_U64(walk(&p, 0x600000, WALK_FETCH | WALK_USER, &gpa), GUEST_WALK_PROTECTION);
	CHECK_EQ_U64(walk(&p, 0x600000, WALK_WRITE, &gpa), 0);
	/* a fetch of unknown CPL checks no U/S, so user code is fetched even with SMEP on */
	p.cr4 |= CR4_SMEP;
	CHECK_EQ_U64(walk(&p, 0x400000, WALK_FETCH, &gpa), 0);
	CHECK_EQ_U64(walk(&p, 0x600000, WALK_FETCH, &gpa), 0);
}

TEST(hostile_tables)
{
	uint64_t root, gpa;
	struct guest_paging p;

	reset();
	p = paging_long(0x000ffffffffff000ull, 0);
	CHECK_EQ_U64(walk(&p, 0x400000, WALK_FETCH, &gpa), GUEST_WALK_READ_ERROR);
	p = paging_long(~0ull, CR4_LA57);
	CHECK_EQ_U64(walk(&p, 0xffffffffffffffffull, WALK_FETCH, &gpa), GUEST_WALK_READ_ERROR);
	p = paging32(0xfffff000u, CR4_PSE);
	CHECK_EQ_U64(walk(&p, 0xfffff000u, WALK_FETCH, &gpa), GUEST_WALK_READ_ERROR);
	p = paging_pae(0xffffffe0u, EFER_NXE);
	CHECK_EQ_U64(walk(&p, 0xc0000000u, WALK_FETCH, &gpa), GUEST_WALK_READ_ERROR);
	/* a directory entry pointing past the end of RAM */
	root = new_table();
	p = paging_long(root, 0);
	put64(long_entry(root, 4, 0x400000, 2), 0x7ffffff000ull | P | RW);
	CHECK_EQ_U64(walk(&p, 0x400000, WALK_READ, &gpa), GUEST_WALK_READ_ERROR);
	/* a PML4E pointing at its own table: the walk still ends after four levels */
	put64(root + 8, root | P | RW);
	CHECK_EQ_U64(walk(&p, 0x8040201234ull, WALK_READ, &gpa), 0); /* index 1 at every level */
	CHECK_EQ_U64(gpa, root + 0x234);
	/* missing pointers */
	CHECK_EQ_U64(guest_walk(NULL, 0, WALK_READ, &gpa, ram_read, NULL), GUEST_WALK_BAD_ARGS);
	CHECK_EQ_U64(guest_walk(&p, 0, WALK_READ, NULL, ram_read, NULL), GUEST_WALK_BAD_ARGS);
	CHECK_EQ_U64(guest_walk(&p, 0, WALK_READ, &gpa, NULL, NULL), GUEST_WALK_BAD_ARGS);
}

/* ---- walks through a nested page table with a passed device's page ------------- */

static uint64_t table_alloc(void *ctx)
{
	void *p = aligned_alloc(4096, 4096);

	(void)ctx;
	if (p)
		memset(p, 0, 4096);
	return (uint64_t)(uintptr_t)p;
}

static void table_free(void *ctx, uint64_t pa)
{
	(void)ctx;
	free((void *)(uintptr_t)pa);
}

static void *table_virt(void *ctx, uint64_t pa)
{
	(void)ctx;
	return (void *)(uintptr_t)pa;
}

/* The hypervisor's reader (zone_read): guest RAM through the zone's nested table. */
static int npt_ram_read(void *ctx, uint64_t gpa, void *dst, size_t len)
{
	return npt_read(ctx, gpa, dst, len);
}

TEST(tables_in_a_device_page_are_not_read)
{
	static const struct npt_mem mem = {table_alloc, table_free, table_virt, NULL};
	static uint8_t dev[4096] __attribute__((aligned(4096)));
	const uint64_t dev_gpa = RAM_SIZE; /* a BAR right after RAM, as NPT_DEV */
	struct npt t;
	struct guest_paging p;
	uint64_t root, gpa;

	reset();
	CHECK(npt_init(&t, &npt_format_amd, &mem) == 0);
	CHECK(npt_map(&t, 0, (uint64_t)(uintptr_t)ram, RAM_SIZE, NPT_R | NPT_W | NPT_X) == 0);
	CHECK(npt_map(&t, dev_gpa, (uint64_t)(uintptr_t)dev, 4096, NPT_R | NPT_W | NPT_DEV) == 0);
	root = new_table();
	p = paging_long(root, 0);
	map_long(root, 4, 0x400000, 0x21000, P | RW, 1);
	CHECK_EQ_U64(guest_walk(&p, 0x400abc, WALK_READ, &gpa, npt_ram_read, &t), 0);
	CHECK_EQ_U64(gpa, 0x21abc);
	/* The device page holds what looks like a valid page directory, but a
	 * walk through it would read device registers: refused as outside RAM. */
	for (unsigned i = 0; i < 512; i++)
		memcpy(dev + 8 * i, &(uint64_t){0x200000 | P | RW | PS}, 8);
	put64(long_entry(root, 4, 0x40000000, 3), dev_gpa | P | RW);
	CHECK_EQ_U64(guest_walk(&p, 0x40000000, WALK_READ, &gpa, npt_ram_read, &t),
		     GUEST_WALK_READ_ERROR);
	p.cr3 = dev_gpa; /* CR3 itself in the device page */
	CHECK_EQ_U64(guest_walk(&p, 0x400abc, WALK_READ, &gpa, npt_ram_read, &t),
		     GUEST_WALK_READ_ERROR);
	npt_destroy(&t);
}

/* ---- instruction fetch ------------------------------------------------------------ */

/* Long mode with 0x400000 -> 0x21000 and 0x401000 -> 0x30000 (not contiguous), 0x402000 absent. */
static struct guest_paging fetch_setup(void)
{
	uint64_t root;

	reset();
	root = new_table();
	map_long(root, 4, 0x400000, 0x21000, P, 1);
	map_long(root, 4, 0x401000, 0x30000, P, 1);
	map_long(root, 4, 0x403000, 0x31000, P | XD, 1);
	for (int i = 0; i < 0x1000; i++) {
		ram[0x21000 + i] = (uint8_t)i;
		ram[0x30000 + i] = (uint8_t)(0x80 + i);
	}
	return paging_long(root, 0);
}

TEST(fetch_within_and_across_pages)
{
	struct guest_paging p = fetch_setup();
	uint8_t out[15];
	size_t got = 99;

	CHECK_EQ_U64(guest_fetch_insn(&p, 0x400100, out, &got, ram_read, NULL), 0);
	CHECK_EQ_U64(got, 15);
	CHECK_EQ_U64(out[0], 0x00);
	CHECK_EQ_U64(out[14], 0x0e);
	/* 8 bytes at the end of one page, 7 from the next page's own frame */
	CHECK_EQ_U64(guest_fetch_insn(&p, 0x400ff8, out, &got, ram_read, NULL), 0);
	CHECK_EQ_U64(got, 15);
	CHECK_EQ_U64(out[0], 0xf8);
	CHECK_EQ_U64(out[7], 0xff);
	CHECK_EQ_U64(out[8], 0x80);
	CHECK_EQ_U64(out[14], 0x86);
}

TEST(fetch_into_unmapped_page)
{
	struct guest_paging p = fetch_setup();
	uint8_t out[15];
	size_t got = 99;
	uint64_t gpa;
	struct x86_insn in;

	CHECK_EQ_U64(guest_fetch_insn(&p, 0x401ffa, out, &got, ram_read, NULL), 0);
	CHECK_EQ_U64(got, 6);
	/* an instruction that ends on the page decodes; one that continues is truncated */
	ram[0x30ffe] = 0x0f;
	ram[0x30fff] = 0xa2; /* cpuid */
	CHECK_EQ_U64(guest_fetch_insn(&p, 0x401ffe, out, &got, ram_read, NULL), 0);
	CHECK_EQ_U64(got, 2);
	CHECK_EQ_U64(x86_decode(out, got, X86_MODE_64, &in), 0);
	CHECK_EQ_U64(in.op, X86_OP_CPUID);
	CHECK_EQ_U64(guest_fetch_insn(&p, 0x401fff, out, &got, ram_read, NULL), 0);
	CHECK_EQ_U64(got, 1);
	CHECK_EQ_U64(x86_decode(out, got, X86_MODE_64, &in), X86_ERR_TRUNCATED);
	/* the fault to inject is at rip + got */
	CHECK_EQ_U64(guest_walk(&p, 0x401fff + got, WALK_FETCH, &gpa, ram_read, NULL),
		     GUEST_WALK_NOT_PRESENT);
	/* nothing at all: the first page's fault */
	CHECK_EQ_U64(guest_fetch_insn(&p, 0x402000, out, &got, ram_read, NULL),
		     GUEST_WALK_NOT_PRESENT);
	CHECK_EQ_U64(got, 0);
	/* an NX page stops a fetch like an absent one */
	CHECK_EQ_U64(guest_fetch_insn(&p, 0x403000, out, &got, ram_read, NULL),
		     GUEST_WALK_PROTECTION);
	CHECK_EQ_U64(got, 0);
}

TEST(fetch_other_modes)
{
	struct guest_paging off = {CR0_PE, 0, 0, 0};
	struct guest_paging p;
	uint8_t out[15];
	size_t got;
	uint64_t cr3;

	reset();
	for (int i = 0; i < 15; i++)
		ram[0x1000 + i] = (uint8_t)(0xa0 + i);
	CHECK_EQ_U64(guest_fetch_insn(&off, 0x1000, out, &got, ram_read, NULL), 0);
	CHECK_EQ_U64(got, 15);
	CHECK_EQ_U64(out[14], 0xae);
	/* paging off, near the top of RAM: what is there */
	CHECK_EQ_U64(guest_fetch_insn(&off, RAM_SIZE - 4, out, &got, ram_read, NULL), 0);
	CHECK_EQ_U64(got, 4);
	/* 32-bit paging: a fetch at 0xfffffffa wraps to linear address 0 */
	cr3 = new_table();
	p = paging32(cr3, 0);
	map32(cr3, 0xfffff000u, 0x40000, P, 0);
	map32(cr3, 0x00000000u, 0x41000, P, 0);
	ram[0x40ffa] = 0x11;
	ram[0x41000] = 0x22;
	ram[0x41008] = 0x33;
	CHECK_EQ_U64(guest_fetch_insn(&p, 0xfffffffau, out, &got, ram_read, NULL), 0);
	CHECK_EQ_U64(got, 15);
	CHECK_EQ_U64(out[0], 0x11);
	CHECK_EQ_U64(out[6], 0x22);
	CHECK_EQ_U64(out[14], 0x33);
	/* a page whose frame is not guest RAM */
	map32(cr3, 0x00001000u, 0xf0000000u, P, 0);
	CHECK_EQ_U64(guest_fetch_insn(&p, 0x1000, out, &got, ram_read, NULL),
		     GUEST_WALK_READ_ERROR);
	CHECK_EQ_U64(got, 0);
	CHECK_EQ_U64(guest_fetch_insn(&p, 0x1000, out, NULL, ram_read, NULL), GUEST_WALK_BAD_ARGS);
	CHECK_EQ_U64(guest_fetch_insn(&p, 0x1000, out, &got, NULL, NULL), GUEST_WALK_BAD_ARGS);
	CHECK_EQ_U64(guest_fetch_insn(NULL, 0x1000, out, &got, ram_read, NULL),
		     GUEST_WALK_BAD_ARGS);
}

TEST(page_fault_error_codes)
{
	struct guest_paging pae = paging_pae(0, EFER_NXE);
	struct guest_paging plain = paging32(0, 0);

	CHECK_EQ_U64(guest_walk_pf_error(&pae, GUEST_WALK_NOT_PRESENT, WALK_READ), 0);
	CHECK_EQ_U64(guest_walk_pf_error(&pae, GUEST_WALK_NOT_PRESENT, WALK_WRITE | WALK_USER), 6);
	CHECK_EQ_U64(guest_walk_pf_error(&pae, GUEST_WALK_RESERVED, WALK_READ), 9);
	CHECK_EQ_U64(guest_walk_pf_error(&pae, GUEST_WALK_PROTECTION, WALK_FETCH), 0x11);
	CHECK_EQ_U64(guest_walk_pf_error(&plain, GUEST_WALK_NOT_PRESENT, WALK_FETCH), 0);
	plain.cr4 = CR4_SMEP;
	CHECK_EQ_U64(guest_walk_pf_error(&plain, GUEST_WALK_NOT_PRESENT, WALK_FETCH), 0x10);
	CHECK_EQ_U64(guest_walk_pf_error(&pae, GUEST_WALK_NONCANONICAL, WALK_READ), 0);
	CHECK_EQ_U64(guest_walk_pf_error(&pae, GUEST_WALK_READ_ERROR, WALK_READ), 0);
}
