# libFuzzer targets, one per tests/fuzz/fuzz_*.c, each linking the pure library
# built once with clang's fuzzer instrumentation (clang with libclang-rt-14-dev:
# tools/deps.sh fuzz).  Included by the top Makefile after mk/host.mk.
FUZZ_CC := clang
FUZZ_CFLAGS := -g -O1 -I. -DZV_HOST_TEST -fsanitize=fuzzer-no-link,address,undefined
FUZZ_OBJ := $(BUILD)/fuzz-obj
FUZZ_LIB := $(FUZZ_OBJ)/libzvpure.a
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_OBJS := $(patsubst %.c,$(FUZZ_OBJ)/%.o,$(PURE_SRCS) $(FUZZ_SRCS))
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))

$(FUZZ_LIB): $(patsubst %.c,$(FUZZ_OBJ)/%.o,$(PURE_SRCS))
	$(ARCHIVE)

$(FUZZ_OBJ)/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(DEPFLAGS) -c $< -o $@

# -fsanitize=fuzzer at link time only: it brings libFuzzer's main().
$(BUILD)/fuzz/%: $(FUZZ_OBJ)/tests/fuzz/%.o $(FUZZ_LIB)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -g -fsanitize=fuzzer,address,undefined -o $@ $^

.SECONDARY: $(FUZZ_OBJS)

# Each target starts from tests/fuzz/seeds/TARGET/ where there is one (inputs that
# reach deep paths, checked in); what it finds goes to build/fuzz/corpus/TARGET/.
.PHONY: fuzz
fuzz: $(FUZZ_TARGETS)
	@tools/deps.sh fuzz
	@for f in $(FUZZ_TARGETS); do echo "fuzz: $$f (30 s)"; \
		corpus=$(BUILD)/fuzz/corpus/$${f##*/}; mkdir -p $$corpus; \
		seeds=tests/fuzz/seeds/$${f##*/}; [ -d $$seeds ] || seeds=; \
		$$f -max_total_time=30 -max_len=4096 $$corpus $$seeds || exit 1; done
