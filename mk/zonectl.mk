# zonectl, the control zone's CLI: a static binary (the control initramfs has no
# libc) that tools/mkinitramfs --control puts at /bin/zonectl.
ZONECTL := $(BUILD)/zonectl/zonectl
ZONECTL_CFLAGS := -std=gnu11 -O2 $(WARN) -I. -DZV_VERSION='"$(VERSION)"'
ZONECTL_OBJS := $(patsubst %.c,$(BUILD)/zonectl/obj/%.o,$(sort $(wildcard tools/zonectl/*.c)))

$(BUILD)/zonectl/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(HOSTCC) $(ZONECTL_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(ZONECTL): $(ZONECTL_OBJS)
	$(HOSTCC) -static -Wl,--build-id=none -s -o $@ $^

.PHONY: zonectl
zonectl: $(ZONECTL)
