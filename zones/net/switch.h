/* The agent-network switch: pinned ports, ARP and DNS answered by it, allowlists enforced. */
#ifndef ZV_NET_SWITCH_H
#define ZV_NET_SWITCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zones/net/dns.h"
#include "zones/net/packet.h"
#include "zones/net/policy.h"

/*
 * Pure C, freestanding, no allocation: the caller provides struct net_switch,
 * each port's struct policy and each call's struct switch_out.  No device
 * knowledge: the caller hands in a frame (no FCS) and carries out the
 * decision.  Calls on one switch must not run concurrently (one lock per
 * switch in the caller); a struct switch_out belongs to one call at a time.
 *
 * The network is one IPv4 /24: the uplink (the control zone) is the gateway
 * and resolver at .1; every agent port has a pinned MAC and address in it.
 * docs/network.md ("The switch") gives every rule.
 */

#define SWITCH_MAX_PORTS      64
#define SWITCH_DNS_PENDING    32       /* DNS queries in flight per port */
#define SWITCH_DNS_TIMEOUT_MS 10000ull /* an unanswered query is forgotten after this */
#define SWITCH_REPLY_MAX      512      /* ARP reply 42; REFUSED at most 42 + 12 + 255 + 4 */
#define SWITCH_DENY_LINE_MAX  400      /* switch_format_deny(): a 253-character name fits */

/* What the caller does with the frame. */
enum switch_action {
	SWITCH_DROP = 0,  /* nothing */
	SWITCH_TO_UPLINK, /* send the frame, unchanged, to the uplink */
	SWITCH_TO_PORT,	  /* send the frame, unchanged, to agent port out->port */
	SWITCH_REPLY, /* send out->reply (out->reply_len bytes) back where the frame came from */
};

/* Why a frame was denied; SWITCH_PASS when it was not.  Names: switch_reason_name(). */
enum switch_reason {
	SWITCH_PASS = 0,
	/* The frame does not parse: named as pkt_err_name() names the error. */
	SWITCH_DENY_TRUNCATED,
	SWITCH_DENY_ETHERTYPE,
	SWITCH_DENY_ARP_FORMAT,
	SWITCH_DENY_ARP_OP,
	SWITCH_DENY_IP_VERSION,
	SWITCH_DENY_IP_IHL,
	SWITCH_DENY_IP_TOTAL_LEN,
	SWITCH_DENY_IP_CHECKSUM,
	SWITCH_DENY_IP_FRAGMENT,
	SWITCH_DENY_IP_MORE_FRAGMENTS,
	SWITCH_DENY_TCP_OFFSET,
	SWITCH_DENY_UDP_LENGTH,
	SWITCH_DENY_L4_TRUNCATED,
	SWITCH_DENY_MALFORMED, /* a parse error this table does not know */
	/* Addresses and layer 2. */
	SWITCH_DENY_NO_SUCH_PORT,     /* no agent port with that number, or that MAC and address */
	SWITCH_DENY_SPOOFED_MAC,      /* source (or ARP sender) MAC not the port's pinned MAC */
	SWITCH_DENY_SPOOFED_IP,	      /* source (or ARP sender) address not the pinned one */
	SWITCH_DENY_IPV6,	      /* no IPv6 rules exist yet */
	SWITCH_DENY_VLAN,	      /* 802.1Q tagged */
	SWITCH_DENY_BROADCAST,	      /* broadcast or multicast, other than an ARP request */
	SWITCH_DENY_MARTIAN,	      /* to 0.0.0.0/8 or 127.0.0.0/8 (RFC 1122 3.2.1.3) */
	SWITCH_DENY_IP_OPTIONS,	      /* IPv4 options from a zone (source routing) */
	SWITCH_DENY_ZONE_TO_ZONE,     /* to (or ARP for) another address of the agent network */
	SWITCH_DENY_ARP_NOT_ANSWERED, /* ARP request for an address the switch does not answer */
	SWITCH_DENY_ARP_REPLY,	      /* ARP reply: only the switch answers ARP */
	SWITCH_DENY_GRATUITOUS_ARP,   /* ARP request for the sender's own address */
	SWITCH_DENY_GATEWAY,	      /* to the gateway other than DNS (UDP 53), or from it */
	/* DNS. */
	SWITCH_DENY_DNS_MALFORMED,    /* dns_parse() refused it, or not a QUERY */
	SWITCH_DENY_DNS_PENDING_FULL, /* SWITCH_DNS_PENDING queries of this port in flight */
	SWITCH_DENY_UNSOLICITED_DNS,  /* an answer that matches no query in flight */
	SWITCH_DENY_NAME,	      /* the policy refuses the name: answered REFUSED */
	/* Connections: the policy's deny verdicts, named as policy_verdict_name() names them. */
	SWITCH_DENY_NO_RULE,
	SWITCH_DENY_EXPIRED,
	SWITCH_DENY_PORT,
	SWITCH_DENY_PROTO,
	SWITCH_DENY_ICMP,
	SWITCH_DENY_CONN_FULL,
	SWITCH_DENY_INTERNAL,
	SWITCH_DENY_NO_CONNECTION, /* not a new connection (TCP non-SYN, inbound) and not tracked */
	SWITCH_DENY_AUDIT_FULL,	   /* a new connection while the port's hold_new is set */
	SWITCH_REASON_COUNT,
};

/* One port's decisions (the uplink's: frames that concern no agent port). */
struct switch_counters {
	uint64_t allowed;		      /* frames forwarded, delivered or answered */
	uint64_t denied;		      /* frames dropped, and queries answered REFUSED */
	uint64_t reason[SWITCH_REASON_COUNT]; /* denied, by reason */
	uint64_t bytes_to_uplink;	      /* bytes of the zone's frames forwarded */
	uint64_t bytes_to_zone;		      /* bytes of frames delivered to the zone */
};

/* A DNS query of the zone's that went to the resolver, awaiting its answer. */
struct switch_dns_query {
	uint64_t deadline_ms; /* forgotten at this time; 0 = free slot */
	uint16_t id, src_port, qtype, qclass;
	char name[DNS_NAME_MAX + 1];
};

struct switch_port {
	bool used;
	uint8_t mac[PKT_MAC_LEN];
	uint32_t ip;
	struct policy *policy; /* the caller's; the switch only calls policy.h on it */
	/* Set by the caller: the audit log has no room for this zone's records
	 * (fail-closed mode), so a new connection, which it would record, is
	 * denied until there is room; tracked ones go on. */
	bool hold_new;
	struct switch_counters count;
	struct switch_dns_query pending[SWITCH_DNS_PENDING];
};

struct net_switch {
	uint32_t net; /* a.b.c.0, host order */
	uint32_t gw_ip;
	uint8_t gw_mac[PKT_MAC_LEN];
	uint8_t by_host[256]; /* last octet of a port's address -> port number + 1; 0 = none */
	struct switch_counters uplink;
	struct switch_port port[SWITCH_MAX_PORTS];
};

/*
 * One decision.  action says what to do; reason != SWITCH_PASS means a deny
 * (a REFUSED answer is a deny with action SWITCH_REPLY), and the fields
 * below describe the frame for the audit line, as far as it parsed.
 */
struct switch_out {
	enum switch_action action;
	enum switch_reason reason;
	int port;	  /* the agent port concerned (SWITCH_TO_PORT: the destination), or -1 */
	bool from_uplink; /* the frame came from the uplink */
	enum pkt_kind kind;
	uint8_t proto; /* IPv4 protocol */
	uint8_t icmp_type;
	uint8_t src_mac[PKT_MAC_LEN], dst_mac[PKT_MAC_LEN];
	uint32_t src_ip, dst_ip;     /* ARP: sender and target protocol addresses */
	uint16_t src_port, dst_port; /* TCP and UDP */
	char name[DNS_NAME_MAX + 1]; /* the DNS question, when the frame is a query or an answer */
	bool admitted;		     /* it opened a new connection (the audit log's net.admit) */
	enum policy_verdict verdict; /* admitted: what admitted it (allow-cidr, allow-learned) */
	size_t reply_len;
	uint8_t reply[SWITCH_REPLY_MAX];
	struct dns_msg dns; /* scratch for dns_parse() */
};

/* Empties sw for the network net/24 (net: a.b.c.0, host order; internal by
 * ipv4_is_internal() but not 0/8, 127/8 or multicast) whose gateway a.b.c.1
 * is the uplink, with MAC gw_mac (unicast, not zero).  Returns 0, or -1 if
 * an argument is refused (sw is then not usable). */
int switch_init(struct net_switch *sw, uint32_t net, const uint8_t gw_mac[PKT_MAC_LEN]);

/*
 * Adds an agent port pinned to mac (unicast, not zero, not the gateway's,
 * no other port's) and ip (in the network, not .0, .1 or .255, no other
 * port's), deciding with policy (initialized by the caller, kept by it).
 * Returns the port number (0 .. SWITCH_MAX_PORTS - 1), or -1 if refused or full.
 */
int switch_add_port(struct net_switch *sw, const uint8_t mac[PKT_MAC_LEN], uint32_t ip,
		    struct policy *policy);

/* Takes port out of the switch (its queries in flight are forgotten, its
 * counters cleared); its policy is the caller's to wipe.  No-op if unused. */
void switch_remove_port(struct net_switch *sw, unsigned port);

/*
 * Decides a frame (len bytes, no FCS) that agent port sent, at now_ms (the
 * clock the port's policy uses).  Fills *out and returns out->action:
 * SWITCH_TO_UPLINK, SWITCH_REPLY (ARP for the gateway; REFUSED for a
 * refused name) or SWITCH_DROP.  Never reads outside frame[0..len).
 */
enum switch_action switch_from_agent(struct net_switch *sw, unsigned port, const uint8_t *frame,
				     size_t len, uint64_t now_ms, struct switch_out *out);

/*
 * Decides a frame from the uplink: SWITCH_TO_PORT (out->port), SWITCH_REPLY
 * (ARP for an agent's address) or SWITCH_DROP.  DNS answers to a query in
 * flight admit their A records in the port's policy before delivery.
 */
enum switch_action switch_from_uplink(struct net_switch *sw, const uint8_t *frame, size_t len,
				      uint64_t now_ms, struct switch_out *out);

/* "spoofed-mac", "no-rule", "ip-checksum", ...; "unknown" for anything else. */
const char *switch_reason_name(enum switch_reason r);

/*
 * The audit line of a deny, without newline:
 * "deny port 0 udp 10.77.0.10:40000 -> 10.77.0.1:53 name denied.test reason name-refused".
 * Writes at most len bytes (NUL-terminated if len > 0; SWITCH_DENY_LINE_MAX is
 * enough) and returns the length of the whole line, or 0 if out is no deny.
 */
size_t switch_format_deny(const struct switch_out *out, char *buf, size_t len);

#endif
