"""Issue 19: sessions with agent zones the way people use containers, driven through
the control zone's serial console as a person at a terminal would: zonectl run -it,
typing, resizing, Ctrl-C and Ctrl-Z, detach and attach, exec beside it, cp both ways
and secrets that appear nowhere but where the zone printed them on purpose.

These checks share the agent-image test's boot (tests/integration/test_agent_image.py):
they need the Debian image, and a boot of its own would cost the suite a minute."""
import os
import re
import secrets
import time

from paths import LOGS

# Control keys as a terminal sends them.
CTRL_C, CTRL_Z, CTRL_P, CTRL_Q = "\x03", "\x1a", "\x10", "\x11"
ESP_SECRETS = "zonevisor/zvs"  # on the ESP (/dev/sda1 in the control zone)


def write_secrets(esp):
    """Fresh values for the secret test, on the ESP: they reach the control zone's
    shell through files, never typed on the console (its echo is in the serial log).
    v1..v3: the three ways to give a secret; vc: the control case, which a zone prints
    on purpose.  pv1..pvc: the same as grep -F -f pattern files, pall the three."""
    values = {k: secrets.token_hex(20) for k in ("v1", "v2", "v3", "vc")}
    d = os.path.join(esp, ESP_SECRETS)
    os.makedirs(d, exist_ok=True)
    for k, v in values.items():
        with open(os.path.join(d, k), "w") as f:
            f.write(v)  # no newline: --secret-file takes the bytes as they are
        with open(os.path.join(d, "p" + k), "w") as f:
            f.write(v + "\n")
    with open(os.path.join(d, "pall"), "w") as f:
        f.write("".join(values[k] + "\n" for k in ("v1", "v2", "v3")))
    return values


class Terminal:
    """The control zone's console while a zonectl session owns it: keys go to the
    zone's terminal, whose output comes back as serial lines."""

    def __init__(self, b):
        self.b = b

    def type(self, text):
        """Types a line into the zone's shell (Enter is CR, as a terminal sends it)."""
        self.b.send(text + "\r")

    def expect(self, pattern, timeout=60):
        """A line of the zone's terminal: bash starts its output with a CR (after
        turning bracketed paste off), so a line's start may follow one."""
        if pattern.startswith("^"):
            pattern = r"(?:^|\r)" + pattern[1:]
        return self.b.expect(pattern, timeout)


def check_terminal(b, s):
    """run -it: the window size at start and on a resize, typing, Ctrl-C, Ctrl-Z,
    detach with Ctrl-P Ctrl-Q; then exec beside it and attach with a new size."""
    s.must("stty rows 30 cols 100")
    # The resize comes while zonectl holds the terminal: a process in its own session
    # (no SIGTTOU) changes the console's size, so the kernel sends zonectl SIGWINCH.
    s.must("t=$(tty); (setsid sh -c \"sleep 40; stty rows 50 cols 132 <$t\" </dev/null "
           ">/dev/null 2>&1 &)")
    started = time.monotonic()
    b.send("zonectl run -it --name tty1 -- bash; echo ZVTTY=$?\n")
    t = Terminal(b)
    time.sleep(15)  # the zone boots; keys typed before its shell reads are kept anyway
    t.type("echo ZV$((6*7))")
    t.expect(r"^ZV42$", 120)
    t.type("stty size")
    t.expect(r"^30 100$")
    t.type("sleep 100")
    time.sleep(3)
    b.send(CTRL_C)
    t.type("echo ZV$((40+3)) $?")
    t.expect(r"^ZV43 130$", 30)  # sleep died of SIGINT: bash's $? is 128+2
    t.type("sleep 200")
    time.sleep(3)
    b.send(CTRL_Z)
    t.expect(r"Stopped\s+sleep 200", 30)
    t.type("kill -9 %1; echo ZV$((40+4))")
    t.expect(r"^ZV44$", 30)
    left = 45 - (time.monotonic() - started)
    if left > 0:
        time.sleep(left)
    t.type("stty size")
    t.expect(r"^50 132$")
    b.send(CTRL_P + CTRL_Q)
    t.expect(r"zonectl: detached from tty1", 30)
    t.expect(r"^ZVTTY=0$", 30)
    time.sleep(1)
    check_exec(b, s)
    check_hostile_agent(b, s)
    s.must("stty rows 33 cols 111")
    b.send("zonectl attach tty1; echo ZVATT=$?\n")
    time.sleep(3)
    t.type("stty size")
    t.expect(r"^33 111$")
    t.type("exit 3")
    t.expect(r"^ZVATT=3$", 60)
    s.must("stty rows 24 cols 80")


def check_exec(b, s):
    """exec: its own stdin, stdout and stderr (kept apart), exit status, -e, -w, -u,
    in a zone with no network rules; run -i streams stdin."""
    s.must("zonectl exec tty1 -- sh -c 'echo out; echo err >&2; exit 5' >/tmp/o 2>/tmp/e",
           want_status=5)
    s.has(s.must("cat /tmp/o"), r"^out$", "exec's stdout")
    s.has(s.must("cat /tmp/e"), r"^err$", "exec's stderr")
    if any("err" in l for l in s.must("cat /tmp/o")):
        b.fail("exec mixed stderr into stdout")
    out = s.must("zonectl exec -e ZVFOO=bar -w /tmp -u nobody tty1 -- "
                 "sh -c 'echo \"$ZVFOO $(pwd) $(id -un)\"'")
    s.has(out, r"^bar /tmp nobody$", "exec -e -w -u")
    out = s.must("echo x | zonectl exec -i tty1 -- wc -c")
    s.has(out, r"^2$", "exec -i")
    out = s.zone_output("echo x | zonectl run -i --rm -- wc -c", timeout=150)
    s.has(out, r"^2$", "run -i")
    check_cp(b, s)


def check_cp(b, s):
    """cp both ways while the zone runs: a file byte-exact, a tree with its modes and
    a symlink."""
    s.must("head -c 3000000 /dev/urandom >/tmp/blob && mkdir -p /tmp/tree/sub && "
           "echo hi >/tmp/tree/sub/f && chmod 750 /tmp/tree/sub/f && "
           "ln -sf ../sub/f /tmp/tree/sub/link")
    local = next((l.split()[0] for l in s.must("sha256sum </tmp/blob")
                  if re.match(r"^[0-9a-f]{64}\s", l)), None) or b.fail("no sha256sum")
    s.must("zonectl cp /tmp/blob tty1:/tmp/blob.in")
    inside = s.must("zonectl exec tty1 -- sh -c 'sha256sum </tmp/blob.in'")
    if not any(l.startswith(local) for l in inside):
        b.fail("cp into the zone changed the file: %s vs %s" % (local, inside))
    s.must("zonectl cp tty1:/tmp/blob.in /tmp/blob.out && cmp /tmp/blob /tmp/blob.out")
    s.must("zonectl cp /tmp/tree tty1:/root/")
    out = s.must("zonectl exec tty1 -- sh -c 'stat -c \"%a %n\" /root/tree/sub/f; "
                 "readlink /root/tree/sub/link'")
    s.has(out, r"^750 /root/tree/sub/f$", "cp kept a mode")
    s.has(out, r"^\.\./sub/f$", "cp kept a symlink")
    s.must("rm -rf /tmp/back && zonectl cp tty1:/root/tree /tmp/back")
    out = s.must("stat -c '%a %n' /tmp/back/sub/f; readlink /tmp/back/sub/link; "
                 "cat /tmp/back/sub/f")
    s.has(out, r"^750 /tmp/back/sub/f$", "cp out kept a mode")
    s.has(out, r"^\.\./sub/f$", "cp out kept a symlink")
    s.has(out, r"^hi$", "cp out's content")


# A guest agent root in the zone put in place of zv-agent: each connection gets one
# malformed answer (an oversized frame, an unknown type, an exit status of 300).
EVIL_AGENT = (
    "import socket,struct\n"
    "s=socket.socket(socket.AF_VSOCK,socket.SOCK_STREAM)\n"
    "s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n"
    "s.bind((socket.VMADDR_CID_ANY,1024));s.listen()\n"
    "f=lambda t,p:struct.pack('<IB3x',len(p),t)+p\n"
    "bad=[struct.pack('<IB3x',1<<30,17),f(99,b'xx'),f(16,b'')+f(19,struct.pack('<i',300))]\n"
    "i=0\n"
    "while 1:\n"
    " c,_=s.accept();c.settimeout(5)\n"
    " try:c.recv(65536)\n"
    " except OSError:pass\n"
    " c.sendall(bad[i%3]);i+=1;c.close()\n")


def check_hostile_agent(b, s):
    """Root in a zone replaces its agent: each malformed stream ends that session with
    a protocol error (exit 125) and nothing else: the other zone's sessions go on."""
    kill = ("for p in /proc/[0-9]*; do [ \"$(cat $p/comm 2>/dev/null)\" = zv-agent ] && "
            "kill ${p#/proc/}; done; sleep 1; ")
    s.must("zonectl run -d --name evil -- sh -c '%spython3 -c \"$(echo %s | base64 -d)\"'"
           % (kill, __import__("base64").b64encode(EVIL_AGENT.encode()).decode()))
    time.sleep(20)
    for what in ("an oversized frame", "an unknown frame type", "exit status 300"):
        status, out = s.run("zonectl exec evil -- true", timeout=120)
        if status != 125 or not any("protocol error" in l for l in out):
            b.fail("a hostile agent (%s): zonectl exec exited %d:\n%s"
                   % (what, status, "\n".join(out)))
        out = s.must("zonectl exec tty1 -- echo still-here")
        s.has(out, r"^still-here$", "the other zone's sessions after a hostile agent")
    s.must("zonectl rm -f evil")


def check_secrets(b, s, values):
    """A secret given three ways reaches the command as an environment variable and a
    0400 file in /run/secrets, and its value is nowhere else: not in zonectl logs,
    ps --json, the audit log, the control zone's kernel log, the serial log or
    build/test-logs.  The control case shows the search finds a value that is there."""
    d = "/mnt/esp/" + ESP_SECRETS
    s.must("mkdir -p /mnt/esp && mount -t vfat -o ro /dev/sda1 /mnt/esp")
    s.must("export ZVS1=\"$(cat %s/v1)\"; V2=\"$(cat %s/v2)\"" % (d, d))
    check = ("for n in ZVS1 ZVS2 ZVS3; do eval \"v=\\$$n\"; f=/run/secrets/$n; "
             "[ \"$v\" = \"$(cat $f)\" ] && echo \"$n $(stat -c %a $f) ${#v}\"; done")
    out = s.zone_output("zonectl run --name sec --secret ZVS1 --secret ZVS2=\"$V2\" "
                        "--secret-file ZVS3=%s/v3 -- sh -c '%s'" % (d, check), timeout=150)
    for n in ("ZVS1", "ZVS2", "ZVS3"):
        s.has(out, r"^%s 400 40$" % n, "secret %s as env var and 0400 file" % n)
    s.must("export ZVC=\"$(cat %s/vc)\"" % d)
    s.must("zonectl run --name ctl --secret ZVC -- sh -c 'echo \"leak:$ZVC\"' "
           ">/tmp/ctl.out 2>&1")
    s.must("zonectl logs sec >/tmp/sec.logs; zonectl logs ctl >/tmp/ctl.logs; "
           "zonectl ps -a --json >/tmp/ps.json; zonectl audit --json >/tmp/audit.json; "
           "dmesg >/tmp/dmesg.txt")
    out = s.must("grep -c -F -f %s/pvc /tmp/ctl.logs /tmp/ctl.out || true" % d)
    s.has(out, r"^/tmp/ctl\.logs:1$", "the control case's value in its zone's logs")
    out = s.must("for f in /tmp/sec.logs /tmp/ps.json /tmp/audit.json /tmp/dmesg.txt "
                 "/run/zonevisor/audit.jsonl; do echo \"$f $(grep -c -F -f %s/pall $f)\"; "
                 "done" % d)
    for f in ("sec.logs", "ps.json", "audit.json", "dmesg.txt"):
        s.has(out, r"/%s 0$" % re.escape(f), "no secret value in %s" % f)
    s.must("unset ZVS1 V2 ZVC; zonectl rm sec; zonectl rm ctl; umount /mnt/esp")


def check_no_secret_in_logs(b, values):
    """After the boot: the serial log and every file under build/test-logs."""
    hidden = [values[k] for k in ("v1", "v2", "v3")]
    for line in b.lines:
        if any(v in line for v in hidden):
            b.fail("a secret's value is in the serial log: %r" % line)
    for root, _, files in os.walk(LOGS):
        for f in files:
            with open(os.path.join(root, f), "rb") as fh:
                data = fh.read()
            for v in hidden:
                if v.encode() in data:
                    b.fail("a secret's value is in %s" % os.path.join(root, f))
