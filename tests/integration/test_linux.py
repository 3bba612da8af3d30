"""Linux zones (toward issue 5): the unmodified Debian kernel is loaded by the
boot-protocol loader and starts; bad images are refused before any CPU runs."""
import os
import time

from harness import BUILD, Boot, make_esp

KERNEL = os.path.join(BUILD, "linux", "vmlinuz")
BASE = "[zonevisor]\non_idle = poweroff\n"


def linux_esp(name, conf, extra_files):
    esp = make_esp(name, BASE + conf, [KERNEL])
    for fname, data in extra_files.items():
        with open(os.path.join(esp, "zonevisor", fname), "wb") as f:
            f.write(data)
    return esp


def test_bad_linux_images_are_refused(name):
    with open(KERNEL, "rb") as f:
        kernel = f.read()
    conf = ("[zone trunc]\nimage = trunc.bz\nmemory = 256M\ncpu = 1\n"
            "[zone small]\nimage = vmlinuz\nmemory = 66M\ncpu = 1\n"
            "[zone bigrd]\nimage = vmlinuz\ninitrd = big.cpio\nmemory = 96M\ncpu = 1\n"
            "[zone ok]\nimage = hello.elf\nmemory = 16M\ncpu = 2\n")
    esp = linux_esp(name, conf, {"trunc.bz": kernel[:len(kernel) // 2],
                                 "big.cpio": b"\0" * (20 << 20)})
    with Boot(name, esp, smp=4, mem=1024, timeout=120) as b:
        b.expect_seen(r"^zone trunc: refused: bzImage is truncated \(\d+ bytes, setup and kernel need \d+\)$")
        b.expect_seen(r"^zone small: refused: kernel needs \d+ MiB \(\d+ MiB init_size at \d+ MiB\) but the zone has 66 MiB$")
        b.expect_seen(r"^zone bigrd: refused: initramfs of 20 MiB does not fit")
        b.expect(r"^zone ok: stopped \(exit status 0\)$")
        m = b.expect(r"^zones: all ended; pool (\d+) KiB free \((\d+) KiB before\)$")
        if m.group(1) != m.group(2):
            b.fail("refused zones leaked pool memory")


def test_debian_kernel_starts_in_a_zone(name):
    conf = ("[zone lin]\nimage = vmlinuz\nmemory = 256M\ncpu = 1\n"
            "args = console=ttyS0 earlyprintk=serial,ttyS0,115200\n")
    esp = linux_esp(name, conf, {})
    with Boot(name, esp, smp=2, mem=1024, timeout=120) as b:
        b.expect(r"^zone lin: started \(cpu 1, 256 MiB\)$")
        b.expect(r"^\[lin\] \[ +0\.000000\] Linux version 6\.\d+\.\d+-\d+-amd64 ")
        b.expect(r"^\[lin\] .*BIOS-e820: \[mem 0x0000000000100000-0x000000000fffffff\] usable$")
        b.expect(r"^\[lin\] .*ACPI: RSDP 0x00000000000E0\w+ 000024 \(v02 ZONEVS\)$")
        b.expect(r"^\[lin\] .*ACPI: APIC 0x")


# ---- agent zones running the Debian kernel with the agent initramfs ------
INITRD = os.path.join(BUILD, "initramfs", "agent.cpio.gz")
ARGS = "console=ttyS0 panic=1 quiet"


def kernel_release():
    with open(os.path.join(BUILD, "linux", "version")) as f:
        return f.read().split()[0]


def agent_zone(zname, cpu, command, memory="128M", after=None, console=False):
    """A [zone] section: the Debian kernel + agent initramfs running command."""
    conf = (f"[zone {zname}]\nimage = vmlinuz\ninitrd = agent.cpio.gz\n"
            f"memory = {memory}\ncpu = {cpu}\nargs = {ARGS} -- {command}\n")
    conf += "console = yes\n" if console else ""
    return conf + (f"after = {after}\n" if after else "")


def agent_esp(name, conf):
    return make_esp(name, BASE + conf, [KERNEL, INITRD])


def zone_output(b, zname):
    """The lines the zone's command printed (after `init: running:`)."""
    lines = [l for l in b.lines if l.startswith(f"[{zname}] ")]
    for i, l in enumerate(lines):
        if l.startswith(f"[{zname}] init: running: "):
            return [x[len(zname) + 3:] for x in lines[i + 1:]
                    if not x.startswith(f"[{zname}] init: exit status")]
    b.fail(f"zone {zname} never ran its command")


def test_linux_zones_run_commands_and_report_status(name):
    """1 vCPU (uname, one processor), exit status 7 beside it on another CPU
    at the same time, then a 2-vCPU zone that runs a command on each CPU."""
    conf = (agent_zone("one", 1, "uname -r; grep -c ^processor /proc/cpuinfo; date -u +%s")
            + agent_zone("seven", 2, "sh -c 'sleep 1; exit 7'")
            + agent_zone("two", "1,2", "grep -c ^processor /proc/cpuinfo; "
                         "for c in 0 1; do taskset -c $c cut -d' ' -f39 /proc/self/stat; done",
                         after="one"))
    with Boot(name, agent_esp(name, conf), smp=4, mem=1024, timeout=240) as b:
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


def test_linux_zone_panic_reboot_and_poweroff(name):
    """A zone that panics ends (panic=1 reboots it), a neighbour finishes its
    work undisturbed; reboot and poweroff end zones with their reasons."""
    conf = (agent_zone("crash", 1, "sleep 1; echo c > /proc/sysrq-trigger")
            + agent_zone("calm", 2, "sleep 12; echo calm finished")
            + agent_zone("off", 3, "poweroff -f")
            + agent_zone("rb", 1, "reboot -f", after="crash"))
    with Boot(name, agent_esp(name, conf), smp=4, mem=1024, timeout=240) as b:
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


def test_linux_zone_reads_the_console(name):
    """Typed input reaches the console zone's UART (receive FIFO and IRQ 4)
    and its shell; a zone without console = yes beside it gets none."""
    conf = (agent_zone("rx", 1, "read a; read b; echo \"got [$a] [$b]\"", console=True)
            + agent_zone("deaf", 2, "sleep 6; read -t 1 x; echo \"deaf read [$x]\""))
    with Boot(name, agent_esp(name, conf), smp=4, mem=1024, timeout=180) as b:
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
