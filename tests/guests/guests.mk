# Test guests: Multiboot 1 ELF32 kernels, build/guests/<name>.elf.  Included by the
# top Makefile; also works alone: make -f tests/guests/guests.mk guests
BUILD ?= build
GUEST_PREV_GOAL := $(.DEFAULT_GOAL)
GUEST_DIR := tests/guests
GUEST_OUT := $(BUILD)/guests
GUEST_NAMES := hello spin marker scan triple virt cpuid vmxinsn prefix power platform \
	cpustate traps
GUEST_ELFS := $(patsubst %,$(GUEST_OUT)/%.elf,$(GUEST_NAMES))

GUEST_CC ?= gcc
GUEST_LD ?= ld
GUEST_CFLAGS := -I. -m32 -march=i686 -std=gnu11 -ffreestanding -fno-pic -fno-stack-protector \
	-fno-builtin -nostdlib -O2 -Wall -Wextra -Werror -mgeneral-regs-only \
	-fcf-protection=none -fno-asynchronous-unwind-tables
GUEST_LDFLAGS := -m elf_i386 -T $(GUEST_DIR)/linker.ld -nostdlib -z noexecstack
GUEST_LIB_OBJS := $(GUEST_OUT)/boot.o $(GUEST_OUT)/lib.o

.PHONY: guests
guests: $(GUEST_ELFS)

$(GUEST_OUT)/%.o: $(GUEST_DIR)/%.c $(GUEST_DIR)/lib.h hv/x86_bits.h $(GUEST_DIR)/guests.mk
	@mkdir -p $(@D)
	$(GUEST_CC) $(GUEST_CFLAGS) -c $< -o $@

$(GUEST_OUT)/%.o: $(GUEST_DIR)/%.S $(GUEST_DIR)/guests.mk
	@mkdir -p $(@D)
	$(GUEST_CC) $(GUEST_CFLAGS) -c $< -o $@

$(GUEST_OUT)/%.elf: $(GUEST_OUT)/%.o $(GUEST_LIB_OBJS) $(GUEST_DIR)/linker.ld
	$(GUEST_LD) $(GUEST_LDFLAGS) -o $@ $(GUEST_LIB_OBJS) $<

.SECONDARY: $(patsubst %,$(GUEST_OUT)/%.o,$(GUEST_NAMES)) $(GUEST_LIB_OBJS)

# Included before the top Makefile's first target, `guests` must not become its default goal.
ifneq ($(words $(MAKEFILE_LIST)),1)
.DEFAULT_GOAL := $(GUEST_PREV_GOAL)
endif
