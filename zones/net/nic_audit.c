/* The agent network's audit records (nic_audit.h): structured fields, no hashing under a lock. */
#include "zones/net/nic_audit.h"

#include "hv/lib/fmt.h"
#include "hv/lib/string.h"
#include "zones/net/policy.h"
#include "zones/zone.h"

struct audit_source nic_audit_source(const struct zone *z)
{
	return (struct audit_source){z->name, z->id};
}

/* A free pending record for z, its fields begun; NULL when the frame made
 * more than NIC_AUDIT_PENDING (it cannot: one of its own, two refusals). */
static struct audit_fields *add(struct nic_audit *a, const struct zone *z, const char *type)
{
	struct nic_audit_record *r;

	if (a->count == NIC_AUDIT_PENDING)
		return NULL;
	r = &a->rec[a->count++];
	zv_strlcpy(r->zone, z->name, sizeof(r->zone));
	r->zone_id = z->id;
	r->type = type;
	audit_fields_init(&r->f);
	return &r->f;
}

#define IP_FMT	    "%u.%u.%u.%u"
#define IP_ARGS(ip) (ip) >> 24, (ip) >> 16 & 0xff, (ip) >> 8 & 0xff, (ip)&0xff
#define MAC_FMT	    "%02x:%02x:%02x:%02x:%02x:%02x"
#define MAC_ARGS(m) (m)[0], (m)[1], (m)[2], (m)[3], (m)[4], (m)[5]

static const char *proto_name(const struct switch_out *o)
{
	if (o->kind != PKT_KIND_IPV4)
		return o->kind == PKT_KIND_ARP	  ? "arp"
		       : o->kind == PKT_KIND_IPV6 ? "ipv6"
		       : o->kind == PKT_KIND_VLAN ? "vlan"
						  : "other";
	return o->proto == PKT_PROTO_TCP    ? "tcp"
	       : o->proto == PKT_PROTO_UDP  ? "udp"
	       : o->proto == PKT_PROTO_ICMP ? "icmp"
					    : "ip";
}

/* The 5-tuple as far as the frame parsed: addresses and ports, else MACs. */
static void frame_fields(struct audit_fields *f, const struct switch_out *o)
{
	char src[32], dst[32];
	bool ports = o->kind == PKT_KIND_IPV4 &&
		     (o->proto == PKT_PROTO_TCP || o->proto == PKT_PROTO_UDP);

	audit_str(f, "proto", proto_name(o));
	if (o->kind == PKT_KIND_IPV4 || o->kind == PKT_KIND_ARP) {
		zv_snprintf(src, sizeof(src), ports ? IP_FMT ":%u" : IP_FMT, IP_ARGS(o->src_ip),
			    o->src_port);
		zv_snprintf(dst, sizeof(dst), ports ? IP_FMT ":%u" : IP_FMT, IP_ARGS(o->dst_ip),
			    o->dst_port);
	} else {
		zv_snprintf(src, sizeof(src), MAC_FMT, MAC_ARGS(o->src_mac));
		zv_snprintf(dst, sizeof(dst), MAC_FMT, MAC_ARGS(o->dst_mac));
	}
	audit_str(f, "src", src);
	audit_str(f, "dst", dst);
	if (o->kind == PKT_KIND_IPV4 && o->proto == PKT_PROTO_ICMP)
		audit_u64(f, "icmp_type", o->icmp_type);
	if (o->from_uplink)
		audit_str(f, "from", "uplink");
}

void nic_audit_deny(struct nic_audit *a, const struct zone *z, const struct switch_out *o,
		    const struct deny_log *log, bool kept, struct nic_deny_summary *s,
		    uint64_t now_ms)
{
	uint64_t unrecorded = deny_log_unrecorded(log);
	struct audit_fields *f;

	if (!kept && (unrecorded == s->summarised ||
		      (s->last_ms && now_ms - s->last_ms < NIC_AUDIT_SUMMARY_MS)))
		return;
	f = add(a, z, kept ? "net.deny" : "net.deny_summary");
	if (!f)
		return;
	if (!kept) {
		audit_u64(f, "unrecorded", unrecorded - s->summarised);
		audit_u64(f, "unrecorded_total", unrecorded);
		audit_u64(f, "denied_total", log->total);
		audit_u64(f, "since_ms", s->last_ms);
		s->summarised = unrecorded;
		s->last_ms = now_ms;
	}
	audit_str(f, "reason", switch_reason_name(o->reason));
	frame_fields(f, o);
	if (o->name[0])
		audit_str(f, "name", o->name);
}

void nic_audit_admit(struct nic_audit *a, const struct zone *z, const struct switch_out *o)
{
	struct audit_fields *f = add(a, z, "net.admit");

	if (!f)
		return;
	frame_fields(f, o);
	audit_str(f, "rule", policy_verdict_name(o->verdict));
}

void nic_audit_resolved(struct nic_audit *a, const struct zone *z, const struct switch_out *o)
{
	struct audit_fields *f = add(a, z, "net.resolved");

	if (f)
		audit_str(f, "name", o->name);
}

void nic_audit_refused(struct nic_audit *a, const struct zone *z, const char *device,
		       const char *why)
{
	struct audit_fields *f = add(a, z, "device.refused");

	if (!f)
		return;
	audit_str(f, "device", device);
	audit_str(f, "why", why);
}

void nic_audit_flush(struct nic_audit *a)
{
	for (unsigned i = 0; i < a->count; i++) {
		struct audit_source src = {a->rec[i].zone, a->rec[i].zone_id};

		audit_append(&src, a->rec[i].type, &a->rec[i].f);
	}
	a->count = 0;
}
