"""The agent-zone kernel and initramfs, booted directly by plain QEMU (no zonevisor).

This is the reference the zone platform is measured against: Debian's unmodified
kernel (build/linux/vmlinuz, from tools/fetch-kernel) with the agent initramfs
(build/initramfs/agent.cpio.gz, from tools/mkinitramfs).  /init runs the text
after ` -- ` on the kernel command line and reports its exit status N on the
debug-exit port 0xF4; QEMU's isa-debug-exit there exits with (N << 1) | 1.
"""
import os
import re
import subprocess

from harness import TestFailure
from paths import AGENT_INITRD, KERNEL, KERNEL_VERSION, LOGS
from registry import integration_test

COMMAND = "sh -c 'uname -r; grep -c ^processor /proc/cpuinfo; exit 7'"


class DirectBootFailure(TestFailure, AssertionError):
    """A failed check; the suite counts it as FAIL, plain Python as an AssertionError."""


def boot_direct(name, command, smp=2, mem=256, timeout=120, extra_args=(), append_extra=""):
    """Boots the kernel and initramfs under plain QEMU; returns (exit status, lines)."""
    for path, how in ((KERNEL, "tools/fetch-kernel"), (AGENT_INITRD, "tools/mkinitramfs")):
        if not os.path.isfile(path):
            raise DirectBootFailure(f"{path} is missing: run {how} first")
    os.makedirs(LOGS, exist_ok=True)
    log_path = os.path.join(LOGS, name + ".log")
    append = "console=ttyS0 panic=1 quiet"
    if append_extra:
        append += " " + append_extra
    append += " -- " + command
    cmd = ["qemu-system-x86_64", "-machine", "q35", "-cpu", "max", "-m", str(mem),
           "-smp", str(smp), "-kernel", KERNEL, "-initrd", AGENT_INITRD, "-append", append,
           "-serial", "stdio", "-display", "none", "-no-reboot",
           "-device", "isa-debug-exit,iobase=0xf4,iosize=4", *extra_args]
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=timeout)
        out, rc = p.stdout, p.returncode
    except subprocess.TimeoutExpired as e:
        out, rc = e.stdout or b"", None
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out.decode("utf-8", "replace"))
    with open(log_path, "w") as f:
        f.write(text)
    lines = [l.rstrip("\r") for l in text.splitlines()]
    return rc, lines, log_path


def _fail(msg, lines, log_path):
    tail = "\n".join(lines[-25:])
    raise DirectBootFailure(f"{msg} (log {log_path})\n--- console tail ---\n{tail}")


@integration_test
def test_debian_kernel_boots_directly_under_qemu(name):
    want_version = open(KERNEL_VERSION).read().strip() if os.path.isfile(KERNEL_VERSION) else None
    rc, lines, log = boot_direct(name, COMMAND)
    if rc is None:
        _fail("QEMU did not exit within 120 s", lines, log)

    def index_of(line, start=0):
        for i in range(start, len(lines)):
            if lines[i] == line:
                return i
        _fail(f"no console line {line!r}", lines, log)

    i = index_of("init: running: " + COMMAND)
    if want_version is None:
        want_version = lines[i + 1] if i + 1 < len(lines) else ""
    i = index_of(want_version, i + 1)
    i = index_of("2", i + 1)
    index_of("init: exit status 7", i + 1)
    failed = [l for l in lines if re.match(r"^init: module \S+ failed", l)]
    if failed:
        _fail("modules failed to load: " + "; ".join(failed), lines, log)
    if any("Kernel panic" in l for l in lines):
        _fail("the kernel panicked", lines, log)
    if rc != (7 << 1) | 1:
        _fail(f"QEMU exited with {rc}, expected 15 ((7 << 1) | 1 from port 0xF4)", lines, log)


if __name__ == "__main__":
    test_debian_kernel_boots_directly_under_qemu("linux_direct")
    print("PASS linux_direct")
