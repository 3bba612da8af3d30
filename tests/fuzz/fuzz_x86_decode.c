/* libFuzzer target for hv/x86_decode.c: every mode, length and determinism invariants. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hv/x86_decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

static int is_error(int rc)
{
	return rc == X86_ERR_TRUNCATED || rc == X86_ERR_UNSUPPORTED || rc == X86_ERR_INVALID;
}

/* Decodes the first n bytes from an exact-size copy, so ASan sees any read past them. */
static int decode_prefix(const uint8_t *data, size_t n, enum x86_mode mode, struct x86_insn *in)
{
	uint8_t *copy = malloc(n ? n : 1);
	int rc;

	memcpy(copy, data, n);
	rc = x86_decode(copy, n, mode, in);
	free(copy);
	return rc;
}

/* The fields of a successful decode hang together. */
static void check_fields(const struct x86_insn *in)
{
	check(in->op != X86_OP_NONE && in->op < X86_OP_COUNT);
	check(in->opsize == 1 || in->opsize == 2 || in->opsize == 4 || in->opsize == 8);
	check(in->addrsize == 2 || in->addrsize == 4 || in->addrsize == 8);
	check(in->memsize >= 1 && in->memsize <= in->opsize);
	check(!in->has_sib || in->has_modrm);
	check(in->scale == 1 || in->scale == 2 || in->scale == 4 || in->scale == 8);
	check(in->base == X86_REG_NONE || in->base < 16);
	check(in->index == X86_REG_NONE || in->index < 16);
	check(in->reg < 16 && in->rm < 16);
	check(!in->is_read || in->is_mem);
	check(!in->is_write || in->is_mem);
	check(in->has_imm == (in->imm_size != 0));
	check(!(in->reg_high8 || in->rm_high8) || in->rex == 0);
	check(x86_op_name(in->op)[0] != '?');
}

static void fuzz_mode(const uint8_t *data, size_t size, enum x86_mode mode)
{
	struct x86_insn a, b;
	uint64_t gpr[16];
	int rc = x86_decode(data, size, mode, &a);

	check(rc == 0 || is_error(rc));
	check(x86_decode(data, size, mode, &b) == rc);
	check(memcmp(&a, &b, sizeof(a)) == 0); /* deterministic, padding included */
	if (rc != 0) {
		check(a.len == 0 && a.op == X86_OP_NONE);
		if (size >= X86_MAX_LEN) /* with 15 bytes there is nothing left to wait for */
			check(rc != X86_ERR_TRUNCATED);
		return;
	}
	check(a.len >= 1 && a.len <= size && a.len <= X86_MAX_LEN);
	check_fields(&a);
	/* exactly len bytes decode the same; one fewer is truncated */
	check(decode_prefix(data, a.len, mode, &b) == 0);
	check(memcmp(&a, &b, sizeof(a)) == 0);
	check(decode_prefix(data, a.len - 1u, mode, &b) == X86_ERR_TRUNCATED);
	memset(gpr, 0, sizeof(gpr));
	memcpy(gpr, data, size < sizeof(gpr) ? size : sizeof(gpr));
	(void)x86_effective_address(&a, gpr, 0x1000 + a.len);
	(void)x86_reg_read(gpr, a.reg, a.opsize, a.reg_high8);
	x86_reg_write(gpr, a.rm, a.memsize, a.rm_high8, 0x5a5a5a5a5a5a5a5aull);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_mode(data, size, X86_MODE_16);
	fuzz_mode(data, size, X86_MODE_32);
	fuzz_mode(data, size, X86_MODE_64);
	return 0;
}
