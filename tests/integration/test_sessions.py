"""Issue 19: the vsock relay (docs/sessions.md): streams between the control zone
and each agent zone, never an agent's own connection, and malformed chains that
reset only the attacker's device."""
import gzip
import re

from harness import Boot
from paths import AGENT_INITRD, ZV_VSOCK, kernel_module, kernel_release
from registry import integration_test
from test_control import Session, control_esp, cpio_newc, read
from test_images import cpio_file

# The virtio transport and what it needs, in load order (modules.dep).
VSOCK_MODULES = ("net/vmw_vsock/vsock.ko", "net/vmw_vsock/vmw_vsock_virtio_transport_common.ko",
                 "net/vmw_vsock/vmw_vsock_virtio_transport.ko")
ECHO_BYTES = 400000


def base(module):
    return module.rsplit("/", 1)[1]


def vsock_agent_initrd():
    """The agent initramfs with zv-vsock and, unless it lists them already,
    the vsock modules appended to the ones its /init loads."""
    agent = read(AGENT_INITRD)
    listed = (cpio_file(agent, "etc/zv/modules") or b"").decode()
    files = [("bin/zv-vsock", 0o755, read(ZV_VSOCK))]
    for m in VSOCK_MODULES:
        if base(m) not in listed:
            files.append(("lib/modules/%s/%s" % (kernel_release(), base(m)), 0o644,
                          read(kernel_module(m))))
            listed += base(m) + "\n"
    files.append(("etc/zv/modules", 0o644, listed.encode()))
    return agent + gzip.compress(cpio_newc(files), mtime=0)


def zone_cid(s, zone):
    """The CID zone's zv-vsock listener printed once it listened."""
    out = s.must("i=0; until zonectl logs %s | grep -q 'listening on'; do i=$((i+1)); "
                 "[ $i -lt 60 ] || break; sleep 1; done; zonectl logs %s" % (zone, zone),
                 timeout=90)
    for line in out:
        m = re.search(r"^zv-vsock: cid (\d+) listening on 5000$", line)
        if m:
            return int(m.group(1))
    s.b.fail("zone %s's listener never listened:\n%s" % (zone, "\n".join(out)))


@integration_test
def test_vsock_relay_joins_the_control_zone_to_each_agent_and_nothing_else(name):
    extra = [("lib/zv-test/agent-vsock.cpio", 0o644, vsock_agent_initrd()),
             ("bin/zv-vsock", 0o755, read(ZV_VSOCK))]
    extra += [("lib/zv-test/" + base(m), 0o644, read(kernel_module(m))) for m in VSOCK_MODULES]
    with Boot(name, esp=control_esp(name, extra), smp=4, mem=2048, timeout=300) as b:
        s = Session(b)
        s.must("; ".join("insmod /lib/zv-test/%s 2>/dev/null || grep -q '^%s ' /proc/modules"
                         % (base(m), base(m)[:-3]) for m in VSOCK_MODULES))
        s.must("(zv-vsock listen 7777 >/tmp/control-listen.log 2>&1 &)")
        s.must("zonectl run -d --name a --initrd /lib/zv-test/agent-vsock.cpio -- "
               "zv-vsock listen 5000")
        cid_a = zone_cid(s, "a")
        if cid_a < 16:
            b.fail("zone a has CID %d, not 16 + its id" % cid_a)
        # (c) and (d) in a second zone, while the control zone talks to a.
        s.must("zonectl run -d --name b --initrd /lib/zv-test/agent-vsock.cpio -- sh -c "
               "'zv-vsock probe 7777 2 3 1 %d %d 4294967295; zv-vsock attack'"
               % (cid_a, cid_a + 2))
        out = s.must("zv-vsock echo %d 5000 %d" % (cid_a, ECHO_BYTES), timeout=120)
        s.has(out, r"^echo: %d bytes byte-exact$" % ECHO_BYTES, "the echo through zone a")
        status, _ = s.run("zv-vsock echo 999 5000 10")
        if status == 0:
            b.fail("zv-vsock reached CID 999, which no zone has")
        s.must("zonectl logs -f b >/tmp/b.log", timeout=120)
        out = s.must("cat /tmp/b.log")
        status, _ = s.run("zv-vsock echo %d 5000 10" % (cid_a + 1))
        if status == 0:
            b.fail("zv-vsock reached CID %d, zone b's, which ended" % (cid_a + 1))
        for cid in (2, 3, 1, cid_a, cid_a + 2, 4294967295):
            s.has(out, r"^connect %d: refused " % cid, "zone b's connect to CID %d" % cid)
        for attack in ("other-source-cid", "host-source-cid", "seqpacket", "unknown-op",
                       "len-over-payload", "len-under-payload", "short-header",
                       "writable-header", "header-out-of-zone", "header-at-registers",
                       "payload-on-request"):
            s.has(out, r"^attack %s: refused$" % attack, attack)
        s.has(out, r"^good-request: the relay's RST$", "a REQUEST after the resets")
        s.has(out, r"^zv-vsock: 0 failures$", "zone b's zv-vsock")
        b.expect_seen(r"^zone b: vsock refused a packet from another CID than the device's; "
                      r"the device needs a reset$")
        # The control zone's device and zone a's went on: four echoes at once,
        # enough to fill rx rings on both sides (64 KiB packets, 4 KiB buffers).
        out = s.must("for i in 1 2 3 4; do zv-vsock echo %d 5000 %d >/tmp/par$i.log 2>&1 & "
                     "done; wait; cat /tmp/par*.log" % (cid_a, 3 * ECHO_BYTES), timeout=120)
        if sum(1 for line in out
               if re.search(r"^echo: %d bytes byte-exact$" % (3 * ECHO_BYTES), line)) != 4:
            b.fail("four echoes at once after b's attacks:\n%s" % "\n".join(out))
        out = s.must("cat /tmp/control-listen.log")
        s.has(out, r"^zv-vsock: cid 3 listening on 7777$", "the control zone's CID")
        # A zone that stops ends its connections on the control side.
        s.must("(zv-vsock echo %d 5000 4000000000 >/tmp/long.log 2>&1 &) ; sleep 2" % cid_a)
        s.must("zonectl stop a")
        out = s.must("i=0; until grep -q 'ended\\|reset\\|stalled\\|Broken pipe' /tmp/long.log; do "
                     "i=$((i+1)); [ $i -lt 30 ] || break; sleep 1; done; cat /tmp/long.log",
                     timeout=60)
        # the relay's RST: the next read sees the end, or the next write EPIPE
        s.has(out, r"connection ended|Connection reset|Broken pipe",
              "the long echo when zone a stopped")
        s.must("zonectl rm a; zonectl rm b")
