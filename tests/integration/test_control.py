"""The control zone and zonectl: an operator's session typed on the control zone's console."""
import gzip
import http.server
import os
import re
import threading
import time

from harness import Boot, make_esp
from paths import (AGENT_INITRD, BAD_VIRTIO, CONTROL_INITRD, KERNEL, NET_CHECK, TEST_ESPS,
                   ZONECTL, guest, kernel_module)
from registry import integration_test
from zoneconf import conf, zone

X2APIC_ICR = 0x830  # Intel SDM vol. 3A, 11.12.9: the x2APIC ICR is one 64-bit MSR
ICR_LEVEL_ASSERT = 1 << 14
ICR_MODES = {"INIT": 0x500, "STARTUP": 0x600 | 0x10, "NMI": 0x400}

CONF = conf(zone("control", control="yes", image="vmlinuz", initrd="control-test.cpio",
                 memory="512M", args="console=ttyS0 panic=1 quiet"),
            verify_wipe="yes", agent_kernel="vmlinuz", agent_initrd="agent.cpio.gz")


def cpio_newc(files):
    """A newc archive (the kernel's initramfs format) of (path, mode, bytes)."""
    out, ino = bytearray(), 1000

    def entry(name, mode, data):
        nonlocal ino
        ino += 1
        name_b = name.encode() + b"\0"
        hdr = "070701" + "".join("%08x" % v for v in (
            ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name_b), 0))
        out.extend(hdr.encode() + name_b)
        out.extend(b"\0" * (-len(out) % 4))
        out.extend(data)
        out.extend(b"\0" * (-len(out) % 4))

    dirs = set()
    for path, _, _ in files:
        parts = path.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            dirs.add("/".join(parts[:i]))
    for d in sorted(dirs):
        entry(d, 0o40755, b"")
    for path, mode, data in files:
        entry(path, 0o100000 | mode, data)
    entry("TRAILER!!!", 0, b"")
    return bytes(out)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def control_esp(name, extra_files=()):
    """The control initramfs plus /lib/zv-test: test guests, and an agent
    initramfs that also holds zonectl (to try the channel from an agent zone),
    net-check and zv-badvirtio (test_network.py); and extra_files, (path, mode,
    bytes) as cpio_newc takes them."""
    agent_with_zonectl = read(AGENT_INITRD) + gzip.compress(
        cpio_newc([("bin/zonectl", 0o755, read(ZONECTL)),
                   ("bin/net-check", 0o755, read(NET_CHECK)),
                   ("bin/zv-badvirtio", 0o755, read(BAD_VIRTIO))]), mtime=0)
    extra = cpio_newc([
        ("lib/zv-test/hello.elf", 0o644, read(guest("hello"))),
        ("lib/zv-test/marker.elf", 0o644, read(guest("marker"))),
        ("lib/zv-test/scan.elf", 0o644, read(guest("scan"))),
        ("lib/zv-test/agent-zonectl.cpio", 0o644, agent_with_zonectl),
        ("lib/zv-test/msr.ko", 0o644, read(kernel_module("arch/x86/kernel/msr.ko"))),
    ] + list(extra_files))
    combined = os.path.join(TEST_ESPS, name + "-control-test.cpio")
    os.makedirs(os.path.dirname(combined), exist_ok=True)
    with open(combined, "wb") as f:
        f.write(read(CONTROL_INITRD) + gzip.compress(extra, mtime=0))
    return make_esp(name, CONF, [KERNEL, AGENT_INITRD, (combined, "control-test.cpio")])


class Session:
    """Types commands at the control zone's shell; each ends with a marker line."""

    def __init__(self, boot):
        self.b, self.n = boot, 0
        boot.expect(r"^control: try  zonectl run -- uname -a$", 120)
        time.sleep(1)  # the shell prints its banner and prompt

    def run(self, command, timeout=90):
        """Runs command; returns (exit status, the lines it printed)."""
        self.n += 1
        tag = "ZVDONE%d" % self.n
        start = len(self.b.lines)
        self.b.send("%s; echo %s=$?\n" % (command, tag))
        m = self.b.expect(r"^%s=(\d+)$" % tag, timeout)
        out = self.b.lines[start:-1]
        return int(m.group(1)), out

    def must(self, command, want_status=0, timeout=90):
        status, out = self.run(command, timeout)
        if status != want_status:
            self.b.fail("`%s` exited %d, not %d:\n%s" % (command, status, want_status,
                                                        "\n".join(out)))
        return out

    def zone_output(self, command, want_status=0, timeout=150):
        """Runs a foreground `zonectl run` with its output into a file and
        returns the file's lines: the hypervisor's console lines share the
        serial line and would split the zone's lines as they are copied."""
        return self.must("%s >/tmp/zone.out 2>&1; st=$?; cat /tmp/zone.out; (exit $st)"
                         % command, want_status, timeout)

    def has(self, out, pattern, what):
        if not any(re.search(pattern, line) for line in out):
            self.b.fail("%s: no line matches %r in:\n%s" % (what, pattern, "\n".join(out)))


def pool_free(s):
    out = s.must("zonectl stats --json")
    m = re.search(r'"pool_free_bytes": *(\d+)', "\n".join(out))
    if not m:
        s.b.fail("no pool_free_bytes in zonectl stats --json:\n" + "\n".join(out))
    return int(m.group(1))


@integration_test
def test_zonectl_runs_lists_stops_and_removes_agent_zones(name):
    with Boot(name, esp=control_esp(name), smp=4, mem=2048, timeout=400) as b:
        s = Session(b)
        b.expect_seen(r"^zone control: control zone started \(cpu 0, 512 MiB at host "
                      r"0x[0-9a-f]+, identity-mapped\)$")
        out = s.zone_output("zonectl run --rm -- sh -c 'echo hi; exit 3'", want_status=3)
        s.has(out, r"^hi$", "run --rm")
        # The hypervisor's lines (zone started, wiped) cut into the shell's
        # unfinished line; the console prints that line again below each one.
        s.must("printf 'partial:'; zonectl run --rm -- true >/dev/null; echo ':end'")
        b.expect_seen(r"^partial::end$")
        if b.seen(r"^partial:zone "):
            b.fail("a hypervisor line was printed inside the control zone's line")
        s.must("zonectl run -d --name a -- sleep 1000")
        time.sleep(3)
        out = s.must("zonectl ps")
        s.has(out, r"^a\s+running\s+\d\s+256M\s", "ps after run -d")
        out = s.must("zonectl ps --json")
        s.has(out, r'"name": *"a"', "ps --json")
        s.must("zonectl rm a", want_status=1)  # still running: refused with a message
        s.must("zonectl stop a")
        b.expect_seen(r"zone a: stopped \(stopped by zonectl\)$", 60)
        b.expect_seen(r"zone a: wipe verified: 0 non-zero words$", 60)
        time.sleep(1)
        out = s.must("zonectl ps")
        s.has(out, r"^a\s+exited\s", "ps after stop")
        s.must("zonectl rm a")
        # logs -f follows a detached zone's console until it exits
        s.must("zonectl run -d --name l -- sh -c 'echo one; sleep 2; echo two'")
        out = s.must("zonectl logs -f l")
        s.has(out, r"^one$", "logs -f")
        s.has(out, r"^two$", "logs -f")
        out = s.must("zonectl ps")
        s.has(out, r"^l\s+exited\s.*\s0$", "ps after the logged zone exited")
        s.must("zonectl rm l")
        out = s.must("zonectl ps --json")
        s.has(out, r"^\[\]$", "ps after rm")
        # The channel is root's only, and does not exist in an agent zone.
        out = s.must("su agent -c 'zonectl ps'", want_status=125)
        s.has(out, r"needs root", "non-root zonectl")
        out = s.zone_output("zonectl run --rm --initrd /lib/zv-test/agent-zonectl.cpio -- "
                            "zonectl ps", want_status=125)
        s.has(out, r"^zonectl: no zonevisor control channel here", "zonectl in an agent zone")


def write_msr_command(msr, value):
    """A shell command that writes value to msr through /dev/cpu/0/msr (the
    msr driver takes the MSR number as the file offset)."""
    octal = "".join("\\%03o" % b for b in value.to_bytes(8, "little"))
    return ("printf '%s' | dd of=/dev/cpu/0/msr bs=8 seek=%d count=1 conv=notrunc "
            "2>/dev/null" % (octal, msr // 8))


@integration_test
def test_control_zone_cannot_read_memory_or_signal_agent_cpus(name):
    with Boot(name, esp=control_esp(name), smp=4, mem=2048, timeout=300) as b:
        s = Session(b)
        hv = int(b.expect_seen(r"^  hypervisor image at 0x([0-9a-f]+)").group(1), 16)
        s.must("zonectl run -d --name m -- sleep 1000")
        m = b.expect_seen(r"zone m: memory at host 0x([0-9a-f]+)-", 30)
        agent = int(m.group(1), 16)
        for what, addr in (("hypervisor", hv), ("agent pool", agent + 0x100000)):
            # busybox devmem maps /dev/mem and loads 64 bits with one MOV
            out = s.must("devmem 0x%x 64" % addr)
            s.has(out, r"^0xFFFFFFFFFFFFFFFF$", "/dev/mem read of " + what)
            b.expect_seen(r"zone control: read of 0x%x outside its partition refused"
                          % addr)
        # INIT, STARTUP and NMI aimed at the agent zone's CPU (APIC ID 1)
        # through the control zone's x2APIC ICR: its vLAPIC delivers only to
        # its own vCPU, so the agent zone runs on untouched.
        s.must("insmod /lib/zv-test/msr.ko")
        for mode, bits in ICR_MODES.items():
            s.must(write_msr_command(X2APIC_ICR, (1 << 32) | ICR_LEVEL_ASSERT | bits))
        time.sleep(2)
        out = s.must("zonectl ps")
        s.has(out, r"^m\s+running\s", "the agent zone after INIT/STARTUP/NMI from the control zone")
        s.must("echo control still here")
        s.must("zonectl stop m")
        s.must("zonectl rm -f m")


# QEMU's user network: the control zone leases 10.0.2.15 and reaches the
# host's 127.0.0.1 as 10.0.2.2.  -device, not -nic: QEMU 7.2 creates -nic's
# NIC before the APIC says MSI works, and that one has no MSI-X.
NIC = ("-netdev", "user,id=uplink", "-device", "virtio-net-pci,netdev=uplink")


class PageServer:
    """An HTTP server on the host's 127.0.0.1 that answers every GET with one
    page; with slow_s, GET /slow sends half of it, waits slow_s seconds, then
    the rest (a connection that outlives a DNS TTL)."""

    def __init__(self, body, slow_s=0):
        page = body.encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (the http.server name)
                self.send_response(200)
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                if slow_s and self.path == "/slow":
                    self.wfile.write(page[:len(page) // 2])
                    self.wfile.flush()
                    time.sleep(slow_s)
                    self.wfile.write(page[len(page) // 2:])
                else:
                    self.wfile.write(page)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def config_dword(s, bdf, offset):
    out = s.must("hexdump -s %d -n 4 -e '1/4 \"%%08x\\n\"' /sys/bus/pci/devices/%s/config"
                 % (offset, bdf))
    return int(out[-1], 16)


def write_config_dword(s, bdf, offset, value):
    octal = "".join("\\%03o" % ((value >> (8 * i)) & 0xff) for i in range(4))
    s.must("printf '%s' | dd of=/sys/bus/pci/devices/%s/config bs=4 seek=%d count=1 "
           "conv=notrunc 2>/dev/null" % (octal, bdf, offset // 4))


def bar_sizing_stays_virtual(b, s, bdf, web):
    """Linux's sizing probe (all ones, read, old value back) must not move the
    device: left at all ones, the BAR reads its size mask and the NIC still
    answers at the firmware's address; the old value reads back as it was."""
    bar4 = config_dword(s, bdf, 0x20)  # virtio-net's 64-bit BAR: its virtqueues
    write_config_dword(s, bdf, 0x20, 0xffffffff)
    mask = config_dword(s, bdf, 0x20)
    if mask == bar4 or mask & 0xffff0000 != 0xffff0000 or mask & 0xf != bar4 & 0xf:
        b.fail("BAR4 of %s read 0x%08x after all ones (boot 0x%08x)" % (bdf, mask, bar4))
    out = s.must("wget -q -O - http://10.0.2.2:%d/" % web.port, timeout=60)
    s.has(out, r"^zonevisor passthrough page", "wget with BAR4 left at the sizing pattern")
    write_config_dword(s, bdf, 0x20, bar4)
    if config_dword(s, bdf, 0x20) != bar4:
        b.fail("BAR4 of %s did not read back its boot value" % bdf)


@integration_test
def test_control_zone_drives_its_passed_through_nic_and_disk(name):
    with PageServer("zonevisor passthrough page %d\n" % os.getpid()) as web, \
            Boot(name, esp=control_esp(name), smp=4, mem=2048, timeout=300,
                 qemu_args=NIC) as b:
        s = Session(b)
        nic = b.expect_seen(r"^pci: 00:([0-9a-f]{2}\.\d) 1af4:1000 class 020000: passed to the "
                            r"control zone$").group(1)
        b.expect_seen(r"^pci: 00:1f\.2 8086:2922 class 010601: passed to the control zone$")
        # The LPC bridge is function 0 of the AHCI's device: shown read-only
        # so Linux scans the device; the SMBus and VGA stay hidden.
        b.expect_seen(r"^pci: 00:1f\.0 8086:2918 class 060100: read-only$")
        b.expect_seen(r"^pci: 00:1f\.3 8086:2930 class 0c0500: hidden$")
        b.expect_seen(r"^control: eth0 has 10\.0\.2\.15/24 via 10\.0\.2\.2$")
        # Only the host bridge and the passed-through functions are visible.
        out = s.must("ls /sys/bus/pci/devices")
        s.has(out, r"0000:00:%s" % re.escape(nic), "the NIC in sysfs")
        for hidden in ("0000:00:1f.3", "0000:00:01.0"):
            if any(hidden in line for line in out):
                b.fail("%s, which the hypervisor keeps, is visible:\n%s" % (hidden, "\n".join(out)))
        # The NIC: virtio-net over PCI with MSI-X, a real packet path to the host.
        out = s.must("wget -q -O - http://10.0.2.2:%d/" % web.port, timeout=60)
        s.has(out, r"^zonevisor passthrough page %d$" % os.getpid(), "wget through the NIC")
        out = s.must("cat /proc/interrupts")
        s.has(out, r"PCI-MSI.*virtio0-input", "virtio-net's MSI-X vectors")
        # The disk: the ESP on QEMU's AHCI controller, through the stock ahci driver.
        s.must("mkdir -p /mnt && mount -t vfat -o ro /dev/sda1 /mnt")
        out = s.must("ls /mnt/EFI/BOOT")
        s.has(out, r"BOOTX64\.EFI", "the ESP read through AHCI")
        s.must("umount /mnt")
        # A BAR cannot be moved (say, over the hypervisor): the write is
        # refused, logged, and the BAR keeps the firmware's address.
        bdf = "0000:00:" + nic
        bar1 = config_dword(s, bdf, 0x14)
        s.must("printf '\\000\\000\\020\\000' | dd of=/sys/bus/pci/devices/%s/config bs=4 "
               "seek=5 count=1 conv=notrunc 2>/dev/null" % bdf)
        b.expect_seen(r"^zone control: PCI config write 0x100000 to 00:%s offset 0x14 refused "
                      r"\(BARs keep the firmware's addresses\)$" % re.escape(nic))
        if config_dword(s, bdf, 0x14) != bar1:
            b.fail("BAR1 of %s moved" % bdf)
        out = s.must("wget -q -O - http://10.0.2.2:%d/" % web.port, timeout=60)
        s.has(out, r"^zonevisor passthrough page", "wget after the refused BAR write")
        bar_sizing_stays_virtual(b, s, bdf, web)
        # The control zone ends abruptly (Linux panics and resets) with its NIC
        # busy: the NIC stops mastering the bus before the zone's memory is
        # wiped, so it never DMAs into pages the pool hands out next.
        s.must("ping -q -i 0.2 10.0.2.2 >/dev/null 2>&1 & sleep 2")
        b.send("echo c >/proc/sysrq-trigger\n")
        b.expect(r"^pci: 00:%s: bus mastering stopped before the wipe$" % re.escape(nic), 90)
        b.expect(r"^zone control: wiped \d+ bytes$", 60)
        b.wait_exit(60)
        if b.seen(r"Guest moved used index"):
            b.fail("the passed-through NIC wrote the wiped memory:\n" +
                   "\n".join(b.seen(r"used index")))


@integration_test
def test_bad_requests_fail_clearly_and_spawn_cycles_return_the_pool(name):
    with Boot(name, esp=control_esp(name), smp=4, mem=2048, timeout=600) as b:
        s = Session(b)
        s.must("zonectl run -d --name keep -- sleep 1000")
        bad = [
            ("zonectl run --mem 4000M -- true", r"the pool has \d+ MiB free"),
            ("zonectl run --cpus 3 -- true", r"3 CPUs asked, 2 free"),
            ("zonectl run --name keep -- true", r"a zone named keep exists"),
            ("zonectl run --kernel /etc/passwd --initrd none -- x", r"image refused"),
            ("zonectl run --kernel /no/such/file -- x", r"/no/such/file"),
            ("zonectl stop nosuch", r"no zone named nosuch"),
            ("zonectl run --name 'Bad!' -- true", r"name"),
        ]
        for command, pattern in bad:
            status, out = s.run(command)
            if status == 0:
                b.fail("`%s` succeeded" % command)
            s.has(out, pattern, command)
        time.sleep(2)
        out = s.must("zonectl ps")
        s.has(out, r"^keep\s+running\s", "the running zone after the bad requests")
        # Each zone is wiped on exit; with --rm its record goes too: the pool
        # returns to the byte.
        before = pool_free(s)
        s.must("i=0; while [ $i -lt 50 ]; do zonectl run --rm --mem 16M --initrd none "
               "--kernel /lib/zv-test/hello.elf -- cycle >/dev/null || break; "
               "i=$((i+1)); done; echo cycles=$i; [ $i -eq 50 ]", timeout=400)
        after = pool_free(s)
        if before != after:
            b.fail("pool free %d bytes before 50 cycles, %d after" % (before, after))
        # A zone given the same pages after the marker finds nothing of it.
        s.must("zonectl run --rm --mem 16M --initrd none --kernel /lib/zv-test/marker.elf "
               "-- hold=0")
        b.expect_seen(r"zone zone-\d+: memory at host (0x[0-9a-f]+-0x[0-9a-f]+)")
        out = s.must("zonectl run --rm --mem 16M --initrd none --kernel /lib/zv-test/scan.elf")
        s.has(out, r"^scan: \d+ MiB clean$", "scan after the marker zone")
        ranges = [m.group(1) for m in (re.search(r"zone zone-\d+: memory at host "
                                                 r"(0x[0-9a-f]+-0x[0-9a-f]+)", l)
                                       for l in b.lines) if m]
        if len(ranges) < 2 or ranges[-1] != ranges[-2]:
            b.fail("marker and scan zones did not get the same pages: %s" % ranges[-2:])
        s.must("zonectl stop keep")
        s.must("zonectl rm -f keep")


@integration_test
def test_agent_zones_sit_on_the_switch_which_denies_by_default(name):
    """Issue 7, the part without the uplink: every zonectl zone has a virtio-net
    NIC (Debian's virtio_mmio + virtio_net) on the hypervisor's switch; with no
    rules it reaches nothing, and every denial is kept in the zone's deny
    records, read with zonectl denials (issue 16: never a console line per
    packet, and a plain zone sends no IPv6 to be denied)."""
    deny = r"^\d+\.\d{3}s +deny port \d+ "  # a record in detail, in `zonectl denials`
    with Boot(name, esp=control_esp(name), smp=4, mem=2048, timeout=400) as b:
        s = Session(b)
        s.must("zonectl run -d --name a -- sleep 1000")
        out = s.must("i=0; until zonectl logs a | grep 'init: eth0 has'; do i=$((i+1)); "
                     "[ $i -lt 120 ] || exit 1; sleep 1; done", timeout=150)
        s.has(out, r"^init: eth0 has 10\.77\.0\.\d+/24 via 10\.77\.0\.1$", "zone a's address")
        a_ip = re.search(r"(10\.77\.0\.\d+)/24", "\n".join(out)).group(1)
        # b turns IPv6 back on (the agent /init turns it off), so Linux's own
        # router solicitations and MLD reports reach the switch.
        out = s.zone_output("zonectl run --name b -- sh -c '"
                            "echo 0 >/proc/sys/net/ipv6/conf/eth0/disable_ipv6; "
                            "nslookup denied.test; "
                            "ping -c 1 -W 2 %s; ping -c 1 -W 2 10.0.2.2; "
                            "timeout 3 wget -q -O - http://10.0.2.2:8080/ || echo wget: denied; "
                            "ip addr add 10.77.0.99/24 dev eth0; "
                            "ping -c 1 -W 2 -I 10.77.0.99 10.0.2.2; "
                            "cat /sys/class/net/eth0/address; exit 0'" % a_ip)
        # DNS for a name no rule allows: answered REFUSED by the switch itself.
        s.has(out, r"can't find denied\.test: REFUSED", "nslookup of a name not allowed")
        s.has(out, r"^wget: denied$", "a fetch from a zone without rules")
        s.has(out, r"^02:5a:56:01:00:0[0-9a-f]$", "the zone's MAC (locally administered)")
        # Not one line per packet on the operator's console.
        if b.seen(r"^zone [\w-]+: deny "):
            b.fail("deny lines on the console: %s" % b.seen(r"^zone [\w-]+: deny ")[:3])
        out = s.must("zonectl denials b")
        s.has(out, deny + r"udp 10\.77\.0\.\d+:\d+ -> 10\.77\.0\.1:53 name denied\.test "
              r"reason name-refused$", "the refused name in zonectl denials")
        # Another zone: not even ARP gets through.
        s.has(out, deny + r"arp 10\.77\.0\.\d+ -> %s reason zone-to-zone$" % re.escape(a_ip),
              "ARP for the neighbour")
        # The outside, with no rule: nothing (10.0.2.2 is internal: only a CIDR rule admits it).
        s.has(out, deny + r"icmp 10\.77\.0\.\d+ -> 10\.0\.2\.2 type 8 reason internal-address$",
              "ping of the outside")
        s.has(out, deny + r"tcp 10\.77\.0\.\d+:\d+ -> 10\.0\.2\.2:8080 reason internal-address$",
              "the denied wget")
        # A source address that is not the port's.
        s.has(out, deny + r".*10\.77\.0\.99.* reason spoofed-ip$", "a spoofed source")
        # IPv6 is dropped.
        s.has(out, deny + r"ipv6 .* reason ipv6-denied$", "IPv6 from the zone")
        s.has(out, r"^ipv6-denied +[1-9]\d* +\d+\.\d{3}s +\d+\.\d{3}s +port \d+ ipv6 ",
              "the IPv6 summary: count, first, last and the last frame")
        out = s.must("zonectl denials --json b")
        s.has(out, r'"reason": "name-refused", "name": "denied\.test", "frame": \{"kind": "ip", ',
              "a record in zonectl denials --json")
        # A zone started with plain zonectl run sends no IPv6 at all.
        out = s.must("zonectl denials a")
        if any("ipv6" in l for l in out):
            b.fail("zone a, with IPv6 off, was denied IPv6:\n%s" % "\n".join(out))
        out = s.must("zonectl denials --uplink --json")
        s.has(out, r'^\{"denied": \d+, "unrecorded": \d+, ', "the uplink's deny records")
        s.must("zonectl denials --uplink a", want_status=2)
        out = s.must("zonectl denials nosuch", want_status=1)
        s.has(out, r"no zone named nosuch", "denials of a zone that does not exist")
        out = s.must("zonectl ps")
        s.has(out, r"^a\s+running\s", "the zone that was pinged")
        s.must("zonectl stop a")
        s.must("zonectl rm -f a")
        s.must("zonectl rm b")
        out = s.must("zonectl denials b", want_status=1)
        s.has(out, r"no zone named b", "denials of a removed zone")
