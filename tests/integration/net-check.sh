#!/bin/sh
# Run inside an agent zone by test_network.py (packed into the test's agent
# initramfs as /bin/net-check): what a zone with --allow allowed.test:A can
# and cannot reach.  One line per check, "CHECK: ok ..." or "CHECK: failed".
# usage: net-check PORT_A PORT_B NEIGHBOUR_IP TTL_S SERVER_IP
# (SERVER_IP: what allowed.test resolves to)
a=$1 b=$2 neighbour=$3 ttl=$4 server=$5

fetch() { # TAG URL
	# (timeout, not wget -T: Debian's busybox 1.35 wget crashes with -T)
	if out=$(timeout 5 wget -q -O - "$2" 2>/dev/null); then
		echo "$1: ok $out"
	else
		echo "$1: failed"
	fi
}

# Before any lookup the address is admitted on no port.
fetch before-lookup-a "http://$server:$a/"
fetch before-lookup-b "http://$server:$b/"
if nslookup denied.test >/dev/null 2>&1; then echo "denied: resolved"; else echo "denied: not resolved"; fi
# A slow page, started now, must finish after the TTL has passed.
wget -q -O /tmp/slow "http://allowed.test:$a/slow" &
fetch allowed "http://allowed.test:$a/"
fetch other-port "http://$server:$b/"
sleep $((ttl + 2))
fetch after-ttl "http://$server:$a/"
wait
echo "slow: $(cat /tmp/slow)"
# The neighbour zone: ping, and TCP with a MAC put in the ARP table by hand.
if ping -c 1 -W 2 "$neighbour" >/dev/null; then echo "zone ping: ok"; else echo "zone ping: failed"; fi
port=$((${neighbour##*.} - 10)) # zones/net/nic.h: port p is .(10 + p), MAC 02:5a:56:01:PP:PP
mac=$(printf '02:5a:56:01:%02x:%02x' $((port >> 8)) $((port & 255)))
arp -i eth0 -s "$neighbour" "$mac"
if nc -w 2 "$neighbour" 80 </dev/null; then echo "zone tcp: ok"; else echo "zone tcp: failed"; fi
# Another MAC: the switch pins each port's.
ip link set eth0 down
ip link set eth0 address 02:5a:56:01:00:99
ip link set eth0 up
ip route replace default via 10.77.0.1
sleep 1
fetch spoofed-mac "http://allowed.test:$a/"
exit 0
