/* zonevisor.conf: the parsed form and the parser (pure; used by loader and hypervisor). */
#ifndef ZV_CONFIG_H
#define ZV_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#define ZV_CONF_MAX_ZONES	    16
#define ZV_CONF_NAME_LEN	    32
#define ZV_CONF_AUDIT_RING_DEFAULT  (1024 * 1024)
#define ZV_CONF_AUDIT_SHARE_DEFAULT 12
#define ZV_CONF_PATH_LEN	    64
#define ZV_CONF_ARGS_LEN	    256
#define ZV_CONF_ERR_LEN		    160
#define ZV_CONF_MAX_VCPUS	    4 /* zones/zone.h ZONE_MAX_VCPUS */

/* Deliberate faults for testing the exception path (docs/config.md). */
enum zv_debug_fault {
	ZV_FAULT_NONE = 0,
	ZV_FAULT_UD,	/* ud2 */
	ZV_FAULT_PF,	/* read of an unmapped address */
	ZV_FAULT_GP,	/* non-canonical address */
	ZV_FAULT_DE,	/* divide by zero */
	ZV_FAULT_STRAY, /* an NMI and interrupts on vectors 16-31 to itself: must be survived */
};

/* What the BSP does once every boot-time zone has ended. */
enum zv_on_idle {
	ZV_IDLE_HALT = 0, /* stay up, halted */
	ZV_IDLE_POWEROFF, /* power the machine off (tests) */
};

struct zv_zone_conf {
	char name[ZV_CONF_NAME_LEN];	  /* [a-z0-9_-], unique */
	char image[ZV_CONF_PATH_LEN];	  /* file on the ESP: Multiboot kernel or bzImage */
	char initrd[ZV_CONF_PATH_LEN];	  /* initramfs for a bzImage, or empty */
	char disk[ZV_CONF_PATH_LEN];	  /* a read-only disk's contents (vda), or empty */
	char args[ZV_CONF_ARGS_LEN];	  /* Multiboot command line */
	char after[ZV_CONF_NAME_LEN];	  /* start once this zone has been wiped */
	uint64_t memory;		  /* bytes, multiple of 2 MiB */
	uint32_t cpu;			  /* the first vCPU's logical CPU, never 0 (the BSP) */
	uint32_t cpus[ZV_CONF_MAX_VCPUS]; /* one distinct logical CPU per vCPU */
	uint32_t vcpu_count;		  /* 1 to ZV_CONF_MAX_VCPUS */
	uint32_t console;		  /* gets the hypervisor console's keyboard input */
	uint32_t control;		  /* the control zone: on CPU 0, identity-mapped */
};

struct zv_config {
	enum zv_debug_fault debug_fault;
	enum zv_on_idle on_idle;
	uint32_t verify_wipe;	     /* re-read wiped pages and report any non-zero byte */
	uint32_t dump_acpi;	     /* hex-dump RSDP, XSDT and MADT (captures for unit tests) */
	uint32_t console_timestamps; /* prefix zone console lines with time since zone start */
	char agent_kernel[ZV_CONF_PATH_LEN]; /* zonectl's default kernel, or "" */
	char agent_initrd[ZV_CONF_PATH_LEN]; /* zonectl's default initramfs, or "" */
	char agent_image[ZV_CONF_NAME_LEN];  /* zonectl run's image when it names none, or "" */
	uint64_t audit_ring;		     /* bytes of the audit log's ring (default 1M) */
	uint32_t audit_drop;		     /* audit_full = drop: 1; block (default): 0 */
	uint32_t audit_share;		     /* percent of the ring one agent zone may hold (12) */
	uint32_t zone_count;
	struct zv_zone_conf zones[ZV_CONF_MAX_ZONES];
};

/* The control zone of c, or NULL. */
const struct zv_zone_conf *zv_config_control(const struct zv_config *c);

/*
 * Parses `len` bytes of config text into *out.  Returns 0 on success; on
 * error returns -1 and writes "line N: what is wrong" into err (NUL
 * terminated, at most errlen bytes).  Never reads past text[len-1].
 */
int zv_config_parse(const char *text, size_t len, struct zv_config *out, char *err, size_t errlen);

#endif
