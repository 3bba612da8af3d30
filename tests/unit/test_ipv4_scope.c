/* Unit tests of the internal-address table (zones/net/ipv4_scope.c): every prefix's edges. */
#include "tests/unit/test.h"
#include "zones/net/ipv4_scope.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

/* Each internal prefix: its first and last address, and the addresses just
 * outside it (where those are not internal for another reason). */
static const struct {
	const char *range;
	uint32_t first, last, before, after; /* before/after 0: none to check */
} edges[] = {
	{"0.0.0.0/8", IP(0, 0, 0, 0), IP(0, 255, 255, 255), 0, IP(1, 0, 0, 0)},
	{"10.0.0.0/8", IP(10, 0, 0, 0), IP(10, 255, 255, 255), IP(9, 255, 255, 255),
	 IP(11, 0, 0, 0)},
	{"100.64.0.0/10", IP(100, 64, 0, 0), IP(100, 127, 255, 255), IP(100, 63, 255, 255),
	 IP(100, 128, 0, 0)},
	{"127.0.0.0/8", IP(127, 0, 0, 0), IP(127, 255, 255, 255), IP(126, 255, 255, 255),
	 IP(128, 0, 0, 0)},
	{"169.254.0.0/16", IP(169, 254, 0, 0), IP(169, 254, 255, 255), IP(169, 253, 255, 255),
	 IP(169, 255, 0, 0)},
	{"172.16.0.0/12", IP(172, 16, 0, 0), IP(172, 31, 255, 255), IP(172, 15, 255, 255),
	 IP(172, 32, 0, 0)},
	{"192.0.0.0/24", IP(192, 0, 0, 0), IP(192, 0, 0, 255), IP(191, 255, 255, 255),
	 IP(192, 0, 1, 0)},
	{"192.0.2.0/24", IP(192, 0, 2, 0), IP(192, 0, 2, 255), IP(192, 0, 1, 255),
	 IP(192, 0, 3, 0)},
	{"192.168.0.0/16", IP(192, 168, 0, 0), IP(192, 168, 255, 255), IP(192, 167, 255, 255),
	 IP(192, 169, 0, 0)},
	{"198.18.0.0/15", IP(198, 18, 0, 0), IP(198, 19, 255, 255), IP(198, 17, 255, 255),
	 IP(198, 20, 0, 0)},
	{"198.51.100.0/24", IP(198, 51, 100, 0), IP(198, 51, 100, 255), IP(198, 51, 99, 255),
	 IP(198, 51, 101, 0)},
	{"203.0.113.0/24", IP(203, 0, 113, 0), IP(203, 0, 113, 255), IP(203, 0, 112, 255),
	 IP(203, 0, 114, 0)},
	{"224.0.0.0/4", IP(224, 0, 0, 0), IP(239, 255, 255, 255), IP(223, 255, 255, 255), 0},
	{"240.0.0.0/4", IP(240, 0, 0, 0), IP(255, 255, 255, 255), 0, 0},
};

TEST(ipv4_scope_every_prefix_edge)
{
	for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
		if (!ipv4_is_internal(edges[i].first) || !ipv4_is_internal(edges[i].last))
			printf("  %s: first or last not internal\n", edges[i].range);
		CHECK(ipv4_is_internal(edges[i].first));
		CHECK(ipv4_is_internal(edges[i].last));
		if (edges[i].before && ipv4_is_internal(edges[i].before))
			printf("  %s: the address before it is internal\n", edges[i].range);
		CHECK(!edges[i].before || !ipv4_is_internal(edges[i].before));
		if (edges[i].after && ipv4_is_internal(edges[i].after))
			printf("  %s: the address after it is internal\n", edges[i].range);
		CHECK(!edges[i].after || !ipv4_is_internal(edges[i].after));
	}
}

TEST(ipv4_scope_addresses_an_attacker_would_name)
{
	CHECK(ipv4_is_internal(IP(169, 254, 169, 254))); /* cloud metadata service */
	CHECK(ipv4_is_internal(IP(127, 0, 0, 1)));
	CHECK(ipv4_is_internal(IP(10, 77, 0, 1)));	 /* the gateway on the agent network */
	CHECK(ipv4_is_internal(IP(10, 77, 0, 11)));	 /* a neighbour zone */
	CHECK(ipv4_is_internal(IP(10, 0, 2, 2)));	 /* QEMU's host, from the control zone */
	CHECK(ipv4_is_internal(IP(100, 100, 100, 200))); /* a CGNAT-range metadata service */
	CHECK(ipv4_is_internal(IP(255, 255, 255, 255)));
	CHECK(ipv4_is_internal(IP(224, 0, 0, 251))); /* mDNS */
}

TEST(ipv4_scope_public_addresses_are_not_internal)
{
	CHECK(!ipv4_is_internal(IP(1, 1, 1, 1)));
	CHECK(!ipv4_is_internal(IP(8, 8, 8, 8)));
	CHECK(!ipv4_is_internal(IP(93, 184, 216, 34)));
	CHECK(!ipv4_is_internal(IP(151, 101, 2, 132)));
	CHECK(!ipv4_is_internal(IP(140, 82, 112, 3)));
	CHECK(!ipv4_is_internal(IP(223, 255, 255, 254)));
}
