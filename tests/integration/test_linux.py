"""Linux zones (toward issue 5): the unmodified Debian kernel is loaded by the
boot-protocol loader and starts; bad images are refused before any CPU runs."""
import os

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
        b.expect(r"^zone ok: stopped \(exit status 1\)$")
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
