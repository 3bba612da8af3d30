"""Linux zones (toward issue 5): the unmodified Debian kernel is loaded by the
boot-protocol loader and starts; bad images are refused before any CPU runs."""
import hashlib
import os
import time

from harness import Boot, make_esp
from paths import AGENT_INITRD, KERNEL, kernel_release
from registry import integration_test
from zoneconf import conf, zone


def linux_esp(name, zones, extra_files):
    esp = make_esp(name, conf(*zones), [KERNEL])
    for fname, data in extra_files.items():
        with open(os.path.join(esp, "zonevisor", fname), "wb") as f:
            f.write(data)
    return esp


@integration_test
def test_bad_linux_images_are_refused(name):
    with open(KERNEL, "rb") as f:
        kernel = f.read()
    zones = [zone("trunc", image="trunc.bz", memory="256M", cpu=1),
             zone("small", image="vmlinuz", memory="66M", cpu=1),
             zone("bigrd", image="vmlinuz", initrd="big.cpio", memory="96M", cpu=1),
             zone("ok", image="hello.elf", memory="16M", cpu=2)]
    esp = linux_esp(name, zones, {"trunc.bz": kernel[:len(kernel) // 2],
                                  "big.cpio": b"\0" * (20 << 20)})
    with Boot(name, esp, smp=4, mem=1024, timeout=120) as b:
        b.expect_seen(r"^zone trunc: refused: bzImage is truncated \(\d+ bytes, setup and kernel need \d+\)$")
        b.expect_seen(r"^zone small: refused: kernel needs \d+ MiB \(\d+ MiB init_size at \d+ MiB\) but the zone has 66 MiB$")
        b.expect_seen(r"^zone bigrd: refused: initramfs of 20 MiB does not fit")
        b.expect(r"^zone ok: stopped \(exit status 0\)$")
        m = b.expect(r"^zones: all ended; pool (\d+) KiB free \((\d+) KiB before\)$")
        if m.group(1) != m.group(2):
            b.fail("refused zones leaked pool memory")


@integration_test
def test_debian_kernel_starts_in_a_zone(name):
    lin = zone("lin", image="vmlinuz", memory="256M", cpu=1,
               args="console=ttyS0 earlyprintk=serial,ttyS0,115200")
    esp = linux_esp(name, [lin], {})
    with Boot(name, esp, smp=2, mem=1024, timeout=120) as b:
        b.expect(r"^zone lin: started \(cpu 1, 256 MiB\)$")
        b.expect(r"^\[lin\] \[ +0\.000000\] Linux version 6\.\d+\.\d+-\d+-amd64 ")
        b.expect(r"^\[lin\] .*BIOS-e820: \[mem 0x0000000000100000-0x000000000fffffff\] usable$")
        b.expect(r"^\[lin\] .*ACPI: RSDP 0x00000000000E0\w+ 000024 \(v02 ZONEVS\)$")
        b.expect(r"^\[lin\] .*ACPI: APIC 0x")


# ---- agent zones running the Debian kernel with the agent initramfs ------
ARGS = "console=ttyS0 panic=1 quiet"


def agent_zone(zname, cpu, command, memory="128M", after=None, console=False, disk=None):
    """A [zone] section: the Debian kernel + agent initramfs running command."""
    return zone(zname, image="vmlinuz", initrd="agent.cpio.gz", memory=memory, cpu=cpu,
                args=f"{ARGS} -- {command}", console="yes" if console else None,
                after=after or None, disk=disk)


def agent_esp(name, *zones):
    return make_esp(name, conf(*zones), [KERNEL, AGENT_INITRD])


def zone_output(b, zname):
    """The lines the zone's command printed (after `init: running:`)."""
    lines = [l for l in b.lines if l.startswith(f"[{zname}] ")]
    for i, l in enumerate(lines):
        if l.startswith(f"[{zname}] init: running: "):
            return [x[len(zname) + 3:] for x in lines[i + 1:]
                    if not x.startswith(f"[{zname}] init: exit status")]
    b.fail(f"zone {zname} never ran its command")


@integration_test
def test_linux_zones_run_commands_and_report_status(name):
    """1 vCPU (uname, one processor), exit status 7 beside it on another CPU
    at the same time, then a 2-vCPU zone that runs a command on each CPU."""
    zones = [agent_zone("one", 1, "uname -r; grep -c ^processor /proc/cpuinfo; date -u +%s"),
             agent_zone("seven", 2, "sh -c 'sleep 1; exit 7'"),
             agent_zone("two", "1,2", "grep -c ^processor /proc/cpuinfo; "
                        "for c in 0 1; do taskset -c $c cut -d' ' -f39 /proc/self/stat; done",
                        after="one")]
    with Boot(name, agent_esp(name, *zones), smp=4, mem=1024, timeout=240) as b:
        b.expect(r"^zone one: started \(cpu 1, 128 MiB\)$")
        b.expect(r"^zone seven: started \(cpu 2, 128 MiB\)$")
        # both run at once: neither stopped before the second started
        if b.seen(r"^zone (one|seven): stopped"):
            b.fail("the zones did not overlap")
        b.expect_seen(r"^zone one: stopped \(exit status 0\)$")
        b.expect_seen(r"^zone seven: stopped \(exit status 7\)$")
        b.expect(r"^zone two: started \(cpu 1,2, 128 MiB\)$")
        b.expect(r"^zone two: stopped \(exit status 0\)$")
        b.expect(r"^zones: all ended")
        out = zone_output(b, "one")
        if out[:2] != [kernel_release(), "1"] or len(out) != 3:
            b.fail(f"zone one printed {out}")
        # The zone's CMOS clock carries the host's UTC time (from UEFI GetTime).
        if abs(int(out[2]) - time.time()) > 600:
            b.fail(f"zone one's clock says {out[2]}, the host {int(time.time())}")
        if zone_output(b, "two") != ["2", "0", "1"]:  # field 39: the CPU it ran on
            b.fail(f"zone two printed {zone_output(b, 'two')}")
        if not b.seen(r"^\[seven\] init: exit status 7$"):
            b.fail("zone seven's /init did not report 7")


@integration_test
def test_linux_zone_panic_reboot_and_poweroff(name):
    """A zone that panics ends (panic=1 reboots it), a neighbour finishes its
    work undisturbed; reboot and poweroff end zones with their reasons."""
    zones = [agent_zone("crash", 1, "sleep 1; echo c > /proc/sysrq-trigger"),
             agent_zone("calm", 2, "sleep 12; echo calm finished"),
             agent_zone("off", 3, "poweroff -f"),
             agent_zone("rb", 1, "reboot -f", after="crash")]
    with Boot(name, agent_esp(name, *zones), smp=4, mem=1024, timeout=240) as b:
        b.expect_seen(r"^\[crash\] .*Kernel panic - not syncing: sysrq triggered crash")
        m = b.expect_seen(r"^zone crash: stopped \((.*)\)$")
        if not m.group(1).startswith("reboot"):
            b.fail(f"the panicked zone ended with '{m.group(1)}'")
        b.expect_seen(r"^zone off: stopped \(shutdown \(ACPI S5\)\)$")
        b.expect_seen(r"^zone rb: stopped \(reboot \(i8042 reset\)\)$")
        b.expect_seen(r"^zone calm: stopped \(exit status 0\)$")
        b.expect(r"^zones: all ended; pool (\d+) KiB free \((\d+) KiB before\)$")
        if zone_output(b, "calm") != ["calm finished"]:
            b.fail(f"zone calm printed {zone_output(b, 'calm')}")
        crash_stop = b.lines.index(b.seen(r"^zone crash: stopped")[0])
        calm_stop = b.lines.index(b.seen(r"^zone calm: stopped")[0])
        if calm_stop < crash_stop:
            b.fail("calm ended before crash: the neighbour test proves nothing")


@integration_test
def test_linux_zone_reads_the_console(name):
    """Typed input reaches the console zone's UART (receive FIFO and IRQ 4)
    and its shell; a zone without console = yes beside it gets none."""
    zones = [agent_zone("rx", 1, "read a; read b; echo \"got [$a] [$b]\"", console=True),
             agent_zone("deaf", 2, "sleep 6; read -t 1 x; echo \"deaf read [$x]\"")]
    with Boot(name, agent_esp(name, *zones), smp=4, mem=1024, timeout=180) as b:
        b.expect_seen(r"^\[rx\] init: running: ")
        b.expect_seen(r"^\[deaf\] init: running: ")
        b.send("hello zone\n")
        b.send("second line, a bit longer than sixteen bytes\n")
        b.expect_seen(r"^zone rx: stopped \(exit status 0\)$")
        if not b.seen(r"^\[rx\] got \[hello zone\] \[second line, a bit longer than sixteen bytes\]$"):
            b.fail("the console zone did not read both lines")
        b.expect_seen(r"^zone deaf: stopped \(exit status 0\)$")
        if not b.seen(r"^\[deaf\] deaf read \[\]$"):
            b.fail("a zone without the console got input")


@integration_test
def test_linux_zone_reads_its_read_only_disk(name):
    """A boot-time zone's `disk` file is vda to Debian's stock virtio_blk: its
    serial, its size (the partial last sector left out), its bytes, and a
    write refused (zones/storage/mem_disk.c; the device's own checks are
    unit-tested in test_virtio_blk)."""
    data = bytes((i * 7 + i // 4096) & 0xff for i in range(1 << 20)) + b"tail" * 25
    md5 = hashlib.md5(data[:1 << 20]).hexdigest()
    # short: /init's "running:" line must fit the UART's 160-character lines
    cmd = ("cd /sys/block/vda;cat serial;echo;cat size ro;md5sum</dev/vda;"
           "dd if=/dev/zero of=/dev/vda count=1 2>/dev/null;echo $?;md5sum</dev/vda")
    esp = make_esp(name, conf(agent_zone("dsk", 1, cmd, disk="disk.img")),
                   [KERNEL, AGENT_INITRD])
    with open(os.path.join(esp, "zonevisor", "disk.img"), "wb") as f:
        f.write(data)
    with Boot(name, esp, smp=2, mem=1024, timeout=120) as b:
        b.expect(r"^zone dsk: stopped \(exit status 0\)$")
        out = zone_output(b, "dsk")
        want = ["disk.img", "2048", "1", f"{md5}  -", "1", f"{md5}  -"]
        if out != want:
            b.fail(f"zone dsk printed {out}, expected {want}")
