# zv-agent, the guest agent of every agent zone (tools/zv-agent/, docs/sessions.md):
# a static binary (the agent initramfs has no libc) that tools/mkinitramfs puts
# at /bin/zv-agent.
ZV_AGENT := $(BUILD)/zv-agent/zv-agent
ZV_AGENT_CFLAGS := -std=gnu11 -O2 $(WARN) -I.
ZV_AGENT_OBJS := $(patsubst %.c,$(BUILD)/zv-agent/obj/%.o,$(sort $(wildcard tools/zv-agent/*.c)))

$(BUILD)/zv-agent/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(HOSTCC) $(ZV_AGENT_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(ZV_AGENT): $(ZV_AGENT_OBJS)
	$(HOSTCC) -static -Wl,--build-id=none -s -o $@ $^

.PHONY: zv-agent
zv-agent: $(ZV_AGENT)
