/* The hypervisor's one audit log (audit.h, reader.h) over the pure core in log.c. */
#include "hv/lib/string.h"
#include "zones/audit/log.h"

static struct audit_log the_log;
static bool log_on; /* set once at boot, before any zone runs */

void audit_init(const struct audit_config *c)
{
	log_on = audit_log_init(&the_log, c);
}

void audit_trust_zone(uint32_t zone_id)
{
	if (log_on)
		audit_log_trust(&the_log, zone_id);
}

bool audit_append(const struct audit_source *src, const char *type, const struct audit_fields *f)
{
	return log_on && audit_log_append(&the_log, src, type, f);
}

bool audit_would_block(const struct audit_source *src)
{
	return log_on && audit_log_would_block(&the_log, src);
}

void audit_head(struct audit_head *out)
{
	struct merkle empty;

	if (log_on) {
		audit_log_head(&the_log, out);
		return;
	}
	merkle_init(&empty);
	out->size = 0;
	merkle_root(&empty, out->root);
}

size_t audit_read(uint64_t since, char *buf, size_t cap, uint64_t *first, uint64_t *next)
{
	if (log_on)
		return audit_log_read(&the_log, since, buf, cap, first, next);
	*first = *next = 0;
	return 0;
}

void audit_ack(uint64_t upto)
{
	if (log_on)
		audit_log_ack(&the_log, upto);
}

void audit_stats(struct audit_stats *out)
{
	if (log_on) {
		audit_log_stats(&the_log, out);
		return;
	}
	zv_memset(out, 0, sizeof(*out));
}
