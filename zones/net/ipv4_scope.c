/* Which IPv4 destinations are internal: a table of special-purpose prefixes, each with its RFC. */
#include "zones/net/ipv4_scope.h"

struct ipv4_prefix {
	uint32_t net; /* host order, host bits zero */
	uint8_t len;
};

#define IPV4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

/* IANA IPv4 Special-Purpose Address Registry (RFC 6890), the entries that are
 * not globally reachable, plus multicast and class E. */
static const struct ipv4_prefix internal[] = {
	{IPV4(0, 0, 0, 0), 8},	     /* "this network", RFC 791 3.2 / RFC 1122 3.2.1.3 */
	{IPV4(10, 0, 0, 0), 8},	     /* private, RFC 1918 3 */
	{IPV4(100, 64, 0, 0), 10},   /* shared address space (carrier-grade NAT), RFC 6598 */
	{IPV4(127, 0, 0, 0), 8},     /* loopback, RFC 1122 3.2.1.3 */
	{IPV4(169, 254, 0, 0), 16},  /* link-local, RFC 3927 (169.254.169.254: cloud metadata) */
	{IPV4(172, 16, 0, 0), 12},   /* private, RFC 1918 3 */
	{IPV4(192, 0, 0, 0), 24},    /* IETF protocol assignments, RFC 6890 2.2.2 */
	{IPV4(192, 0, 2, 0), 24},    /* TEST-NET-1, RFC 5737 */
	{IPV4(192, 168, 0, 0), 16},  /* private, RFC 1918 3 */
	{IPV4(198, 18, 0, 0), 15},   /* benchmarking, RFC 2544 C.2.2 */
	{IPV4(198, 51, 100, 0), 24}, /* TEST-NET-2, RFC 5737 */
	{IPV4(203, 0, 113, 0), 24},  /* TEST-NET-3, RFC 5737 */
	{IPV4(224, 0, 0, 0), 4},     /* multicast, RFC 5771 */
	{IPV4(240, 0, 0, 0), 4},     /* reserved, RFC 1112 4; holds 255.255.255.255 (RFC 919 7) */
};

static bool in_prefix(uint32_t ip, const struct ipv4_prefix *p)
{
	uint32_t mask = ~0u << (32 - p->len); /* every len in the table is 4 to 24 */

	return (ip & mask) == p->net;
}

bool ipv4_is_internal(uint32_t ip)
{
	for (unsigned i = 0; i < sizeof(internal) / sizeof(internal[0]); i++)
		if (in_prefix(ip, &internal[i]))
			return true;
	return false;
}
