/* The audit log at boot (audit_start, hv/zone_api.h): its ring, clock and first records. */
#include "hv/bootinfo.h"
#include "hv/config.h"
#include "hv/console.h"
#include "hv/lib/sha256.h"
#include "hv/mem.h"
#include "hv/palloc.h"
#include "hv/time.h"
#include "hv/zone_api.h"
#include "zones/audit/reader.h"

static const struct audit_source hypervisor = {"", 0};

void audit_start(const struct zv_bootinfo *bi, const struct zv_config *conf)
{
	uint64_t ring = page_alloc(palloc_order_for(conf->audit_ring));
	struct audit_config c = {
		.ring_bytes = conf->audit_ring,
		/* fail closed needs a drain: without a control zone nothing reads
		 * the ring, and blocking would stop every zone once it is full */
		.full = conf->audit_drop || !zv_config_control(conf) ? AUDIT_FULL_DROP
								     : AUDIT_FULL_BLOCK,
		.share_pct = conf->audit_share,
		.ring = phys_to_virt(ring),
		.now_us = time_wallclock_us,
	};

	if (!ring) {
		kprintf("audit: no memory for a %lu KiB ring: the log is off\n",
			(unsigned long)(conf->audit_ring / 1024));
		return;
	}
	audit_init(&c);
	audit_boot_record(bi);
}

/*
 * The version, then one hypervisor.file record per file the loader loaded
 * (kernels, initramfs, disks, the config) with its SHA-256: a record each,
 * so sixteen long names never overflow one record's fields.  Hashing is the
 * boot's one pass over those bytes (~100 MB/s natively, slower under TCG).
 */
void audit_boot_record(const struct zv_bootinfo *bi)
{
	struct audit_fields f;

	audit_fields_init(&f);
	audit_str(&f, "version", ZV_VERSION);
	audit_u64(&f, "files", bi->file_count);
	audit_append(&hypervisor, "hypervisor.boot", &f);
	for (uint32_t i = 0; i < bi->file_count; i++) {
		const struct zv_file *file = &bi->files[i];
		uint8_t digest[SHA256_BYTES];
		struct sha256 h;

		sha256_init(&h);
		sha256_update(&h, phys_to_virt(file->addr), file->size);
		sha256_final(&h, digest);
		audit_fields_init(&f);
		audit_str(&f, "name", file->name);
		audit_u64(&f, "bytes", file->size);
		audit_hex(&f, "sha256", digest, SHA256_BYTES);
		audit_append(&hypervisor, "hypervisor.file", &f);
	}
}
