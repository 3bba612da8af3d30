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

# Pure logic: compiled into the hypervisor, the loader (some) and, once, into
# the host libraries every unit test, fuzzer and benchmark links (mk/host.mk).
# An explicit list: pure files share folders with hypervisor-only ones (hv/npt.c
# beside hv/mmio.c), so the split cannot be read off the tree; a source goes here
# when it needs nothing but other pure sources and has a host test.
PURE_SRCS := \
	drivers/acpi.c \
	hv/bootinfo.c \
	hv/config.c \
	hv/cpuid_msr.c \
	hv/cr4_policy.c \
	hv/err.c \
	hv/guest_walk.c \
	hv/hook_list.c \
	hv/io_map.c \
	hv/lib/civil.c \
	hv/lib/fmt.c \
	hv/lib/sha256.c \
	hv/lib/string.c \
	hv/npt.c \
	hv/palloc.c \
	hv/service_list.c \
	hv/vectors.c \
	hv/x86_decode.c \
	zones/audit/audit.c \
	zones/audit/fields.c \
	zones/audit/log.c \
	zones/audit/merkle.c \
	zones/console_budget.c \
	zones/control/check.c \
	zones/load/bzimage.c \
	zones/load/multiboot.c \
	zones/net/deny_log.c \
	zones/net/dns.c \
	zones/net/ipv4_scope.c \
	zones/net/packet.c \
	zones/net/policy.c \
	zones/net/switch.c \
	zones/pci/filter.c \
	zones/session/vsock_inbox.c \
	zones/session/vsock_route.c \
	zones/platform/acpi/aml.c \
	zones/platform/acpi/tables.c \
	zones/platform/rtc.c \
	zones/platform/uart.c \
	zones/platform/vioapic.c \
	zones/platform/vlapic.c \
	zones/storage/images.c \
	zones/storage/mem_disk.c \
	zones/storage/store.c \
	zones/virtio/blk.c \
	zones/virtio/mmio.c \
	zones/virtio/net.c \
	zones/virtio/queue.c \
	zones/virtio/vsock.c
LOADER_PURE := hv/lib/string.c hv/lib/fmt.c hv/config.c hv/lib/civil.c

# Every source and header under the hypervisor's folders, however deep: a new
# file or folder needs no edit here.
HV_SRCS := $(sort $(shell find hv drivers zones -name '*.c'))
HV_ASMS := $(sort $(shell find hv -name '*.S'))
BOOT_SRCS := $(sort $(wildcard boot/*.c)) $(LOADER_PURE)
HEADERS := $(sort $(shell find hv drivers zones boot -name '*.h'))

# -MMD -MP: each object gets a .d file naming the headers it read, so touching a
# header rebuilds only its dependants (the .d files are included at the end).
DEPFLAGS := -MMD -MP

# mk/zonectl.mk has the first rule: without this, plain `make` would build zonectl only.
.DEFAULT_GOAL := all
include mk/zonectl.mk
include mk/zv-agent.mk

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
	@echo "make zonectl    the control zone's CLI, build/zonectl/zonectl (static)"
	@echo "make images     the Debian agent image build/images/agent.erofs (docs/images.md)"
	@echo "make fuzz       build every libFuzzer target and run each 30 s"
	@echo "make check      clang-format check, cppcheck and unit tests"
	@echo "make esp CONF=file IMAGES='a b' OUT=dir   an ESP with another config"
	@echo "make bench      Linux boot to /init in a zone vs. direct QEMU (-icount; docs/benchmarks.md)"
	@echo "make bench-policy  native allowlist lookups per second, 10 to 10,000 rules (docs/network.md)"

deps:
	@tools/deps.sh

$(BUILD)/hv-obj/%.c.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(HV_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(BUILD)/hv-obj/%.S.o: %.S
	@mkdir -p $(dir $@)
	$(CC) $(HV_CFLAGS) $(DEPFLAGS) -D__ASSEMBLY__ -c $< -o $@

$(BUILD)/boot-obj/%.c.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(EFI_CFLAGS) $(DEPFLAGS) -c $< -o $@

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
# The control zone gets QEMU's user network on a virtio-net PCI NIC (docs/pci.md)
# and a data disk on the AHCI controller it is given (tools/mkdemodisk: the
# agent image, which its /init loads into the pool, and a demo repository).
DEMO_ESP := $(BUILD)/demo-esp
DEMO_DISK := $(BUILD)/demo/data.ext4
run: deps all kernel initramfs demodisk
	@tools/mkesp --out $(DEMO_ESP) --conf tools/demo.conf $(BUILD)/linux/vmlinuz \
		$(BUILD)/initramfs/agent.cpio.gz $(BUILD)/initramfs/control.cpio.gz >/dev/null
	tools/zv-qemu --interactive --smp 4 --mem 4096 --timeout 0 \
		--qemu-arg -netdev --qemu-arg user,id=uplink \
		--qemu-arg -device --qemu-arg virtio-net-pci,netdev=uplink \
		--qemu-arg -drive --qemu-arg file=$(DEMO_DISK),if=none,id=data,format=raw,snapshot=on \
		--qemu-arg -device --qemu-arg ide-hd,drive=data,bus=ide.1 $(DEMO_ESP)

.PHONY: demodisk
demodisk: images
	@tools/mkdemodisk

# ---- tests ---------------------------------------------------------------
include mk/host.mk

BENCH_BINS := $(patsubst tests/bench/%.c,$(BUILD)/bench/%,$(wildcard tests/bench/*.c))
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/unit/%,$(UNIT_SRCS))

# Each test is its own object linked with the pure library built once.
$(BUILD)/unit/%: $(HOST_OBJ)/tests/unit/%.o $(HOST_LIB)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOST_CFLAGS) -o $@ $^

unit: $(UNIT_BINS)
	@tools/run-suite --unit $(UNIT_BINS)

# The unmodified Debian kernel for Linux zones (apt-get download, idempotent).
.PHONY: kernel
kernel: deps
	@tools/fetch-kernel >/dev/null

# The agent-zone initramfs: busybox-static, the virtio modules, /init that
# runs the command after `--` and reports its status on port 0xF4, and
# zv-agent (docs/sessions.md).
.PHONY: initramfs
initramfs: kernel $(ZONECTL) $(ZV_AGENT)
	@tools/mkinitramfs
	@tools/mkinitramfs --control

# The agent image (docs/images.md): Debian 12 with git, Python, Node.js, gcc,
# packed as erofs into build/images/agent.erofs by mmdebstrap and mkfs.erofs.
# tools/mkimage rebuilds it only when its stamp (the script, the package list,
# the kernel version) changed: a second `make images` does nothing.  The
# first build downloads a few hundred MB from Debian (kept in build/images/debs).
.PHONY: images
images: kernel
	@tools/mkimage >/dev/null

# Programs the integration tests pack into a test agent initramfs (static:
# the initramfs has no libc).
TEST_TOOLS := $(BUILD)/zv-test/zv-badvirtio $(BUILD)/zv-test/zv-badblk $(BUILD)/zv-test/zv-vsock
$(BUILD)/zv-test/%: tests/integration/%.c
	@mkdir -p $(dir $@)
	$(HOSTCC) -std=gnu11 -O2 $(WARN) $(DEPFLAGS) -MF $@.d -MT $@ -static -s -o $@ $<

test: deps all kernel initramfs demodisk $(UNIT_BINS) $(TEST_TOOLS)
	@tools/run-suite --unit $(UNIT_BINS) --integration

integration: all kernel initramfs demodisk $(TEST_TOOLS)
	@tools/run-suite --integration

# Deterministic guest-time figures (-icount shift=0): docs/benchmarks.md.
bench: all kernel initramfs images $(BENCH_BINS) $(TEST_TOOLS)
	@tools/bench
	@tools/bench-control
	@tools/bench-images
	@tools/bench-audit
	@$(BUILD)/bench/bench_policy
	@$(BUILD)/bench/bench_net_flood
	@$(BUILD)/bench/bench_audit
	@$(BUILD)/bench/bench_audit_decision

# A neighbour zone's TCP throughput beside a flooding zone, in QEMU with 3 CPUs.
# Not in `bench`: under QEMU 7.2's -icount round-robin a halted CPU with a
# pending timer interrupt is not always woken, and the transfer stalls
# (docs/benchmarks.md); bench_net_flood measures the same native.
.PHONY: bench-net-flood
bench-net-flood: all kernel initramfs $(TEST_TOOLS)
	@tools/bench-net-flood

# Host tools, one per tests/bench/*.c, link the optimised, uninstrumented library
# (mk/host.mk): a figure measured under the sanitizers would measure the sanitizers.
$(BUILD)/bench/%: $(NATIVE_OBJ)/tests/bench/%.o $(NATIVE_LIB)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(NATIVE_CFLAGS) -o $@ $^

# Native policy lookups per second as the rule count grows (docs/network.md).
.PHONY: bench-policy
bench-policy: $(BUILD)/bench/bench_policy
	@$<

check: unit
	clang-format --dry-run --Werror $(HV_SRCS) $(BOOT_SRCS) $(HEADERS) \
		$(wildcard tests/unit/*.c tests/unit/*.h tests/guests/*.c tests/guests/*.h) \
		$(wildcard tests/bench/*.c tools/zonectl/*.c tools/zonectl/*.h) \
		$(wildcard tools/zv-agent/*.c tools/zv-agent/*.h) \
		$(wildcard tests/integration/*.c)
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
		--suppress=missingIncludeSystem -I. $(HV_SRCS) $(BOOT_SRCS)
	pyflakes3 tests/integration/*.py tools/run-suite

clean:
	rm -rf $(BUILD)

include mk/fuzz.mk

# The header lists -MMD wrote (absent before the first build: -include).
-include $(patsubst %.o,%.d,$(HV_OBJS) $(BOOT_OBJS) $(HOST_OBJS) $(NATIVE_OBJS) \
	$(FUZZ_OBJS) $(ZONECTL_OBJS) $(ZV_AGENT_OBJS)) $(patsubst %,%.d,$(TEST_TOOLS))
