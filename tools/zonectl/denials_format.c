/* zonectl denials: a DENIALS reply as a table for people and JSON for programs (pure). */
#include "tools/zonectl/denials_format.h"

#include <stdio.h>
#include <string.h>

#define IP_FMT	    "%u.%u.%u.%u"
#define IP_ARGS(ip) (ip) >> 24, (ip) >> 16 & 0xff, (ip) >> 8 & 0xff, (ip)&0xff
#define MAC_FMT	    "%02x:%02x:%02x:%02x:%02x:%02x"
#define MAC_ARGS(m) (m)[0], (m)[1], (m)[2], (m)[3], (m)[4], (m)[5]
#define PROTO_ICMP  1 /* IANA protocol numbers */
#define PROTO_TCP   6
#define PROTO_UDP   17

static const char *kind_name(uint8_t kind)
{
	switch (kind) {
	case ZCTL_FRAME_ARP: return "arp";
	case ZCTL_FRAME_IPV4: return "ip";
	case ZCTL_FRAME_IPV6: return "ipv6";
	case ZCTL_FRAME_VLAN: return "vlan";
	default: return "eth";
	}
}

/* The part after the port, as switch_format_deny (zones/net/switch.c) writes it. */
static void format_ends(const struct zctl_frame *f, char *out, size_t cap)
{
	if (f->kind == ZCTL_FRAME_ARP)
		snprintf(out, cap, "arp " IP_FMT " -> " IP_FMT, IP_ARGS(f->src_ip),
			 IP_ARGS(f->dst_ip));
	else if (f->kind != ZCTL_FRAME_IPV4)
		snprintf(out, cap, "%s " MAC_FMT " -> " MAC_FMT, kind_name(f->kind),
			 MAC_ARGS(f->src_mac), MAC_ARGS(f->dst_mac));
	else if (f->proto == PROTO_TCP || f->proto == PROTO_UDP)
		snprintf(out, cap, "%s " IP_FMT ":%u -> " IP_FMT ":%u",
			 f->proto == PROTO_TCP ? "tcp" : "udp", IP_ARGS(f->src_ip), f->src_port,
			 IP_ARGS(f->dst_ip), f->dst_port);
	else if (f->proto == PROTO_ICMP)
		snprintf(out, cap, "icmp " IP_FMT " -> " IP_FMT " type %u", IP_ARGS(f->src_ip),
			 IP_ARGS(f->dst_ip), f->icmp_type);
	else
		snprintf(out, cap, "ip proto %u " IP_FMT " -> " IP_FMT, f->proto,
			 IP_ARGS(f->src_ip), IP_ARGS(f->dst_ip));
}

void zc_format_frame(const struct zctl_frame *f, char *out, size_t cap)
{
	char where[24], ends[128];

	if (f->port >= 0)
		snprintf(where, sizeof(where), "port %d", f->port);
	else
		snprintf(where, sizeof(where), "uplink");
	format_ends(f, ends, sizeof(ends));
	snprintf(out, cap, "%s %s", where, ends);
}

void zc_printable(const char *s, char *out, size_t cap)
{
	size_t i = 0;

	for (; s[i] && i + 1 < cap; i++)
		out[i] = s[i] > 0x20 && s[i] < 0x7f ? s[i] : '.';
	out[i] = '\0';
}

void zc_format_denial(const struct zctl_deny_record *r, char *out, size_t cap)
{
	char frame[160], name[ZCTL_DNS_NAME_LEN], reason[ZCTL_REASON_LEN];

	zc_format_frame(&r->frame, frame, sizeof(frame));
	zc_printable(r->name, name, sizeof(name));
	zc_printable(r->reason, reason, sizeof(reason));
	snprintf(out, cap, "deny %s%s%s reason %s", frame, name[0] ? " name " : "", name, reason);
}

void zc_format_ms(uint64_t ms, char *out, size_t cap)
{
	snprintf(out, cap, "%llu.%03llus", (unsigned long long)(ms / 1000),
		 (unsigned long long)(ms % 1000));
}

long zc_json_frame(const struct zctl_frame *f, char *out, size_t cap)
{
	char port[16];
	int n;

	if (f->port >= 0)
		snprintf(port, sizeof(port), "%d", f->port);
	else
		snprintf(port, sizeof(port), "null");
	n = snprintf(out, cap,
		     "{\"kind\": \"%s\", \"port\": %s, \"from_uplink\": %s, \"proto\": %u, "
		     "\"src\": \"" IP_FMT "\", \"src_port\": %u, \"dst\": \"" IP_FMT "\", "
		     "\"dst_port\": %u, \"icmp_type\": %u, \"src_mac\": \"" MAC_FMT "\", "
		     "\"dst_mac\": \"" MAC_FMT "\"}",
		     kind_name(f->kind), port, f->from_uplink ? "true" : "false", f->proto,
		     IP_ARGS(f->src_ip), f->src_port, IP_ARGS(f->dst_ip), f->dst_port, f->icmp_type,
		     MAC_ARGS(f->src_mac), MAC_ARGS(f->dst_mac));
	return n < 0 || (size_t)n >= cap ? -1 : n;
}

const char *zc_check_denials_reply(void *reply, size_t len)
{
	struct zctl_denials *d = reply;
	struct zctl_deny_reason *reasons = (struct zctl_deny_reason *)(d + 1);
	struct zctl_deny_record *records;
	uint64_t need;

	if (len < sizeof(*d))
		return "denials: reply shorter than its header";
	need = sizeof(*d) + (uint64_t)d->reasons * sizeof(*reasons) +
	       (uint64_t)d->records * sizeof(*records);
	if (d->reasons > 1024 || d->records > 65536 || need > len)
		return "denials: more reasons or records than the reply holds";
	records = (struct zctl_deny_record *)(reasons + d->reasons);
	for (uint32_t i = 0; i < d->reasons; i++)
		reasons[i].reason[ZCTL_REASON_LEN - 1] = '\0';
	for (uint32_t i = 0; i < d->records; i++) {
		records[i].reason[ZCTL_REASON_LEN - 1] = '\0';
		records[i].name[ZCTL_DNS_NAME_LEN - 1] = '\0';
	}
	return NULL;
}
