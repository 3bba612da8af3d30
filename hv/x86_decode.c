/* x86 instruction decoder: prefixes, opcode tables, ModRM/SIB, displacement, immediate (pure C). */
#include "hv/x86_decode.h"
#include "hv/lib/string.h"

/*
 * SDM vol. 2, 2.1 (figure 2-1): an instruction is
 *   legacy prefixes | REX (64-bit mode) | opcode (1-2 bytes here) | ModRM | SIB |
 *   displacement (0, 1, 2, 4 bytes) | immediate (0, 1, 2, 4 bytes)
 * and is at most 15 bytes long (2.3.11).  What each opcode takes is data, in
 * the tables below (SDM vol. 2, appendix A opcode maps).
 */

/* ---- opcode tables -------------------------------------------------------- */

enum opflag {
	F_MODRM = 1u << 0,   /* a ModRM byte follows the opcode */
	F_BYTE = 1u << 1,    /* 8-bit operands (opcode bit w = 0) */
	F_IMM8 = 1u << 2,    /* imm8, sign-extended to the operand size */
	F_IMM_OP = 1u << 3,  /* immediate of the operand size, 32 bits at most, sign-extended */
	F_PORT8 = 1u << 4,   /* imm8 port number, zero-extended */
	F_MOFFS = 1u << 5,   /* an address-size memory offset follows the opcode */
	F_TO_REG = 1u << 6,  /* d bit: r/m -> reg */
	F_RD = 1u << 7,	     /* reads the r/m operand */
	F_WR = 1u << 8,	     /* writes the r/m operand */
	F_REG_GPR = 1u << 9, /* ModRM.reg names a general register operand */
	F_STRING = 1u << 10, /* string op: implicit memory at rSI/rDI */
	F_SRC8 = 1u << 11,   /* the r/m source is 8 bits (MOVZX/MOVSX) */
	F_SRC16 = 1u << 12,  /* the r/m source is 16 bits */
	F_SRC32 = 1u << 13,  /* the r/m source is at most 32 bits (MOVSXD) */
	F_NO_W = 1u << 14,   /* REX.W has no effect: 16 or 32-bit operands (IN/OUT/INS/OUTS) */
	F_CTRL = 1u << 15,   /* MOV CR/DR: mod ignored, GPR of the mode's width */
	F_ONLY64 = 1u << 16, /* another instruction outside 64-bit mode (63 is ARPL there) */
	F_NOP90 = 1u << 17,  /* 90: NOP, F3 90 PAUSE, REX.B 90 XCHG r8, rAX */
};

/* Opcodes whose ModRM.reg (or, for group 7 register forms, all of ModRM) picks the instruction. */
enum opgroup { GRP_NONE, GRP1, GRP3, GRP7, GRP11, GRP_COUNT };

struct opinfo {
	uint8_t op;  /* enum x86_op; X86_OP_NONE with GRP_NONE: unsupported */
	uint8_t grp; /* enum opgroup */
	uint32_t flags;
};

#define RM_REG (F_MODRM | F_REG_GPR)

/* SDM vol. 2, table A-2 rows 0-3: op r/m8,r8 | op r/m,r | op r8,r/m8 | op r,r/m. */
/* clang-format off */
#define ALU_ROW(base, o, wr)                                                     \
	[(base) + 0] = { (o), GRP_NONE, RM_REG | F_BYTE | F_RD | (wr) },        \
	[(base) + 1] = { (o), GRP_NONE, RM_REG | F_RD | (wr) },                 \
	[(base) + 2] = { (o), GRP_NONE, RM_REG | F_BYTE | F_RD | F_TO_REG },    \
	[(base) + 3] = { (o), GRP_NONE, RM_REG | F_RD | F_TO_REG }
/* clang-format on */

static const struct opinfo one_byte[256] = {
	ALU_ROW(0x00, X86_OP_ADD, F_WR),
	ALU_ROW(0x08, X86_OP_OR, F_WR),
	ALU_ROW(0x10, X86_OP_ADC, F_WR),
	ALU_ROW(0x18, X86_OP_SBB, F_WR),
	ALU_ROW(0x20, X86_OP_AND, F_WR),
	ALU_ROW(0x28, X86_OP_SUB, F_WR),
	ALU_ROW(0x30, X86_OP_XOR, F_WR),
	ALU_ROW(0x38, X86_OP_CMP, 0),
	[0x63] = {X86_OP_MOVSXD, GRP_NONE, RM_REG | F_RD | F_TO_REG | F_SRC32 | F_ONLY64},
	[0x6C] = {X86_OP_INS, GRP_NONE, F_STRING | F_BYTE | F_WR},
	[0x6D] = {X86_OP_INS, GRP_NONE, F_STRING | F_NO_W | F_WR},
	[0x6E] = {X86_OP_OUTS, GRP_NONE, F_STRING | F_BYTE | F_RD},
	[0x6F] = {X86_OP_OUTS, GRP_NONE, F_STRING | F_NO_W | F_RD},
	[0x80] = {X86_OP_NONE, GRP1, F_MODRM | F_BYTE | F_IMM_OP},
	[0x81] = {X86_OP_NONE, GRP1, F_MODRM | F_IMM_OP},
	[0x83] = {X86_OP_NONE, GRP1, F_MODRM | F_IMM8},
	[0x84] = {X86_OP_TEST, GRP_NONE, RM_REG | F_BYTE | F_RD},
	[0x85] = {X86_OP_TEST, GRP_NONE, RM_REG | F_RD},
	[0x86] = {X86_OP_XCHG, GRP_NONE, RM_REG | F_BYTE | F_RD | F_WR},
	[0x87] = {X86_OP_XCHG, GRP_NONE, RM_REG | F_RD | F_WR},
	[0x88] = {X86_OP_MOV, GRP_NONE, RM_REG | F_BYTE | F_WR},
	[0x89] = {X86_OP_MOV, GRP_NONE, RM_REG | F_WR},
	[0x8A] = {X86_OP_MOV, GRP_NONE, RM_REG | F_BYTE | F_RD | F_TO_REG},
	[0x8B] = {X86_OP_MOV, GRP_NONE, RM_REG | F_RD | F_TO_REG},
	[0x90] = {X86_OP_NOP, GRP_NONE, F_NOP90},
	[0xA0] = {X86_OP_MOV, GRP_NONE, F_MOFFS | F_BYTE | F_RD | F_TO_REG},
	[0xA1] = {X86_OP_MOV, GRP_NONE, F_MOFFS | F_RD | F_TO_REG},
	[0xA2] = {X86_OP_MOV, GRP_NONE, F_MOFFS | F_BYTE | F_WR},
	[0xA3] = {X86_OP_MOV, GRP_NONE, F_MOFFS | F_WR},
	[0xA4] = {X86_OP_MOVS, GRP_NONE, F_STRING | F_BYTE | F_RD | F_WR},
	[0xA5] = {X86_OP_MOVS, GRP_NONE, F_STRING | F_RD | F_WR},
	[0xAA] = {X86_OP_STOS, GRP_NONE, F_STRING | F_BYTE | F_WR},
	[0xAB] = {X86_OP_STOS, GRP_NONE, F_STRING | F_WR},
	[0xC6] = {X86_OP_NONE, GRP11, F_MODRM | F_BYTE | F_IMM_OP},
	[0xC7] = {X86_OP_NONE, GRP11, F_MODRM | F_IMM_OP},
	[0xCC] = {X86_OP_INT3, GRP_NONE, 0},
	[0xE4] = {X86_OP_IN, GRP_NONE, F_BYTE | F_PORT8},
	[0xE5] = {X86_OP_IN, GRP_NONE, F_NO_W | F_PORT8},
	[0xE6] = {X86_OP_OUT, GRP_NONE, F_BYTE | F_PORT8},
	[0xE7] = {X86_OP_OUT, GRP_NONE, F_NO_W | F_PORT8},
	[0xEC] = {X86_OP_IN, GRP_NONE, F_BYTE},
	[0xED] = {X86_OP_IN, GRP_NONE, F_NO_W},
	[0xEE] = {X86_OP_OUT, GRP_NONE, F_BYTE},
	[0xEF] = {X86_OP_OUT, GRP_NONE, F_NO_W},
	[0xF4] = {X86_OP_HLT, GRP_NONE, 0},
	[0xF6] = {X86_OP_NONE, GRP3, F_MODRM | F_BYTE},
	[0xF7] = {X86_OP_NONE, GRP3, F_MODRM},
};

/* SDM vol. 2, table A-3 (two-byte map, 0F xx). */
static const struct opinfo two_byte[256] = {
	[0x01] = {X86_OP_NONE, GRP7, F_MODRM},
	[0x08] = {X86_OP_INVD, GRP_NONE, 0},
	[0x09] = {X86_OP_WBINVD, GRP_NONE, 0},
	[0x20] = {X86_OP_MOV_FROM_CR, GRP_NONE, F_MODRM | F_CTRL},
	[0x21] = {X86_OP_MOV_FROM_DR, GRP_NONE, F_MODRM | F_CTRL},
	[0x22] = {X86_OP_MOV_TO_CR, GRP_NONE, F_MODRM | F_CTRL | F_TO_REG},
	[0x23] = {X86_OP_MOV_TO_DR, GRP_NONE, F_MODRM | F_CTRL | F_TO_REG},
	[0x30] = {X86_OP_WRMSR, GRP_NONE, 0},
	[0x31] = {X86_OP_RDTSC, GRP_NONE, 0},
	[0x32] = {X86_OP_RDMSR, GRP_NONE, 0},
	[0xA2] = {X86_OP_CPUID, GRP_NONE, 0},
	[0xB6] = {X86_OP_MOVZX, GRP_NONE, RM_REG | F_RD | F_TO_REG | F_SRC8},
	[0xB7] = {X86_OP_MOVZX, GRP_NONE, RM_REG | F_RD | F_TO_REG | F_SRC16},
	[0xBE] = {X86_OP_MOVSX, GRP_NONE, RM_REG | F_RD | F_TO_REG | F_SRC8},
	[0xBF] = {X86_OP_MOVSX, GRP_NONE, RM_REG | F_RD | F_TO_REG | F_SRC16},
};

/* SDM vol. 2, table A-6 (opcode extensions by ModRM.reg); flags add to the opcode's. */
static const struct opinfo groups[GRP_COUNT][8] = {
	[GRP1] =
		{
			{X86_OP_ADD, 0, F_RD | F_WR},
			{X86_OP_OR, 0, F_RD | F_WR},
			{X86_OP_ADC, 0, F_RD | F_WR},
			{X86_OP_SBB, 0, F_RD | F_WR},
			{X86_OP_AND, 0, F_RD | F_WR},
			{X86_OP_SUB, 0, F_RD | F_WR},
			{X86_OP_XOR, 0, F_RD | F_WR},
			{X86_OP_CMP, 0, F_RD},
		},
	[GRP3] =
		{
			[0] = {X86_OP_TEST, 0, F_RD | F_IMM_OP},
			[2] = {X86_OP_NOT, 0, F_RD | F_WR},
			[3] = {X86_OP_NEG, 0, F_RD | F_WR},
		},
	[GRP7] = {[7] = {X86_OP_INVLPG, 0, 0}}, /* memory forms */
	[GRP11] = {[0] = {X86_OP_MOV, 0, F_WR}},
};

/* Group 7 register forms (0F 01 C0..FF), indexed by ModRM & 0x3F: SDM table A-6, APM vol. 3 A.2. */
static const struct opinfo grp7_reg[64] = {
	[0xC1 - 0xC0] = {X86_OP_VMCALL, 0, 0},	[0xC8 - 0xC0] = {X86_OP_MONITOR, 0, 0},
	[0xC9 - 0xC0] = {X86_OP_MWAIT, 0, 0},	[0xD0 - 0xC0] = {X86_OP_XGETBV, 0, 0},
	[0xD1 - 0xC0] = {X86_OP_XSETBV, 0, 0},	[0xD8 - 0xC0] = {X86_OP_VMRUN, 0, 0},
	[0xD9 - 0xC0] = {X86_OP_VMMCALL, 0, 0}, [0xDA - 0xC0] = {X86_OP_VMLOAD, 0, 0},
	[0xDB - 0xC0] = {X86_OP_VMSAVE, 0, 0},	[0xDC - 0xC0] = {X86_OP_STGI, 0, 0},
	[0xDD - 0xC0] = {X86_OP_CLGI, 0, 0},	[0xDE - 0xC0] = {X86_OP_SKINIT, 0, 0},
	[0xDF - 0xC0] = {X86_OP_INVLPGA, 0, 0}, [0xF9 - 0xC0] = {X86_OP_RDTSCP, 0, 0},
};

/* SDM vol. 2, 2.1.1: the four legacy prefix groups. */
enum prefix_kind { PFX_NONE, PFX_LOCK, PFX_REP, PFX_SEG, PFX_OPSIZE, PFX_ADDRSIZE };

struct prefix {
	uint8_t kind, value;
};

static const struct prefix prefixes[256] = {
	[0xF0] = {PFX_LOCK, 0},		[0xF2] = {PFX_REP, X86_REP_NE},
	[0xF3] = {PFX_REP, X86_REP_E},	[0x26] = {PFX_SEG, X86_SEG_ES},
	[0x2E] = {PFX_SEG, X86_SEG_CS}, [0x36] = {PFX_SEG, X86_SEG_SS},
	[0x3E] = {PFX_SEG, X86_SEG_DS}, [0x64] = {PFX_SEG, X86_SEG_FS},
	[0x65] = {PFX_SEG, X86_SEG_GS}, [0x66] = {PFX_OPSIZE, 0},
	[0x67] = {PFX_ADDRSIZE, 0},
};

/* SDM vol. 2, table 2-1: 16-bit ModRM.rm -> base and index registers. */
static const uint8_t mem16_base[8] = {X86_RBX, X86_RBX, X86_RBP, X86_RBP,
				      X86_RSI, X86_RDI, X86_RBP, X86_RBX};
static const uint8_t mem16_index[8] = {X86_RSI,	     X86_RDI,	   X86_RSI,	 X86_RDI,
				       X86_REG_NONE, X86_REG_NONE, X86_REG_NONE, X86_REG_NONE};

static const char *const op_names[X86_OP_COUNT] = {
	[X86_OP_NONE] = "none",
	[X86_OP_MOV] = "mov",
	[X86_OP_MOVZX] = "movzx",
	[X86_OP_MOVSX] = "movsx",
	[X86_OP_MOVSXD] = "movsxd",
	[X86_OP_ADD] = "add",
	[X86_OP_OR] = "or",
	[X86_OP_ADC] = "adc",
	[X86_OP_SBB] = "sbb",
	[X86_OP_AND] = "and",
	[X86_OP_SUB] = "sub",
	[X86_OP_XOR] = "xor",
	[X86_OP_CMP] = "cmp",
	[X86_OP_TEST] = "test",
	[X86_OP_NOT] = "not",
	[X86_OP_NEG] = "neg",
	[X86_OP_XCHG] = "xchg",
	[X86_OP_STOS] = "stos",
	[X86_OP_MOVS] = "movs",
	[X86_OP_INS] = "ins",
	[X86_OP_OUTS] = "outs",
	[X86_OP_CPUID] = "cpuid",
	[X86_OP_RDMSR] = "rdmsr",
	[X86_OP_WRMSR] = "wrmsr",
	[X86_OP_RDTSC] = "rdtsc",
	[X86_OP_RDTSCP] = "rdtscp",
	[X86_OP_HLT] = "hlt",
	[X86_OP_IN] = "in",
	[X86_OP_OUT] = "out",
	[X86_OP_INVD] = "invd",
	[X86_OP_WBINVD] = "wbinvd",
	[X86_OP_XSETBV] = "xsetbv",
	[X86_OP_XGETBV] = "xgetbv",
	[X86_OP_MONITOR] = "monitor",
	[X86_OP_MWAIT] = "mwait",
	[X86_OP_VMCALL] = "vmcall",
	[X86_OP_VMMCALL] = "vmmcall",
	[X86_OP_VMRUN] = "vmrun",
	[X86_OP_VMLOAD] = "vmload",
	[X86_OP_VMSAVE] = "vmsave",
	[X86_OP_STGI] = "stgi",
	[X86_OP_CLGI] = "clgi",
	[X86_OP_SKINIT] = "skinit",
	[X86_OP_INVLPGA] = "invlpga",
	[X86_OP_MOV_FROM_CR] = "mov from cr",
	[X86_OP_MOV_TO_CR] = "mov to cr",
	[X86_OP_MOV_FROM_DR] = "mov from dr",
	[X86_OP_MOV_TO_DR] = "mov to dr",
	[X86_OP_INVLPG] = "invlpg",
	[X86_OP_PAUSE] = "pause",
	[X86_OP_NOP] = "nop",
	[X86_OP_INT3] = "int3",
};

/* ---- byte fetching -------------------------------------------------------- */

struct cursor {
	const uint8_t *bytes;
	size_t avail;
	size_t pos;
};

/* The 15-byte limit wins over truncation: byte 16 does not exist however much is available. */
static int fetch_byte(struct cursor *c, uint8_t *b)
{
	if (c->pos >= X86_MAX_LEN)
		return X86_ERR_INVALID;
	if (c->pos >= c->avail)
		return X86_ERR_TRUNCATED;
	*b = c->bytes[c->pos++];
	return 0;
}

/* n (0..8) little-endian bytes, zero-extended. */
static int fetch_le(struct cursor *c, unsigned n, uint64_t *v)
{
	uint64_t x = 0;

	for (unsigned i = 0; i < n; i++) {
		uint8_t b;
		int rc = fetch_byte(c, &b);

		if (rc)
			return rc;
		x |= (uint64_t)b << (8 * i);
	}
	*v = x;
	return 0;
}

static uint64_t bytes_mask(unsigned bytes)
{
	return bytes >= 8 ? ~0ull : (1ull << (8 * bytes)) - 1;
}

static int64_t sign_extend(uint64_t v, unsigned bytes)
{
	uint64_t sign;

	if (bytes == 0 || bytes >= 8)
		return (int64_t)v;
	sign = 1ull << (8 * bytes - 1);
	return (int64_t)(((v & bytes_mask(bytes)) ^ sign) - sign);
}

/* ---- prefixes and opcode -------------------------------------------------- */

static void apply_prefix(struct x86_insn *out, struct prefix p, enum x86_mode mode)
{
	switch (p.kind) {
	case PFX_LOCK: out->lock = true; break;
	case PFX_REP: out->rep = (enum x86_rep)p.value; break;
	case PFX_SEG:
		/* SDM vol. 1, 3.3.7.1: 64-bit mode ignores ES, CS, SS and DS overrides */
		if (mode != X86_MODE_64 || p.value >= X86_SEG_FS)
			out->seg = (enum x86_seg)p.value;
		break;
	case PFX_OPSIZE: out->opsize_prefix = true; break;
	case PFX_ADDRSIZE: out->addrsize_prefix = true; break;
	default: break;
	}
	out->rex = 0; /* SDM vol. 2, 2.2.1: a REX not directly before the opcode is ignored */
}

/* Consumes prefixes and returns the first opcode byte in *opc. */
static int decode_prefixes(struct cursor *c, enum x86_mode mode, struct x86_insn *out, uint8_t *opc)
{
	for (;;) {
		uint8_t b;
		int rc = fetch_byte(c, &b);

		if (rc)
			return rc;
		if (mode == X86_MODE_64 && (b & 0xF0) == 0x40) {
			out->rex = b; /* a later REX replaces an earlier one */
			continue;
		}
		if (prefixes[b].kind == PFX_NONE) {
			*opc = b;
			return 0;
		}
		apply_prefix(out, prefixes[b], mode);
	}
}

/* SDM vol. 2, 2.2.1.2, table 2-4: REX = 0100WRXB. */
static void set_rex(struct x86_insn *out)
{
	out->rex_w = (out->rex & 8) != 0;
	out->rex_r = (out->rex & 4) != 0;
	out->rex_x = (out->rex & 2) != 0;
	out->rex_b = (out->rex & 1) != 0;
}

static int decode_opcode(struct cursor *c, enum x86_mode mode, struct x86_insn *out,
			 struct opinfo *info)
{
	const struct opinfo *map = one_byte;
	uint8_t b;
	int rc = decode_prefixes(c, mode, out, &b);

	if (rc)
		return rc;
	set_rex(out);
	if (b == 0x0F) {
		rc = fetch_byte(c, &b);
		if (rc)
			return rc;
		out->opmap = 1;
		map = two_byte;
	}
	out->opcode = b;
	*info = map[b];
	if (info->op == X86_OP_NONE && info->grp == GRP_NONE)
		return X86_ERR_UNSUPPORTED;
	if ((info->flags & F_ONLY64) && mode != X86_MODE_64)
		return X86_ERR_UNSUPPORTED;
	return 0;
}

static int resolve_group(struct opinfo *info, uint8_t modrm)
{
	const struct opinfo *g;

	if (info->grp == GRP_NONE)
		return 0;
	if (info->grp == GRP7 && (modrm >> 6) == 3)
		g = &grp7_reg[modrm & 0x3F];
	else
		g = &groups[info->grp][(modrm >> 3) & 7];
	if (g->op == X86_OP_NONE)
		return X86_ERR_UNSUPPORTED;
	info->op = g->op;
	info->flags |= g->flags;
	return 0;
}

/* 90 is XCHG eAX, eAX; with REX.B it exchanges r8 (SDM vol. 2, NOP and XCHG), F3 90 is PAUSE. */
static void resolve_nop(struct x86_insn *out, struct opinfo *info)
{
	if (!(info->flags & F_NOP90))
		return;
	if (out->rex_b) {
		info->op = X86_OP_XCHG;
		out->reg = X86_R8;
	} else if (out->rep == X86_REP_E) {
		info->op = X86_OP_PAUSE;
	}
}

/* ---- sizes ------------------------------------------------------------------ */

/* SDM vol. 1, 3.6 (table 3-4) and vol. 2, 2.2.1.2. */
static uint8_t operand_size(enum x86_mode mode, const struct x86_insn *out, uint32_t flags)
{
	if (flags & F_BYTE)
		return 1;
	if (flags & F_CTRL)
		return mode == X86_MODE_64 ? 8 : 4;
	if (mode == X86_MODE_64 && out->rex_w && !(flags & F_NO_W))
		return 8;
	return ((mode != X86_MODE_16) != out->opsize_prefix) ? 4 : 2;
}

static uint8_t address_size(enum x86_mode mode, const struct x86_insn *out)
{
	if (mode == X86_MODE_64)
		return out->addrsize_prefix ? 4 : 8;
	return ((mode == X86_MODE_32) != out->addrsize_prefix) ? 4 : 2;
}

static uint8_t memory_size(uint32_t flags, uint8_t opsize)
{
	if (flags & F_SRC8)
		return 1;
	if (flags & F_SRC16)
		return 2;
	if ((flags & F_SRC32) && opsize > 4)
		return 4;
	return opsize;
}

static void set_sizes(enum x86_mode mode, struct x86_insn *out, uint32_t flags)
{
	out->opsize = operand_size(mode, out, flags);
	out->addrsize = address_size(mode, out);
	out->memsize = memory_size(flags, out->opsize);
}

/* ---- ModRM, SIB, displacement, immediate --------------------------------- */

static int fetch_disp(struct cursor *c, struct x86_insn *out, unsigned n)
{
	uint64_t v = 0;
	int rc = fetch_le(c, n, &v);

	if (rc)
		return rc;
	out->disp_size = (uint8_t)n;
	out->disp = sign_extend(v, n);
	return 0;
}

/* SDM vol. 2, table 2-3: scale, index (100 = none unless REX.X), base. */
static int decode_sib(struct cursor *c, struct x86_insn *out)
{
	uint8_t index;
	int rc = fetch_byte(c, &out->sib);

	if (rc)
		return rc;
	out->has_sib = true;
	out->scale = (uint8_t)(1u << (out->sib >> 6));
	index = (uint8_t)(((out->sib >> 3) & 7) | (out->rex_x << 3));
	out->index = index == X86_RSP ? X86_REG_NONE : index;
	out->base = (uint8_t)((out->sib & 7) | (out->rex_b << 3));
	return 0;
}

/*
 * SDM vol. 2, table 2-2 and 2.2.1.6: rm = 100 means a SIB follows; mod = 00
 * with rm = 101 is disp32 (RIP-relative in 64-bit mode); SIB base = 101 with
 * mod = 00 is disp32 with no base.  REX.B does not change these (2.2.1.2).
 */
static int decode_mem32(struct cursor *c, enum x86_mode mode, struct x86_insn *out)
{
	unsigned disp = out->mod == 1 ? 1 : out->mod == 2 ? 4 : 0;

	out->base = out->rm;
	if ((out->rm & 7) == 4) {
		int rc = decode_sib(c, out);

		if (rc)
			return rc;
		if ((out->sib & 7) == 5 && out->mod == 0) {
			out->base = X86_REG_NONE;
			disp = 4;
		}
	} else if ((out->rm & 7) == 5 && out->mod == 0) {
		out->base = X86_REG_NONE;
		out->rip_rel = mode == X86_MODE_64;
		disp = 4;
	}
	return fetch_disp(c, out, disp);
}

/* SDM vol. 2, table 2-1: no SIB; mod = 00 with rm = 110 is disp16 alone. */
static int decode_mem16(struct cursor *c, struct x86_insn *out)
{
	unsigned rm = out->rm & 7;
	unsigned disp = out->mod == 1 ? 1 : out->mod == 2 ? 2 : 0;

	out->base = mem16_base[rm];
	out->index = mem16_index[rm];
	if (out->mod == 0 && rm == 6) {
		out->base = X86_REG_NONE;
		disp = 2;
	}
	return fetch_disp(c, out, disp);
}

/* The ModRM byte is already in out->modrm. */
static int decode_modrm(struct cursor *c, enum x86_mode mode, struct x86_insn *out, uint32_t flags)
{
	out->mod = out->modrm >> 6;
	out->reg = (uint8_t)(((out->modrm >> 3) & 7) | (out->rex_r << 3));
	out->rm = (uint8_t)((out->modrm & 7) | (out->rex_b << 3));
	/* SDM vol. 2, MOV (control/debug registers): the mod bits are ignored */
	if (out->mod == 3 || (flags & F_CTRL))
		return 0;
	out->is_mem = true;
	if (out->addrsize == 2)
		return decode_mem16(c, out);
	return decode_mem32(c, mode, out);
}

/* SDM vol. 2, MOV (A0-A3): the offset has the address size, 8 bytes in 64-bit mode. */
static int decode_moffs(struct cursor *c, struct x86_insn *out)
{
	uint64_t v = 0;
	int rc = fetch_le(c, out->addrsize, &v);

	if (rc)
		return rc;
	out->is_mem = true;
	out->disp = (int64_t)v;
	out->disp_size = out->addrsize;
	return 0;
}

static unsigned imm_bytes(uint32_t flags, uint8_t opsize)
{
	if (flags & (F_IMM8 | F_PORT8))
		return 1;
	if (flags & F_IMM_OP)
		return opsize < 4 ? opsize : 4;
	return 0;
}

static int decode_imm(struct cursor *c, struct x86_insn *out, uint32_t flags)
{
	unsigned n = imm_bytes(flags, out->opsize);
	uint64_t v = 0;
	int rc;

	if (n == 0)
		return 0;
	rc = fetch_le(c, n, &v);
	if (rc)
		return rc;
	out->has_imm = true;
	out->imm_size = (uint8_t)n;
	out->imm = (flags & F_PORT8) ? (int64_t)v : sign_extend(v, n);
	return 0;
}

/* ---- what the instruction does -------------------------------------------- */

static void set_access(struct x86_insn *out, uint32_t flags)
{
	out->dir = (flags & F_TO_REG) ? X86_DIR_TO_REG : X86_DIR_TO_RM;
	out->is_string = (flags & F_STRING) != 0;
	if (flags & (F_STRING | F_MOFFS))
		out->is_mem = true;
	if (!out->is_mem)
		return;
	out->is_read = (flags & F_RD) != 0;
	out->is_write = (flags & F_WR) != 0;
}

/* SDM vol. 2, 2.2.1.2: without any REX, byte registers 4-7 are AH, CH, DH, BH. */
static void set_high8(struct x86_insn *out, uint32_t flags)
{
	if (out->rex || !out->has_modrm)
		return;
	out->reg_high8 = (flags & F_REG_GPR) && out->opsize == 1 && out->reg >= 4;
	out->rm_high8 = out->mod == 3 && out->memsize == 1 && out->rm >= 4;
}

static int decode_operands(struct cursor *c, enum x86_mode mode, struct x86_insn *out,
			   struct opinfo *info)
{
	int rc = 0;

	if (info->flags & F_MODRM) {
		rc = fetch_byte(c, &out->modrm);
		if (!rc)
			rc = resolve_group(info, out->modrm);
		if (rc)
			return rc;
		out->has_modrm = true;
	}
	set_sizes(mode, out, info->flags);
	resolve_nop(out, info);
	if (out->has_modrm)
		rc = decode_modrm(c, mode, out, info->flags);
	else if (info->flags & F_MOFFS)
		rc = decode_moffs(c, out);
	if (!rc)
		rc = decode_imm(c, out, info->flags);
	if (rc)
		return rc;
	set_access(out, info->flags);
	set_high8(out, info->flags);
	return 0;
}

int x86_decode(const uint8_t *bytes, size_t avail, enum x86_mode mode, struct x86_insn *out)
{
	struct cursor c = {bytes, avail, 0};
	struct opinfo info;
	int rc;

	if (!out)
		return X86_ERR_INVALID;
	zv_memset(out, 0, sizeof(*out));
	out->base = X86_REG_NONE;
	out->index = X86_REG_NONE;
	out->scale = 1;
	if (!bytes || (unsigned)mode > X86_MODE_64)
		return X86_ERR_INVALID;
	rc = decode_opcode(&c, mode, out, &info);
	if (!rc)
		rc = decode_operands(&c, mode, out, &info);
	if (rc)
		return rc;
	out->op = (enum x86_op)info.op;
	out->len = (uint8_t)c.pos;
	return 0;
}

/* ---- operands ---------------------------------------------------------------- */

static uint64_t modrm_address(const struct x86_insn *in, const uint64_t gpr[16], uint64_t rip_next)
{
	uint64_t ea = (uint64_t)in->disp;

	if (in->base != X86_REG_NONE)
		ea += gpr[in->base & 15];
	if (in->index != X86_REG_NONE)
		ea += gpr[in->index & 15] * in->scale;
	if (in->rip_rel)
		ea += rip_next;
	return ea;
}

/* Sums wrap at the address size: SDM vol. 1, 3.3.7 (64-bit) and 3.7.5 (16/32-bit). */
uint64_t x86_effective_address(const struct x86_insn *in, const uint64_t gpr[16], uint64_t rip_next)
{
	uint64_t ea;

	if (!in->is_mem)
		return 0;
	if (in->is_string)
		ea = gpr[in->op == X86_OP_OUTS ? X86_RSI : X86_RDI];
	else
		ea = modrm_address(in, gpr, rip_next);
	return ea & bytes_mask(in->addrsize);
}

uint64_t x86_reg_read(const uint64_t gpr[16], unsigned reg, unsigned size, bool high8)
{
	if (high8)
		return (gpr[reg & 3] >> 8) & 0xFF;
	return gpr[reg & 15] & bytes_mask(size);
}

/* SDM vol. 1, 3.4.1.1: 32-bit results zero-extend; 8 and 16-bit results leave the rest. */
void x86_reg_write(uint64_t gpr[16], unsigned reg, unsigned size, bool high8, uint64_t value)
{
	uint64_t *r = &gpr[high8 ? (reg & 3) : (reg & 15)];

	if (high8)
		*r = (*r & ~0xFF00ull) | ((value & 0xFF) << 8);
	else if (size >= 4)
		*r = value & bytes_mask(size);
	else
		*r = (*r & ~bytes_mask(size)) | (value & bytes_mask(size));
}

const char *x86_op_name(enum x86_op op)
{
	if ((unsigned)op >= X86_OP_COUNT || !op_names[op])
		return "?";
	return op_names[op];
}
