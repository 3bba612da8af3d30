/* x86 instruction decoder for MMIO emulation and for measuring exiting instructions (pure C). */
#ifndef ZV_X86_DECODE_H
#define ZV_X86_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Why this exists: QEMU's TCG SVM has neither decode assists nor next-RIP
 * save, so on an exit the hypervisor fetches the instruction through the
 * guest's page tables (hv/guest_walk.h) and decodes it here, to skip it or
 * to emulate the memory access of a nested page fault on a device page.
 */

#define X86_MAX_LEN 15 /* SDM vol. 2, 2.3.11: longer instructions raise #GP */

enum x86_mode {
	X86_MODE_16, /* real mode, or protected mode with CS.D = 0 */
	X86_MODE_32, /* protected or compatibility mode with CS.D = 1 */
	X86_MODE_64, /* 64-bit mode (EFER.LMA = 1 and CS.L = 1) */
};

enum x86_err {
	X86_ERR_TRUNCATED = -1,	  /* the instruction continues past bytes[avail - 1] */
	X86_ERR_UNSUPPORTED = -2, /* a valid encoding, or maybe one, outside the decoded set */
	X86_ERR_INVALID = -3,	  /* longer than 15 bytes, or bad arguments */
};

/* What the instruction is; X86_OP_NONE never comes out of a successful decode. */
enum x86_op {
	X86_OP_NONE = 0,
	/* data movement and arithmetic that may touch a device register */
	X86_OP_MOV,
	X86_OP_MOVZX,
	X86_OP_MOVSX,
	X86_OP_MOVSXD,
	X86_OP_ADD,
	X86_OP_OR,
	X86_OP_ADC,
	X86_OP_SBB,
	X86_OP_AND,
	X86_OP_SUB,
	X86_OP_XOR,
	X86_OP_CMP,
	X86_OP_TEST,
	X86_OP_NOT,
	X86_OP_NEG,
	X86_OP_XCHG,
	X86_OP_STOS,
	X86_OP_MOVS,
	X86_OP_INS,
	X86_OP_OUTS,
	/* instructions that exit: only the length and the id matter */
	X86_OP_CPUID,
	X86_OP_RDMSR,
	X86_OP_WRMSR,
	X86_OP_RDTSC,
	X86_OP_RDTSCP,
	X86_OP_HLT,
	X86_OP_IN,
	X86_OP_OUT,
	X86_OP_INVD,
	X86_OP_WBINVD,
	X86_OP_XSETBV,
	X86_OP_XGETBV,
	X86_OP_MONITOR,
	X86_OP_MWAIT,
	X86_OP_VMCALL,
	X86_OP_VMMCALL,
	X86_OP_VMRUN,
	X86_OP_VMLOAD,
	X86_OP_VMSAVE,
	X86_OP_STGI,
	X86_OP_CLGI,
	X86_OP_SKINIT,
	X86_OP_INVLPGA,
	X86_OP_MOV_FROM_CR, /* 0F 20: reg = CR number, rm = GPR */
	X86_OP_MOV_TO_CR,   /* 0F 22 */
	X86_OP_MOV_FROM_DR, /* 0F 21: reg = DR number, rm = GPR */
	X86_OP_MOV_TO_DR,   /* 0F 23 */
	X86_OP_INVLPG,
	X86_OP_PAUSE,
	X86_OP_NOP,
	X86_OP_INT3,
	X86_OP_COUNT
};

/* Where the result goes: the instruction's d bit (SDM vol. 2, B.1.4.5). */
enum x86_dir {
	X86_DIR_TO_RM = 0,  /* reg or imm -> r/m (a store when r/m is memory) */
	X86_DIR_TO_REG = 1, /* r/m -> reg (a load when r/m is memory) */
};

enum x86_seg {
	X86_SEG_NONE = 0,
	X86_SEG_ES,
	X86_SEG_CS,
	X86_SEG_SS,
	X86_SEG_DS,
	X86_SEG_FS,
	X86_SEG_GS
};

enum x86_rep { X86_REP_NONE = 0, X86_REP_NE = 0xF2, X86_REP_E = 0xF3 };

/* GPR numbers as ModRM/SIB (with REX) encode them; also the gpr[16] index. */
enum x86_gpr {
	X86_RAX,
	X86_RCX,
	X86_RDX,
	X86_RBX,
	X86_RSP,
	X86_RBP,
	X86_RSI,
	X86_RDI,
	X86_R8,
	X86_R9,
	X86_R10,
	X86_R11,
	X86_R12,
	X86_R13,
	X86_R14,
	X86_R15,
	X86_REG_NONE = 0xFF, /* no base or no index */
};

struct x86_insn {
	uint8_t len; /* total length in bytes, 1..15 */
	enum x86_op op;
	uint8_t opcode; /* the last opcode byte (01 for the 0F 01 group, where modrm tells which) */
	uint8_t opmap;	/* 0: one-byte map, 1: 0F map */
	uint8_t opsize; /* operand size in bytes: 1, 2, 4, 8 */
	uint8_t memsize;  /* bytes the memory operand accesses (MOVZX/MOVSX/MOVSXD: the source) */
	uint8_t addrsize; /* address size in bytes: 2, 4, 8 */
	enum x86_dir dir;
	/* ModRM and SIB (SDM vol. 2, 2.1.5, tables 2-1..2-3) */
	bool has_modrm;
	uint8_t modrm;
	uint8_t mod; /* as encoded; MOV CR/DR ignore it (both operands are registers) */
	uint8_t reg; /* ModRM.reg | REX.R << 3; 0 (the accumulator) for moffs, string, IN/OUT */
	uint8_t rm;  /* ModRM.rm | REX.B << 3 */
	bool has_sib;
	uint8_t sib;
	uint8_t base, index; /* enum x86_gpr or X86_REG_NONE; for 16-bit addressing BX/BP/SI/DI */
	uint8_t scale;	     /* 1, 2, 4, 8 */
	bool rip_rel;	     /* 64-bit mode mod=00 rm=101: disp is relative to the next RIP */
	int64_t disp;	     /* sign-extended; for moffs the zero-extended address */
	uint8_t disp_size;   /* 0, 1, 2, 4 or (moffs) 8 */
	bool has_imm;
	int64_t imm;	  /* sign-extended as the instruction defines; IN/OUT ports zero-extended */
	uint8_t imm_size; /* bytes of immediate in the encoding */
	/* what the instruction does with memory */
	bool is_mem;	/* an operand is memory (ModRM mod != 11, moffs, string, INVLPG) */
	bool is_read;	/* it reads that memory */
	bool is_write;	/* it writes that memory */
	bool is_string; /* STOS/MOVS/INS/OUTS: addresses from rSI/rDI, rep may repeat */
	/* prefixes (SDM vol. 2, 2.1.1) */
	enum x86_rep rep;     /* the last F2/F3 */
	bool lock;	      /* F0 (not validated: hardware raises #UD before any exit) */
	enum x86_seg seg;     /* the last override; in 64-bit mode only FS/GS count */
	bool opsize_prefix;   /* 66 */
	bool addrsize_prefix; /* 67 */
	uint8_t rex;	      /* the effective REX byte (40-4F directly before the opcode), or 0 */
	bool rex_w, rex_r, rex_x, rex_b;
	/* 8-bit register operands without REX: 4..7 mean AH, CH, DH, BH (SDM vol. 2, 2.2.1.2) */
	bool reg_high8; /* the reg operand is AH..BH: read gpr[reg - 4] bits 15:8 */
	bool rm_high8;	/* the register rm operand is AH..BH */
};

/*
 * Decodes the instruction at bytes[0..avail) for mode into *out.  Returns 0,
 * X86_ERR_TRUNCATED when more bytes were needed (and the instruction could be
 * at most 15 bytes), X86_ERR_UNSUPPORTED outside the decoded set, or
 * X86_ERR_INVALID.  Never reads bytes[avail] or beyond, nor bytes[15].  On an
 * error *out keeps what was decoded before it (prefixes, opcode) for logging,
 * with op = X86_OP_NONE and len = 0.
 */
int x86_decode(const uint8_t *bytes, size_t avail, enum x86_mode mode, struct x86_insn *out);

/*
 * The effective address (the offset in the segment, before the segment base
 * is added) of in's memory operand, wrapped to the address size: ModRM/SIB/disp
 * (RIP-relative from rip_next, the address of the next instruction), moffs,
 * or for string ops the destination rDI (OUTS: the source rSI; MOVS's source
 * is rSI too).  0 when in has no memory operand.
 */
uint64_t x86_effective_address(const struct x86_insn *in, const uint64_t gpr[16],
			       uint64_t rip_next);

/* Reads size (1, 2, 4, 8) bytes of register reg; high8: AH..BH (reg 4..7). */
uint64_t x86_reg_read(const uint64_t gpr[16], unsigned reg, unsigned size, bool high8);

/*
 * Writes value to register reg as x86 does: 8 bytes replace, 4 zero-extend to
 * 64 bits, 2 and 1 merge into the old value; high8 writes bits 15:8 of
 * gpr[reg - 4] (AH..BH).
 */
void x86_reg_write(uint64_t gpr[16], unsigned reg, unsigned size, bool high8, uint64_t value);

/* A short name for op ("mov", "cpuid"); "?" when op is out of range. */
const char *x86_op_name(enum x86_op op);

#endif
