/*
 * What the control channel's files share (zones/control/): the zone records,
 * the uploads, the request being served and its reply.  Everything here is
 * under ctl.lock: BSP requests against the zone CPUs' callbacks.
 */
#ifndef ZV_ZONES_CONTROL_INTERNAL_H
#define ZV_ZONES_CONTROL_INTERNAL_H

#include "hv/spinlock.h"
#include "zones/control/control.h"
#include "zones/net/deny_log.h"
#include "zones/spawn.h"
#include "zones/storage/store.h"
#include "zones/zone.h"

#define LOG_BYTES  (16 * 1024) /* console bytes kept per zone */
#define LOGS_REPLY (sizeof(struct zctl_logs) + LOG_BYTES)
#define DENIALS_REPLY                                                                          \
	(sizeof(struct zctl_denials) + SWITCH_REASON_COUNT * sizeof(struct zctl_deny_reason) + \
	 DENY_LOG_RECORDS * sizeof(struct zctl_deny_record))
#define WS_READ_REPLY (sizeof(struct zctl_ws_read) + ZCTL_WS_READ_MAX)
#define AUDIT_REPLY   (sizeof(struct zctl_audit_read) + ZCTL_AUDIT_READ_MAX)
#define MAX2(a, b)    ((a) > (b) ? (a) : (b))
#define REPLY_BYTES                                                          \
	(sizeof(struct zctl_resp_hdr) +                                      \
	 MAX2(MAX2(MAX2(LOGS_REPLY, sizeof(struct zctl_ps)), DENIALS_REPLY), \
	      MAX2(MAX2(WS_READ_REPLY, AUDIT_REPLY), sizeof(struct zctl_image_ls))))
#define ORDER_LIMIT  14 /* 64 MiB, ZCTL_UPLOAD_MAX */
#define CTL_WIPE_MAX 4	/* a request detaches 2 stores at most (WORKSPACE_WRITE, RUN) */

/* A zone's workspace: the record owns it from RUN until rm. */
struct workspace {
	struct store *store; /* NULL = none */
};

struct record {
	bool used;
	char name[ZCTL_NAME_LEN];
	uint32_t zone_id; /* struct zone's id: the audit log's */
	enum zctl_state state;
	struct zone *zone; /* while running; cleared (under lock) before the wipe */
	int exit_status;
	bool auto_rm;
	uint64_t mem_bytes;
	uint32_t vcpus, cpu_mask;
	uint64_t start_tsc, end_tsc;
	uint64_t request_tsc; /* when its run request arrived */
	bool init_seen;	      /* its /init has printed its first line */
	uint64_t exits;
	uint64_t overhead_bytes;
	char reason[ZCTL_MESSAGE_LEN];
	struct zctl_net net;	    /* once it stopped: its NIC's last figures */
	char allow[ZCTL_ALLOW_LEN]; /* its rules, canonical, one per line */
	struct deny_log *denials;   /* once it stopped: its NIC's deny records (pool pages) */
	struct workspace ws;
	uint32_t disk_count; /* once it stopped: its disks' last figures */
	struct zctl_disk disks[ZCTL_MAX_DISKS];
	char image[ZCTL_NAME_LEN]; /* the image it runs on; "" = none */
	uint8_t image_sha256[32];
	uint64_t log_total; /* bytes ever written; the ring holds the last LOG_BYTES */
	uint64_t console_audited, console_unaudited; /* bytes recorded in the audit log, not */
	char log[LOG_BYTES];
};

struct upload {
	uint64_t addr; /* pool pages, or 0 */
	unsigned order;
	uint64_t total, received;
};

struct request {
	struct zone *cz; /* the control zone */
	struct zctl_req_hdr hdr;
	uint32_t len;
	uint32_t reply_len; /* body bytes after the reply header */
};

struct control_state {
	struct spinlock lock;
	struct record records[ZCTL_MAX_ZONES];
	struct upload uploads[ZCTL_SLOT_COUNT];
	const struct zv_file *default_kernel, *default_initrd;
	char default_image[ZCTL_NAME_LEN]; /* zonevisor.conf agent_image, or "" */
	uint64_t zones_started, ended_exits, last_overhead;
	bool verify_wipe;
	struct store *staged_ws; /* WORKSPACE_WRITE's, for the next RUN */
	/* Stores a request detached (a removed zone's workspace, a dropped
	 * staged one): wiped once ctl.lock is dropped, before the reply. */
	struct store *wipe[CTL_WIPE_MAX];
};

extern struct control_state ctl;

/* Writes the error message into the reply; returns e (channel.c). */
int ctl_refuse(struct request *q, enum zctl_error e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The reply's body, after its header (channel.c). */
void *ctl_reply_body(void);

/* Records (records.c). */
struct record *ctl_find_record(const char *name);
struct record *ctl_free_record(void);
/* Frees the record's slot; returns its workspace's store, detached, for the
 * caller to wipe once ctl.lock is dropped (store_destroy; NULL = none). */
struct store *ctl_forget(struct record *r);
/* A request's: s (NULL is fine) is wiped by ctl_wipe_deferred. */
void ctl_defer_wipe(struct store *s);
/* The BSP, after a request, ctl.lock dropped, before the reply: wipes and
 * frees what the request detached, its own stores and the images' (a wipe
 * zeroes up to 64 GiB: under ctl.lock it would stall every zone's console). */
void ctl_wipe_deferred(void);
uint64_t ctl_tsc_to_us(uint64_t d);
uint64_t ctl_zone_exits(const struct zone *z);
/* A stopped zone's NIC figures, for its record. */
void ctl_net_figures(const struct zone *z, struct zctl_net *o);
/* The zone callbacks a record gets (struct zone_spec). */
void ctl_on_console_line(void *ctx, const char *line);
void ctl_on_stopped(void *ctx, struct zone *z);
void ctl_on_ended(void *ctx, int status);

/* CPUs no zone holds: up to want of them into list, their count (run.c). */
uint32_t ctl_free_cpus(uint32_t *list, uint32_t want);

/* The operations (run.c, ops.c); each returns 0 or a ZCTL_E_* with the reply written. */
int ctl_op_run(struct request *q, const struct zctl_run *run);
int ctl_op_upload(struct request *q, const struct zctl_upload *up);
int ctl_op_ps(struct request *q);
int ctl_op_logs(struct request *q, const struct zctl_logs_req *lr);
int ctl_op_stop(struct request *q, const struct zctl_name *nm);
int ctl_op_rm(struct request *q, const struct zctl_name *nm);
int ctl_op_stats(struct request *q);
int ctl_op_denials(struct request *q, const struct zctl_denials_req *d);
void ctl_fill_zone(const struct record *r, struct zctl_zone *o);
/* The record of zone `name`, or NULL with the refusal written (ops.c). */
struct record *ctl_named(struct request *q, const char name[ZCTL_NAME_LEN], int *err);

/* Images and workspaces (storage.c). */
void ctl_storage_init(void);
int ctl_op_image_load(struct request *q, const struct zctl_image_load *l);
int ctl_op_image_ls(struct request *q);
int ctl_op_image_rm(struct request *q, const struct zctl_name *nm);
int ctl_op_ws_write(struct request *q, const struct zctl_ws_write *w);
int ctl_op_ws_read(struct request *q, const struct zctl_ws_read_req *rq);
void ctl_drop_staged_workspace(void);
/* RUN: its image exists and its workspace is staged; 0 or the refusal. */
int ctl_check_disks(struct request *q, const struct zctl_run *run);
/* RUN, after prepare: the image's disk, then the staged workspace's, into s
 * (the workspace passes to r). */
void ctl_fill_disks(struct record *r, const struct zctl_run *run, struct zone_spec *s);
/* Detaches r's workspace for ctl_wipe_deferred. */
void ctl_free_workspace(struct record *r);
/* ps: the image's name and digest, the workspace's size and pool bytes,
 * the disks' figures (a running zone's live, under ctl.lock). */
void ctl_fill_storage(const struct record *r, struct zctl_zone *o);
/* z's disks' figures into disks (ZCTL_MAX_DISKS entries); their count.  On
 * any CPU while z's disks exist: blk.c's locks keep them from going. */
uint32_t ctl_disk_figures(const struct zone *z, struct zctl_disk *disks);

/* The audit log (audit.c): its ops, the record of a request once served
 * (body NULL if the header was refused), the control zone's trust. */
int ctl_op_audit_read(struct request *q, const struct zctl_audit_read_req *rq);
int ctl_op_audit_head(struct request *q);
int ctl_op_session(struct request *q, const struct zctl_session_report *s);
void ctl_audit_request(const struct request *q, const void *body, int err, const char *message);
void ctl_audit_trust(const struct zone *cz);
/* A zone's life (audit_zone.c), each under ctl.lock. */
void ctl_audit_started(const struct record *r);
void ctl_audit_stopped(const struct record *r, bool fault);
void ctl_audit_deny_totals(const struct record *r);
void ctl_audit_wiped(const struct record *r, uint64_t bytes);
void ctl_audit_removed(const struct record *r);
void ctl_audit_console(struct record *r, const char *line);

#endif
