"""Boots an ESP in QEMU through tools/zv-qemu and matches console lines."""
import os
import re
import select
import signal
import shutil
import subprocess
import time

from paths import ESP, LOGS, TEST_ESPS, TOOLS


class TestFailure(Exception):
    pass


def make_esp(name, conf, images=()):
    """A copy of build/esp with its own zonevisor.conf and extra image files."""
    out = os.path.join(TEST_ESPS, name)
    if os.path.exists(out):
        shutil.rmtree(out)
    shutil.copytree(ESP, out)
    with open(os.path.join(out, "zonevisor", "zonevisor.conf"), "w") as f:
        f.write(conf)
    for img in images:
        src, dst = (img if isinstance(img, tuple) else (img, os.path.basename(img)))
        shutil.copy(src, os.path.join(out, "zonevisor", dst))
    return out


class Boot:
    """One QEMU run.  Use as a context manager; the log is kept in build/test-logs."""

    def __init__(self, name, esp=ESP, smp=4, mem=1024, timeout=120, cpu=None, icount=False,
                 emu="qemu", qemu_args=()):
        self.name, self.timeout = name, timeout
        os.makedirs(LOGS, exist_ok=True)
        self.log_path = os.path.join(LOGS, name + ".log")
        self.log = open(self.log_path, "w")
        tool = "zv-bochs" if emu == "bochs" else "zv-qemu"
        cmd = [os.path.join(TOOLS, tool), "--smp", str(smp), "--mem", str(mem),
               "--timeout", str(timeout)]
        if cpu:
            cmd += ["--cpu", cpu]
        if icount:
            cmd += ["--icount"]
        for arg in qemu_args:
            cmd += ["--qemu-arg", arg]
        # Its own process group: zv-qemu runs QEMU under timeout(1), and
        # killing only the script would leave QEMU running to its timeout.
        self.proc = subprocess.Popen(cmd + [esp], stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, stdin=subprocess.PIPE,
                                     start_new_session=True)
        self.deadline = time.monotonic() + timeout
        self.lines, self.buf, self.pos = [], b"", 0

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self.close()
        if exc_type is None:
            self.check_no_alarm()

    def check_no_alarm(self):
        """Fails the test on a line that reports a hypervisor bug even when
        the scenario itself passed (Bochs keeps the VMCS in memory, so a
        VMCS caching bug shows only as such a line: docs/testing.md)."""
        for l in self.lines:
            if any(rx.search(l) for rx in ALARMS):
                self.fail("the hypervisor reported a bug: %s" % l)

    def close(self):
        if self.proc.returncode is None:  # not reaped: its group id is still ours
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)  # QEMU too, not just the script
            except ProcessLookupError:
                pass
        self.proc.wait()
        self._drain(0)
        self.log.close()

    def _drain(self, wait):
        out = self.proc.stdout
        if out is None or out.closed:
            return False
        r, _, _ = select.select([out], [], [], wait)
        if not r:
            return True
        chunk = os.read(out.fileno(), 65536)
        if not chunk:
            return False
        self.buf += chunk
        while b"\n" in self.buf:
            line, self.buf = self.buf.split(b"\n", 1)
            text = strip_ansi(line.decode("utf-8", "replace")).rstrip("\r")
            self.lines.append(text)
            self.log.write(text + "\n")
        self.log.flush()
        return True

    def send(self, text):
        """Types text on the serial console (the hypervisor's COM1 input)."""
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    def tail(self, n=40):
        return "\n".join("    " + l for l in self.lines[-n:])

    def fail(self, what):
        raise TestFailure(f"{what}\n  serial log tail ({self.log_path}):\n{self.tail()}")

    def expect(self, pattern, timeout=None):
        """Waits for a line (after the last match) matching regex pattern."""
        rx = re.compile(pattern)
        end = min(self.deadline, time.monotonic() + timeout) if timeout else self.deadline
        while True:
            while self.pos < len(self.lines):
                m = rx.search(self.lines[self.pos])
                self.pos += 1
                if m:
                    return m
            left = end - time.monotonic()
            if left <= 0:
                self.fail(f"timed out waiting for /{pattern}/")
            if not self._drain(min(left, 1.0)) and self.pos >= len(self.lines):
                self.fail(f"QEMU exited ({self.proc.poll()}) before /{pattern}/")

    def expect_all(self, patterns):
        return [self.expect(p) for p in patterns]

    def wait_exit(self, timeout=None):
        end = time.monotonic() + (timeout or self.timeout)
        while self._drain(1.0):
            if time.monotonic() > end:
                self.fail("QEMU did not exit")
        return self.proc.wait()

    def expect_seen(self, pattern, timeout=None):
        """Like expect, but the line may come before the last match."""
        rx = re.compile(pattern)
        for l in self.lines:
            m = rx.search(l)
            if m:
                return m
        save, self.pos = self.pos, len(self.lines)
        try:
            return self.expect(pattern, timeout)
        finally:
            self.pos = max(self.pos, save)

    def seen(self, pattern):
        rx = re.compile(pattern)
        return [l for l in self.lines if rx.search(l)]


# Lines that mean a hypervisor defect whatever the test checks.
ALARMS = [re.compile(p) for p in (
    r"^vmx: vcpu \d+ freed on cpu \d+ but ran on cpu",
    r"^vmx: vcpu \d+: VMCLEAR of its VMCS failed",
    r"^vmx: vcpu \d+: VMCS still current",
    r"^vmx: VMWRITE of field",
)]

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1bc")


def strip_ansi(s):
    return ANSI.sub("", s)
