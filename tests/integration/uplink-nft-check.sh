#!/bin/bash
# uplink-nft-check.sh: tools/initramfs/uplink.nft, loaded into network
# namespaces on the build machine (root, iproute2, nft, python3), without
# QEMU: a zone namespace behind "zvup", the control zone's namespace running
# the rules, and an outside namespace holding an internal address (10.0.2.2,
# QEMU's host) and a public one.  Checks what a zone reaches, before and after
# the operator's exceptions; prints one line per check and exits 1 if any is
# wrong.  test_network.py checks the same rules in the real control zone.
#
# usage: sudo tests/integration/uplink-nft-check.sh [RULES]   (default: uplink.nft)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
rules=${1:-$top/tools/initramfs/uplink.nft}
[ "$(id -u)" -eq 0 ] || { echo "uplink-nft-check: needs root (ip netns)" >&2; exit 2; }
p=zvnft$$
bad=0
cleanup() { # the servers too: they hold our stdout open until their timeout
	for n in z c o; do
		ip netns pids $p$n 2>/dev/null | xargs -r kill 2>/dev/null
		ip netns del $p$n 2>/dev/null
	done
}
trap cleanup EXIT
ns() { local n=$1; shift; ip netns exec $p$n "$@"; }

for n in z c o; do ip netns add $p$n && ip -n $p$n link set lo up || exit 2; done
ip link add zv0 netns ${p}z type veth peer name zvup netns ${p}c
ip link add eth0 netns ${p}c type veth peer name eth0 netns ${p}o
ip -n ${p}z addr add 10.77.0.10/24 dev zv0 && ip -n ${p}z link set zv0 up
ip -n ${p}z route add default via 10.77.0.1
ip -n ${p}c addr add 10.77.0.1/24 dev zvup && ip -n ${p}c link set zvup up
ip -n ${p}c addr add 10.0.2.15/24 dev eth0 && ip -n ${p}c link set eth0 up
ip -n ${p}c route add default via 10.0.2.2
ip -n ${p}c addr add 192.0.2.1/32 dev lo
ip -n ${p}o addr add 10.0.2.2/24 dev eth0 && ip -n ${p}o addr add 93.184.216.34/32 dev eth0
ip -n ${p}o link set eth0 up
ns c sysctl -qw net.ipv4.ip_forward=1
ns c nft -f "$rules" || { echo "uplink-nft-check: nft -f $rules failed"; exit 1; }

serve_tcp() { # NS PORT: answers "hello" to every connection, for 30 s
	ns "$1" timeout 30 python3 -c "
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('0.0.0.0', $2)); s.listen(8)
while True:
    c, _ = s.accept(); c.sendall(b'hello'); c.close()" &
}
serve_tcp o 8000
serve_tcp c 22
serve_tcp c 5001
ns c timeout 30 python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('10.77.0.1', 53))
while True:
    d, a = s.recvfrom(512); s.sendto(d, a)" &
sleep 1

reach() { # PROTO ADDR PORT: does the zone get an answer?
	ns z timeout 3 python3 -c "
import socket, sys
if '$1' == 'udp':
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
    s.sendto(b'q', ('$2', $3)); s.recv(8)
else:
    socket.create_connection(('$2', $3), timeout=2).recv(8)" >/dev/null 2>&1
}
expect() { # WANT(reached|blocked) PROTO ADDR PORT WHAT
	local got=blocked
	reach "$2" "$3" "$4" && got=reached
	[ "$got" = "$1" ] || bad=1
	echo "$5 ($2 $3:$4): $got$([ "$got" = "$1" ] || echo ", expected $1")"
}
expect reached udp 10.77.0.1 53 "the resolver"
expect reached tcp 93.184.216.34 8000 "a public address"
expect blocked tcp 10.0.2.2 8000 "an internal address"
expect blocked tcp 10.77.0.1 22 "the gateway, not DNS"
expect blocked tcp 10.0.2.15 22 "the control zone's other address"
expect blocked tcp 192.0.2.1 5001 "a service of the control zone's"
ns c nft add element ip zv_uplink internal_allowed '{ 10.0.2.2 }'
ns c nft add element ip zv_uplink local_allowed '{ 192.0.2.1 . tcp . 5001 }'
expect reached tcp 10.0.2.2 8000 "an internal address, allowed by the operator"
expect reached tcp 192.0.2.1 5001 "a service, allowed by the operator"
expect blocked tcp 10.0.2.15 22 "the control zone's other address, still"
kill $(jobs -p) 2>/dev/null
exit $bad
