/* Which IPv4 destinations are internal: never admitted from a DNS answer. */
#ifndef ZV_NET_IPV4_SCOPE_H
#define ZV_NET_IPV4_SCOPE_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Pure C, freestanding.  An address is internal when it lies in one of the
 * special-purpose ranges of the IANA IPv4 Special-Purpose Address Registry
 * (RFC 6890) that are not globally reachable, or in multicast or class E:
 * loopback, "this network", link-local (169.254.169.254, the cloud metadata
 * service, included), RFC 1918 private, RFC 6598 shared (CGNAT), RFC 2544
 * benchmarking, the IETF protocol assignments, the RFC 5737 TEST-NETs,
 * multicast, reserved and the limited broadcast.  The agent network itself is
 * private (switch_init() refuses any other), so the gateway and every zone
 * are internal too.  docs/network.md, "Internal addresses".
 * ip is host order (a.b.c.d = a << 24 | ... | d).
 */
bool ipv4_is_internal(uint32_t ip);

#endif
