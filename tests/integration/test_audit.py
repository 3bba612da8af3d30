"""Issue 20: the hypervisor's audit log, drained by the control zone at boot, read with
zonectl audit and verified against the live head; tampered copies name the record."""
import os

from harness import Boot
from registry import integration_test
from test_control import NIC, PageServer, Session, control_esp
from test_network import allow_host_from_zones

LOG = "/run/zonevisor/audit.jsonl"  # control-init's drain (tools/initramfs/control-init)


def wait_exited(s, zone):
    s.must("i=0; until zonectl ps | grep -Eq '^%s +exited'; do i=$((i+1)); "
           "[ $i -lt 150 ] || exit 1; sleep 1; done" % zone, timeout=170)


def records(s, pattern):
    """The drained lines that match an extended regular expression (grep -E)."""
    status, out = s.run("grep -E '%s' %s" % (pattern, LOG))
    return [line for line in out if line.startswith('{"seq":')]


def must_have(s, pattern, what):
    if not records(s, pattern):
        s.b.fail("%s: no record matches %r in:\n%s"
                 % (what, pattern, "\n".join(records(s, "."))))


@integration_test
def test_audit_log_records_zones_and_verifies_against_the_live_head(name):
    stamp = "zonevisor page %d" % os.getpid()
    with PageServer(stamp + "\n") as web, \
            Boot(name, esp=control_esp(name), smp=3, mem=2048, timeout=700,
                 qemu_args=NIC) as b:
        b.expect(r"^control: audit log drained to /var/log/zonevisor/audit\.jsonl$", 120)
        s = Session(b)
        allow_host_from_zones(s)
        # One zone floods denials (more than the deny records keep), while
        # another fetches a page through its allowlist and exits 3.
        s.must("zonectl run -d --name flood -- sh -c 'for i in $(seq 20); do "
               "nslookup denied$i.test 10.77.0.1; ping -c 1 -W 1 93.184.216.34; done "
               ">/dev/null 2>&1; true'")
        s.must("zonectl run -d --name fetch --allow-cidr 10.0.2.2/32:%d -- sh -c "
               "'wget -q -O - http://10.0.2.2:%d/; exit 3'" % (web.port, web.port))
        wait_exited(s, "fetch")
        wait_exited(s, "flood")
        s.must("zonectl rm fetch")
        # The drain catches up within its poll; verify then meets the live head.
        out = s.must("sleep 2; zonectl audit verify %s" % LOG)
        s.has(out, r"^verified \d+ records, root [0-9a-f]{64}$", "verify")
        s.has(out, r"matches", "the live head")
        out = s.must("zonectl audit head")
        s.has(out, r"^root [0-9a-f]{64}$", "audit head")

        must_have(s, r'"type":"hypervisor\.boot"', "the boot record")
        must_have(s, r'"type":"control\.request",.*"op":"run",.*"comm":"sh","result":"ok"'
                  r'.*"name":"fetch"', "the run request, with who asked")
        must_have(s, r'"zone":"fetch".*"type":"zone\.started".*"cpus":1', "fetch started")
        must_have(s, r'"zone":"fetch".*"type":"net\.admit".*"dst":"10\.0\.2\.2:%d"'
                  r'.*"rule":"allow-cidr"' % web.port, "fetch's connection")
        must_have(s, r'"zone":"fetch".*"type":"zone\.console".*"text":"%s"' % stamp,
                  "fetch's console")
        must_have(s, r'"zone":"fetch".*"type":"zone\.stopped".*"exit_status":3',
                  "fetch's exit")
        must_have(s, r'"zone":"fetch".*"type":"zone\.wiped"', "fetch wiped")
        must_have(s, r'"zone":"fetch".*"type":"zone\.removed"', "fetch removed")
        must_have(s, r'"zone":"flood".*"type":"net\.deny".*"reason":"name-refused".*'
                  r'"name":"denied1\.test"', "flood's denials, with the name")
        must_have(s, r'"zone":"flood".*"type":"net\.deny_summary"', "flood's summaries")
        out = s.must("zonectl audit --zone fetch | head -50")
        s.has(out, r"^\d+ +\S+Z +fetch +zone\.started +cpus=1 ", "the table for people")

        # Tampered copies: each names the record.
        n = int([line for line in s.must("wc -l <%s" % LOG) if line.strip().isdigit()][-1])
        s.must("cp %s /tmp/a.jsonl" % LOG)
        tamper = [
            ("sed '5s/\"zone_id\":/\"zone_iD\":/' /tmp/a.jsonl", r"record 4 \(line 5\) does"),
            ("sed 6d /tmp/a.jsonl", r"record 5 is missing"),
            ("awk 'NR==7{h=$0;next} NR==8{print;print h;next} 1' /tmp/a.jsonl",
             r"record 6 is out of place"),
            ("head -c $(($(wc -c </tmp/a.jsonl) - 20)) /tmp/a.jsonl",
             r"record %d \(line %d\) is cut short" % (n - 1, n)),
            ("head -n 10 /tmp/a.jsonl", r"record 10 is missing"),
        ]
        for command, pattern in tamper:
            out = s.must("%s >/tmp/t.jsonl; zonectl audit verify /tmp/t.jsonl" % command,
                         want_status=1)
            s.has(out, pattern, command)
