# zonevisor: every entry point.  `make` builds build/esp/; `make run` boots it
# in QEMU; `make test` runs the whole suite; `make deps` installs what is needed.
VERSION := 0.1.0
BUILD   := build
ESP     := $(BUILD)/esp
ZVDIR   := $(ESP)/zonevisor

CC      ?= cc
HOSTCC  ?= cc
LD      := ld
OBJCOPY := objcopy

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
COMMON := -std=gnu11 -O2 -g $(WARN) -I. -ffreestanding -fno-stack-protector \
	-fno-strict-aliasing -fno-asynchronous-unwind-tables -fcf-protection=none \
	-mno-red-zone -DZV_VERSION='"$(VERSION)"'

# The hypervisor: a position-independent ELF the loader relocates.  No SSE:
# APs and exits run with the guest's FPU state untouched.
HV_CFLAGS := $(COMMON) -fpie -mgeneral-regs-only -mcmodel=small
HV_LDFLAGS := -nostdlib -pie --no-dynamic-linker -z text -z noexecstack \
	-z max-page-size=4096 -T linker.ld

# The loader: a gnu-efi application.
EFI_INC := /usr/include/efi
EFI_LIB := /usr/lib
EFI_CFLAGS := $(COMMON) -fpic -fshort-wchar -mgeneral-regs-only \
	-isystem $(EFI_INC) -isystem $(EFI_INC)/x86_64 -DGNU_EFI_USE_MS_ABI -DZV_LOADER
EFI_LDFLAGS := -nostdlib -znocombreloc -shared -Bsymbolic \
	-T $(EFI_LIB)/elf_x86_64_efi.lds $(EFI_LIB)/crt0-efi-x86_64.o

# Pure logic: compiled into the hypervisor, the loader (some) and host tests.
PURE_SRCS := hv/lib/string.c hv/lib/fmt.c hv/config.c hv/palloc.c \
	hv/bootinfo.c drivers/acpi.c hv/policy.c zones/multiboot.c zones/uart.c hv/npt.c hv/x86_decode.c hv/guest_walk.c zones/acpi_build.c zones/bzimage.c zones/vioapic.c zones/vlapic.c hv/lib/civil.c zones/rtc.c
PURE_SRCS += zones/net/policy.c zones/net/ipv4_scope.c
PURE_SRCS += zones/net/packet.c zones/net/dns.c zones/net/switch.c zones/net/deny_log.c
PURE_SRCS += zones/virtio/mmio.c zones/virtio/queue.c zones/virtio/net.c
PURE_SRCS += zones/control_check.c zones/pci_filter.c zones/console_budget.c
PURE_SRCS += hv/cr4_policy.c
LOADER_PURE := hv/lib/string.c hv/lib/fmt.c hv/config.c hv/lib/civil.c

HV_SRCS := $(sort $(wildcard hv/*.c hv/lib/*.c hv/arch/*.c drivers/*.c zones/*.c zones/net/*.c zones/virtio/*.c))
HV_ASMS := $(sort $(wildcard hv/*.S hv/arch/*.S))
BOOT_SRCS := $(sort $(wildcard boot/*.c)) $(LOADER_PURE)
HEADERS := $(wildcard hv/*.h hv/lib/*.h hv/arch/*.h drivers/*.h zones/*.h zones/net/*.h zones/virtio/*.h boot/*.h)

HV_OBJS := $(patsubst %,$(BUILD)/hv-obj/%.o,$(HV_SRCS) $(HV_ASMS))
BOOT_OBJS := $(patsubst %,$(BUILD)/boot-obj/%.o,$(BOOT_SRCS))

.PHONY: all deps run test unit integration check clean esp help guests bench
all: $(ESP)/EFI/BOOT/BOOTX64.EFI $(ZVDIR)/hypervisor.elf $(ZVDIR)/zonevisor.conf guests \
	$(ZVDIR)/hello.elf

include tests/guests/guests.mk

$(ZVDIR)/hello.elf: $(BUILD)/guests/hello.elf
	@mkdir -p $(dir $@)
	cp $< $@

help:
	@echo "make            build build/esp (BOOTX64.EFI, hypervisor.elf, zonevisor.conf)"
	@echo "make deps       install the Debian packages needed (idempotent)"
	@echo "make run        build and boot the agent host in QEMU"
	@echo "make test       unit tests (ASan/UBSan) then QEMU integration tests"
	@echo "make unit       host unit tests only"
	@echo "make check      clang-format check, cppcheck and unit tests"
	@echo "make esp CONF=file IMAGES='a b' OUT=dir   an ESP with another config"
	@echo "make bench      Linux boot to /init in a zone vs. direct QEMU (-icount; docs/benchmarks.md)"
	@echo "make bench-policy  native allowlist lookups per second, 10 to 10,000 rules (docs/network.md)"

deps:
	@tools/deps.sh

$(BUILD)/hv-obj/%.c.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(HV_CFLAGS) -c $< -o $@

$(BUILD)/hv-obj/%.S.o: %.S $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(HV_CFLAGS) -D__ASSEMBLY__ -c $< -o $@

$(BUILD)/boot-obj/%.c.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(EFI_CFLAGS) -c $< -o $@

$(ZVDIR)/hypervisor.elf: $(HV_OBJS) linker.ld
	@mkdir -p $(dir $@)
	$(LD) $(HV_LDFLAGS) -o $@ $(HV_OBJS)

$(BUILD)/loader.so: $(BOOT_OBJS)
	$(LD) $(EFI_LDFLAGS) -o $@ $(BOOT_OBJS) -L$(EFI_LIB) -lefi -lgnuefi

$(ESP)/EFI/BOOT/BOOTX64.EFI: $(BUILD)/loader.so
	@mkdir -p $(dir $@)
	$(OBJCOPY) -j .text -j .sdata -j .data -j .dynamic -j .dynsym -j .rel \
		-j .rela -j .rel.* -j .rela.* -j .reloc --target efi-app-x86_64 \
		--subsystem=10 $< $@

$(ZVDIR)/zonevisor.conf: tools/zonevisor.conf
	@mkdir -p $(dir $@)
	cp $< $@

# An ESP with any config and extra images: make esp CONF=my.conf IMAGES="a.elf" OUT=build/my-esp
esp: all
	tools/mkesp --out "$(or $(OUT),$(BUILD)/custom-esp)" --conf "$(CONF)" $(IMAGES)

# The demo: tools/demo.conf with the test guest, the Debian kernel and the
# agent initramfs on an ESP of its own (build/esp keeps the small default).
# The control zone gets QEMU's user network on a virtio-net PCI NIC (docs/pci.md).
DEMO_ESP := $(BUILD)/demo-esp
run: deps all kernel initramfs
	@tools/mkesp --out $(DEMO_ESP) --conf tools/demo.conf $(BUILD)/linux/vmlinuz \
		$(BUILD)/initramfs/agent.cpio.gz $(BUILD)/initramfs/control.cpio.gz >/dev/null
	tools/zv-qemu --interactive --smp 4 --mem 2048 --timeout 0 \
		--qemu-arg -netdev --qemu-arg user,id=uplink \
		--qemu-arg -device --qemu-arg virtio-net-pci,netdev=uplink $(DEMO_ESP)

# ---- tests ---------------------------------------------------------------
HOST_CFLAGS := -std=gnu11 -g -O1 $(WARN) -I. -DZV_HOST_TEST \
	-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/unit/%,$(UNIT_SRCS))

$(BUILD)/unit/test_zonectl: $(wildcard tools/zonectl/*.c tools/zonectl/*.h)
$(BUILD)/unit/%: tests/unit/%.c $(PURE_SRCS) $(HEADERS) tests/unit/test.h
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOST_CFLAGS) -o $@ $< $(PURE_SRCS)

unit: $(UNIT_BINS)
	@tools/run-suite --unit $(UNIT_BINS)

# The unmodified Debian kernel for Linux zones (apt-get download, idempotent).
.PHONY: kernel
kernel: deps
	@tools/fetch-kernel >/dev/null

# The agent-zone initramfs: busybox-static, the virtio modules, /init that
# runs the command after `--` and reports its status on port 0xF4.
.PHONY: initramfs
initramfs: kernel
	@tools/mkinitramfs
	@tools/mkinitramfs --control

# Programs the integration tests pack into a test agent initramfs (static:
# the initramfs has no libc).
TEST_TOOLS := $(BUILD)/zv-test/zv-badvirtio
$(BUILD)/zv-test/%: tests/integration/%.c
	@mkdir -p $(dir $@)
	$(HOSTCC) -std=gnu11 -O2 $(WARN) -static -s -o $@ $<

test: deps all kernel initramfs $(UNIT_BINS) $(TEST_TOOLS)
	@tools/run-suite --unit $(UNIT_BINS) --integration

integration: all kernel initramfs $(TEST_TOOLS)
	@tools/run-suite --integration

# Deterministic guest-time figures (-icount shift=0): docs/benchmarks.md.
bench: all kernel initramfs $(BUILD)/bench/bench_policy
	@tools/bench
	@tools/bench-control
	@$(BUILD)/bench/bench_policy

# Native policy lookups per second as the rule count grows (docs/network.md).
.PHONY: bench-policy
BENCH_POLICY_SRCS := zones/net/policy.c zones/net/ipv4_scope.c hv/lib/string.c hv/lib/fmt.c
$(BUILD)/bench/bench_policy: tests/bench/bench_policy.c $(BENCH_POLICY_SRCS) $(HEADERS)
	@mkdir -p $(dir $@)
	$(HOSTCC) -std=gnu11 -O2 $(WARN) -I. -DZV_HOST_TEST -o $@ $< $(BENCH_POLICY_SRCS)
bench-policy: $(BUILD)/bench/bench_policy
	@$<

check: unit
	clang-format --dry-run --Werror $(HV_SRCS) $(BOOT_SRCS) $(HEADERS) \
		$(wildcard tests/unit/*.c tests/unit/*.h tests/guests/*.c tests/guests/*.h) \
		$(wildcard tests/bench/*.c tools/zonectl/*.c tools/zonectl/*.h) \
		$(wildcard tests/integration/*.c)
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
		--suppress=missingIncludeSystem -I. $(HV_SRCS) $(BOOT_SRCS)
	pyflakes3 tests/integration/*.py tools/run-suite

clean:
	rm -rf $(BUILD)

# ---- fuzzing (libFuzzer: clang with libclang-rt-14-dev) -------------------
FUZZ_TARGETS += $(BUILD)/fuzz/fuzz_x86_decode
$(BUILD)/fuzz/fuzz_x86_decode: tests/fuzz/fuzz_x86_decode.c hv/x86_decode.c $(HEADERS)
	@mkdir -p $(dir $@)
	clang -g -O1 -fsanitize=fuzzer,address,undefined -I. -DZV_HOST_TEST -o $@ $< hv/x86_decode.c hv/lib/string.c
FUZZ_TARGETS += $(BUILD)/fuzz/fuzz_parsers
$(BUILD)/fuzz/fuzz_parsers: tests/fuzz/fuzz_parsers.c $(PURE_SRCS) $(HEADERS)
	@mkdir -p $(dir $@)
	clang -g -O1 -fsanitize=fuzzer,address,undefined -I. -DZV_HOST_TEST -o $@ $< $(PURE_SRCS)
FUZZ_TARGETS += $(BUILD)/fuzz/fuzz_platform
$(BUILD)/fuzz/fuzz_platform: tests/fuzz/fuzz_platform.c $(PURE_SRCS) $(HEADERS)
	@mkdir -p $(dir $@)
	clang -g -O1 -fsanitize=fuzzer,address,undefined -I. -DZV_HOST_TEST -o $@ $< $(PURE_SRCS)
FUZZ_TARGETS += $(BUILD)/fuzz/fuzz_policy
$(BUILD)/fuzz/fuzz_policy: tests/fuzz/fuzz_policy.c $(BENCH_POLICY_SRCS) $(HEADERS)
	@mkdir -p $(dir $@)
	clang -g -O1 -fsanitize=fuzzer,address,undefined -I. -DZV_HOST_TEST -o $@ $< $(BENCH_POLICY_SRCS)
NET_PARSE_SRCS := zones/net/packet.c zones/net/dns.c hv/lib/string.c
FUZZ_TARGETS += $(BUILD)/fuzz/fuzz_net
$(BUILD)/fuzz/fuzz_net: tests/fuzz/fuzz_net.c $(NET_PARSE_SRCS) $(HEADERS)
	@mkdir -p $(dir $@)
	clang -g -O1 -fsanitize=fuzzer,address,undefined -I. -DZV_HOST_TEST -o $@ $< $(NET_PARSE_SRCS)
SWITCH_SRCS := zones/net/switch.c zones/net/policy.c zones/net/ipv4_scope.c $(NET_PARSE_SRCS) hv/lib/fmt.c
FUZZ_TARGETS += $(BUILD)/fuzz/fuzz_switch
$(BUILD)/fuzz/fuzz_switch: tests/fuzz/fuzz_switch.c $(SWITCH_SRCS) $(HEADERS)
	@mkdir -p $(dir $@)
	clang -g -O1 -fsanitize=fuzzer,address,undefined -I. -DZV_HOST_TEST -o $@ $< $(SWITCH_SRCS)
FUZZ_TARGETS += $(BUILD)/fuzz/fuzz_virtio
VIRTIO_SRCS := zones/virtio/mmio.c zones/virtio/queue.c hv/lib/string.c
$(BUILD)/fuzz/fuzz_virtio: tests/fuzz/fuzz_virtio.c $(VIRTIO_SRCS) $(HEADERS)
	@mkdir -p $(dir $@)
	clang -g -O1 -fsanitize=fuzzer,address,undefined -I. -DZV_HOST_TEST -o $@ $< $(VIRTIO_SRCS)
FUZZ_TARGETS += $(BUILD)/fuzz/fuzz_virtio_net
$(BUILD)/fuzz/fuzz_virtio_net: tests/fuzz/fuzz_virtio_net.c $(VIRTIO_SRCS) zones/virtio/net.c $(HEADERS)
	@mkdir -p $(dir $@)
	clang -g -O1 -fsanitize=fuzzer,address,undefined -I. -DZV_HOST_TEST -o $@ $< $(VIRTIO_SRCS) zones/virtio/net.c
FUZZ_TARGETS += $(BUILD)/fuzz/fuzz_control
$(BUILD)/fuzz/fuzz_control: tests/fuzz/fuzz_control.c zones/control_check.c $(HEADERS)
	@mkdir -p $(dir $@)
	clang -g -O1 -fsanitize=fuzzer,address,undefined -I. -DZV_HOST_TEST -o $@ $< zones/control_check.c hv/lib/string.c
# Each target starts from tests/fuzz/seeds/TARGET/ where there is one (inputs that
# reach deep paths, checked in); what it finds goes to build/fuzz/corpus/TARGET/.
.PHONY: fuzz
fuzz: $(FUZZ_TARGETS)
	@tools/deps.sh fuzz
	@for f in $(FUZZ_TARGETS); do echo "fuzz: $$f (30 s)"; \
		corpus=$(BUILD)/fuzz/corpus/$${f##*/}; mkdir -p $$corpus; \
		seeds=tests/fuzz/seeds/$${f##*/}; [ -d $$seeds ] || seeds=; \
		$$f -max_total_time=30 -max_len=4096 $$corpus $$seeds || exit 1; done
