# The pure sources (PURE_SRCS) built once per flavour into a static library
# that host programs link, instead of every program compiling them again.
# Included by the top Makefile after PURE_SRCS.

# Unit tests: AddressSanitizer and UBSan on every object, the tests' own included.
HOST_CFLAGS := -std=gnu11 -g -O1 $(WARN) -I. -DZV_HOST_TEST \
	-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
HOST_OBJ := $(BUILD)/host
HOST_LIB := $(HOST_OBJ)/libzvpure.a
HOST_OBJS := $(patsubst %.c,$(HOST_OBJ)/%.o,$(PURE_SRCS) $(wildcard tests/unit/test_*.c))

# Benchmarks and other host tools: optimised and uninstrumented, to measure the code.
NATIVE_CFLAGS := -std=gnu11 -O2 $(WARN) -I. -DZV_HOST_TEST
NATIVE_OBJ := $(BUILD)/native
NATIVE_LIB := $(NATIVE_OBJ)/libzvpure.a
NATIVE_OBJS := $(patsubst %.c,$(NATIVE_OBJ)/%.o,$(PURE_SRCS) $(wildcard tests/bench/*.c))

$(HOST_OBJ)/%.o: %.c
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOST_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(NATIVE_OBJ)/%.o: %.c
	@mkdir -p $(dir $@)
	$(HOSTCC) $(NATIVE_CFLAGS) $(DEPFLAGS) -c $< -o $@

# A program links only the members it needs, as it would from the source list.
ARCHIVE = rm -f $@ && $(AR) rcs $@ $^
$(HOST_LIB): $(patsubst %.c,$(HOST_OBJ)/%.o,$(PURE_SRCS))
	$(ARCHIVE)
$(NATIVE_LIB): $(patsubst %.c,$(NATIVE_OBJ)/%.o,$(PURE_SRCS))
	$(ARCHIVE)

.SECONDARY: $(HOST_OBJS) $(NATIVE_OBJS)
