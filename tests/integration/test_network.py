"""The agent network end to end (issue 7): agent zones on the hypervisor's
switch, the control zone as uplink (nftables NAT, dnsmasq), allowlists."""
import os
import re
import subprocess

from harness import Boot, TestFailure
from paths import UPLINK_NFT_CHECK
from registry import integration_test
from test_control import NIC, PageServer, Session, control_esp

# The host's HTTP servers are 10.0.2.2 to the control zone (QEMU's user
# network): an internal address, which the switch never admits from a DNS
# answer (docs/network.md, "Internal addresses").  So the names the zone
# resolves point at SERVER, a public address that the control zone DNATs to
# 10.0.2.2, as a real server would be reached.  internal.test points straight
# at 10.0.2.2, as a hostile name's DNS would.  The control zone's dnsmasq
# answers them from /etc/zv/hosts with TTL 5 s (tools/initramfs/dnsmasq.conf).
SERVER = "93.184.216.34"
HOST = "10.0.2.2"
HOSTS = "%s allowed.test denied.test\\n%s internal.test" % (SERVER, HOST)  # for printf
TTL_S = 5
DENY = r"^\d+\.\d{3}s +deny port \d+ "  # a record in detail, in `zonectl denials`


def pin_test_names(s):
    s.must("printf '%s\\n' >>/etc/zv/hosts && kill -HUP $(cat /run/dnsmasq.pid)" % HOSTS)
    s.must("sleep 1; nslookup allowed.test 10.77.0.1 | grep -q %s" % SERVER)
    s.must("nft add table ip zv_test && nft add chain ip zv_test pre "
           "'{ type nat hook prerouting priority dstnat; }' && "
           "nft add rule ip zv_test pre iifname zvup ip daddr %s dnat to %s" % (SERVER, HOST))


def allow_host_from_zones(s):
    """The operator's exception for an internal address (tools/initramfs/uplink.nft)."""
    s.must("nft add element ip zv_uplink internal_allowed '{ %s }'" % HOST)


def nft_counter(s, chain, rule):
    """Packets the counter of the rule matching `rule` in zv_uplink's chain saw."""
    out = s.must("nft list chain ip zv_uplink %s" % chain)
    for line in out:
        if re.search(rule, line):
            return int(re.search(r"counter packets (\d+)", line).group(1))
    s.b.fail("no rule %r in chain %s:\n%s" % (rule, chain, "\n".join(out)))


def wait_for_address(s, zone):
    out = s.must("i=0; until zonectl logs %s | grep 'init: eth0 has'; do i=$((i+1)); "
                 "[ $i -lt 120 ] || exit 1; sleep 1; done" % zone, timeout=150)
    return re.search(r"(10\.77\.0\.\d+)/24", "\n".join(out)).group(1)


@integration_test
def test_agent_zone_reaches_its_allowlist_through_the_uplink_and_nothing_else(name):
    stamp = "zonevisor page %d" % os.getpid()
    with PageServer(stamp + " A\n", slow_s=TTL_S + 3) as web_a, \
            PageServer(stamp + " B\n") as web_b, \
            Boot(name, esp=control_esp(name), smp=4, mem=2048, timeout=800,
                 qemu_args=NIC) as b:
        s = Session(b)
        b.expect_seen(r"^control: agent network on zvup: 10\.77\.0\.1/24, NAT to eth0, DNS$")
        pin_test_names(s)
        a, bb = web_a.port, web_b.port
        # The control zone's own nftables, behind the switch: with an
        # --allow-cidr that the switch honours, a zone still reaches neither
        # an internal address nor the control zone itself (only its DNS).
        s.must("(nc -l -p 7777 -e echo control-zone-service >/dev/null 2>&1 &)")
        forward0 = nft_counter(s, "forward", r"ip daddr @internal counter")
        input0 = nft_counter(s, "input", r"^\s*counter packets \d+ bytes \d+ drop")
        out = s.zone_output("zonectl run --rm --allow-cidr %s/32:%d --allow-cidr 10.0.2.15/32:7777 "
                            "-- sh -c 'timeout 5 wget -q -O - http://%s:%d/ || "
                            "echo internal: failed; nc -w 3 10.0.2.15 7777 </dev/null | "
                            "grep -q control-zone-service && echo control: reached || "
                            "echo control: failed'" % (HOST, a, HOST, a))
        s.has(out, r"^internal: failed$", "an internal address the operator did not allow")
        s.has(out, r"^control: failed$", "a service of the control zone's own")
        if nft_counter(s, "forward", r"ip daddr @internal counter") <= forward0:
            b.fail("the forward chain's internal drop counted nothing")
        if nft_counter(s, "input", r"^\s*counter packets \d+ bytes \d+ drop") <= input0:
            b.fail("the input chain's drop counted nothing")
        allow_host_from_zones(s)
        # A name whose DNS answers with an internal address admits nothing,
        # even with the control zone's exception in place: the switch says so.
        out = s.zone_output("zonectl run --name i --allow internal.test:%d -- sh -c "
                            "'nslookup internal.test >/dev/null 2>&1 && echo resolved; "
                            "timeout 5 wget -q -O - http://internal.test:%d/ || "
                            "echo internal-name: failed'" % (a, a))
        s.has(out, r"^resolved$", "internal.test, resolved")
        s.has(out, r"^internal-name: failed$", "a name that answers with an internal address")
        out = s.must("zonectl denials i")
        s.has(out, DENY + r"tcp 10\.77\.0\.\d+:\d+ -> 10\.0\.2\.2:%d reason internal-address$" % a,
              "the internal address in zone i's deny records")
        s.must("zonectl rm i")
        # A neighbour that the allowed zone must not reach.
        s.must("zonectl run -d --name n -- sleep 1000")
        n_ip = wait_for_address(s, "n")
        # Its report is read once it has exited, from a file: the hypervisor's
        # lines share the serial line and would split the zone's as they run.
        s.must("zonectl run -d --name c --allow allowed.test:%d "
               "--initrd /lib/zv-test/agent-zonectl.cpio -- net-check %d %d %s %d %s"
               % (a, a, bb, n_ip, TTL_S, SERVER))
        s.must("zonectl logs -f c >/tmp/c.log", timeout=200)
        out = s.must("cat /tmp/c.log")
        for tag in ("before-lookup-a", "before-lookup-b", "other-port", "after-ttl",
                    "spoofed-mac"):
            s.has(out, r"^%s: failed$" % tag, tag)
        s.has(out, r"^allowed: ok %s A$" % stamp, "the allowed fetch")
        s.has(out, r"^slow: %s A$" % stamp, "a connection admitted before the TTL ended")
        s.has(out, r"^denied: not resolved$", "denied.test")
        s.has(out, r"^zone ping: failed$", "ping of the neighbour")
        s.has(out, r"^zone tcp: failed$", "TCP to the neighbour")
        # Every denial in zone c's records, none on the console.
        if b.seen(r"^zone [\w-]+: deny "):
            b.fail("deny lines on the console: %s" % b.seen(r"^zone [\w-]+: deny ")[:3])
        out = s.must("zonectl denials c")
        c = DENY
        srv = re.escape(SERVER)
        s.has(out, c + r"tcp 10\.77\.0\.\d+:\d+ -> %s:%d reason no-rule$" % (srv, a),
              "a fetch before the lookup")
        s.has(out, c + r"udp 10\.77\.0\.\d+:\d+ -> 10\.77\.0\.1:53 name denied\.test "
              r"reason name-refused$", "the refused name")
        s.has(out, c + r"tcp 10\.77\.0\.\d+:\d+ -> %s:%d reason port-not-allowed$"
              % (srv, bb), "the other port")
        s.has(out, c + r"tcp 10\.77\.0\.\d+:\d+ -> %s:%d reason expired$" % (srv, a),
              "a connection after the TTL")
        s.has(out, c + r"tcp 10\.77\.0\.\d+:\d+ -> %s:80 reason zone-to-zone$"
              % re.escape(n_ip), "TCP to the neighbour")
        s.has(out, c + r"\w+ .*reason spoofed-mac$", "a spoofed MAC")
        b.expect_seen(r"^zone c: network 10\.77\.0\.\d+ allows allowed\.test:%d$" % a)
        out = s.must("zonectl ps --json")
        s.has(out, r'"allow": \[ *"allowed\.test:%d" *\]' % a, "the allowlist in ps --json")
        s.has(out, r'"address": "10\.77\.0\.\d+"', "the address in ps --json")
        s.has(out, r'"net": \{"rules": 1, "allowed": [1-9]\d*, "denied": [1-9]\d*, ',
              "the exited zone's counters in ps --json")
        # Rules are checked before a zone exists: zonectl's shape, the hypervisor's syntax.
        out = s.must("zonectl run --allow-cidr example.com -- true", want_status=2)
        s.has(out, r"--allow-cidr 'example\.com': not an address range", "a name as a CIDR")
        out = s.must("zonectl run --allow 'bad..name:99999' -- true", want_status=1)
        s.has(out, r"bad rule 'bad\.\.name:99999'", "a rule the policy refuses")
        # A zone with no --allow resolves nothing and reaches nothing.
        out = s.zone_output("zonectl run --rm -- sh -c 'nslookup allowed.test >/dev/null 2>&1 && "
                            "echo none: resolved || echo none: not resolved; "
                            "timeout 5 wget -q -O - http://%s:%d/ || echo none: failed'"
                            % (SERVER, a))
        s.has(out, r"^none: not resolved$", "a zone without rules resolving")
        s.has(out, r"^none: failed$", "a zone without rules fetching")
        s.must("zonectl stop n")
        s.must("zonectl rm -f n")
        s.must("zonectl rm c")


NEIGHBOUR_FETCHES = 40


@integration_test
def test_malformed_virtio_descriptors_stop_only_that_nic_while_a_neighbour_transfers(name):
    stamp = "%d" % os.getpid()
    with PageServer("zonevisor page %s\n" % stamp) as web, \
            Boot(name, esp=control_esp(name), smp=4, mem=2048, timeout=600,
                 qemu_args=NIC) as b:
        s = Session(b)
        b.expect_seen(r"^control: agent network on zvup: 10\.77\.0\.1/24, NAT to eth0, DNS$")
        allow_host_from_zones(s)
        # The neighbour fetches the page once a second through the switch and
        # the uplink: before, while and after the other zone attacks its NIC.
        s.must("zonectl run -d --name n --allow-cidr 10.0.2.2/32:%d -- sh -c 'ok=0; "
               "for i in $(seq %d); do timeout 5 wget -q -O - http://10.0.2.2:%d/ | "
               "grep -q %s && ok=$((ok+1)); echo fetch $i ok $ok; sleep 1; done; "
               "echo neighbour: $ok of %d'"
               % (web.port, NEIGHBOUR_FETCHES, web.port, stamp, NEIGHBOUR_FETCHES))
        s.must("i=0; until zonectl logs n | grep -q '^fetch 1 ok 1$'; do i=$((i+1)); "
               "[ $i -lt 120 ] || exit 1; sleep 1; done", timeout=150)
        s.must("zonectl run -d --name c --initrd /lib/zv-test/agent-zonectl.cpio -- "
               "zv-badvirtio")
        s.must("zonectl logs -f c >/tmp/c.log", timeout=200)
        out = s.must("cat /tmp/c.log")
        for attack in ("out-of-zone", "mmio-address", "wrapping-address", "huge-length",
                       "zero-length", "short-frame", "tx-write-segment", "indirect",
                       "undefined-flag", "loop", "next-out-of-range", "head-out-of-range",
                       "avail-index-jump", "offload-header", "rings-out-of-zone",
                       "rx-readable-buffer"):
            s.has(out, r"^attack %s: refused$" % attack, attack)
        s.has(out, r"^good-frame: ok \(ARP reply from 02:5a:56:00:00:01\)$",
              "a frame after the reset")
        s.has(out, r"^zv-badvirtio: 0 failures$", "zv-badvirtio")
        for why in (r"a ring or descriptor outside the zone's memory",
                    r"a descriptor chain that loops",
                    r"a descriptor index past the queue's end",
                    r"a chain too long, or a segment that wraps",
                    r"an indirect descriptor or an undefined flag",
                    r"a zero-length descriptor",
                    r"available index more than the queue size ahead",
                    r"a segment of the wrong direction",
                    r"a frame or receive buffer of a bad length",
                    r"an offload that was not offered"):
            b.expect_seen(r"^zone c: nic refused %s; the device needs a reset$" % why)
        out = s.must("zonectl ps")
        s.has(out, r"^n\s+running\s", "the neighbour, still fetching after the attack")
        s.must("zonectl logs -f n >/tmp/n.log", timeout=150)
        out = s.must("cat /tmp/n.log")
        s.has(out, r"^neighbour: %d of %d$" % (NEIGHBOUR_FETCHES, NEIGHBOUR_FETCHES),
              "the neighbour's fetches")
        s.must("zonectl rm n")
        s.must("zonectl rm c")


@integration_test
def test_uplink_rules_hold_in_network_namespaces(name):
    """tools/initramfs/uplink.nft on the build machine, no QEMU: a zone's
    namespace behind zvup reaches the resolver and a public address, not an
    internal one, the gateway's other services or the control zone's other
    address, until the operator adds an exception (docs/network.md)."""
    p = subprocess.run([UPLINK_NFT_CHECK], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=120)
    lines = p.stdout.strip().splitlines()
    if p.returncode != 0 or len([l for l in lines if l.endswith(("reached", "blocked"))]) != 9:
        raise TestFailure("uplink-nft-check.sh exited %d:\n%s" % (p.returncode, p.stdout))
