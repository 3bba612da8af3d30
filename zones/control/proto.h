/*
 * The control channel's wire format (version 5), shared by the hypervisor
 * (zones/control/) and zonectl (tools/zonectl/).  docs/control.md has the
 * prose.  Only the control zone has the channel: its I/O ports below exist
 * in no agent zone (they read all-ones there), and the window is a page
 * range of the control zone's own low memory that no other zone maps.
 *
 * A request: zonectl (root: ioperm and /dev/mem need CAP_SYS_RAWIO) writes
 * a struct zctl_req_hdr and the op's body at the start of the window, then
 * writes the request's total length to ZCTL_PORT_DOORBELL (32-bit OUT).
 * The hypervisor handles it before the OUT instruction completes and leaves
 * a struct zctl_resp_hdr plus the op's reply at the start of the window.
 * Every field is little-endian; strings are NUL-terminated within their
 * arrays; reserved fields must be zero.
 */
#ifndef ZV_CONTROL_PROTO_H
#define ZV_CONTROL_PROTO_H

#include <stdint.h>

/* 2: run's allowlist, a zone's network in ps; 3: DENIALS; 4: images and workspaces;
 * 5: the audit log (AUDIT_READ, AUDIT_HEAD) and who asked, in every request;
 * a zone's disks in ps (same milestone as 4 and 5, unreleased: no bump);
 * 6: a zone's vsock CID in ps (sessions: zonectl exec, cp, attach) */
#define ZCTL_VERSION 6

/* I/O ports (32-bit IN/OUT only). */
#define ZCTL_PORT_BASE	      0x5a0
#define ZCTL_PORT_ID	      0x5a0 /* IN: ZCTL_ID */
#define ZCTL_PORT_VERSION     0x5a4 /* IN: ZCTL_VERSION */
#define ZCTL_PORT_WINDOW      0x5a8 /* IN: the window's guest-physical address */
#define ZCTL_PORT_WINDOW_SIZE 0x5ac /* IN: the window's size in bytes */
#define ZCTL_PORT_DOORBELL    0x5b0 /* OUT: request length; handled synchronously */
#define ZCTL_PORT_COUNT	      0x14
#define ZCTL_ID		      0x4c54435au /* "ZCTL" */

#define ZCTL_WINDOW_GPA	 0x100000u /* 1 MiB: outside the control zone's e820 RAM */
#define ZCTL_WINDOW_SIZE 0x100000u

#define ZCTL_REQ_MAGIC	0x5152435au /* "ZCRQ" */
#define ZCTL_RESP_MAGIC 0x5352435au /* "ZCRS" */

#define ZCTL_NAME_LEN	 32   /* [a-z0-9_-], 1..31 characters */
#define ZCTL_ARGS_LEN	 1024 /* kernel command line of the zone */
#define ZCTL_MESSAGE_LEN 192
#define ZCTL_MAX_ZONES	 16
#define ZCTL_ALLOW_LEN	 4096 /* an allowlist: rules one per line (docs/network.md) */
#define ZCTL_MAX_DISKS	 2    /* a zone's virtio-blk disks: its image, its workspace */
#define ZCTL_SERIAL_LEN	 24   /* a disk's serial: 20 bytes (VIRTIO 1.1 5.2.6), NUL, padding */

enum zctl_op {
	ZCTL_OP_RUN = 1,	      /* body: zctl_run; reply: zctl_zone */
	ZCTL_OP_PS = 2,		      /* body: none; reply: zctl_ps */
	ZCTL_OP_LOGS = 3,	      /* body: zctl_logs_req; reply: zctl_logs + bytes */
	ZCTL_OP_STOP = 4,	      /* body: zctl_name; reply: none */
	ZCTL_OP_RM = 5,		      /* body: zctl_name; reply: none */
	ZCTL_OP_STATS = 6,	      /* body: none; reply: zctl_stats */
	ZCTL_OP_UPLOAD = 7,	      /* body: zctl_upload + bytes; reply: none */
	ZCTL_OP_DENIALS = 8,	      /* body: zctl_denials_req; reply: zctl_denials + arrays */
	ZCTL_OP_IMAGE_LOAD = 9,	      /* body: zctl_image_load + bytes; reply: none */
	ZCTL_OP_IMAGE_LS = 10,	      /* body: none; reply: zctl_image_ls */
	ZCTL_OP_IMAGE_RM = 11,	      /* body: zctl_name; reply: none */
	ZCTL_OP_WORKSPACE_WRITE = 12, /* body: zctl_ws_write + bytes; reply: none */
	ZCTL_OP_WORKSPACE_READ = 13,  /* body: zctl_ws_read_req; reply: zctl_ws_read + bytes */
	ZCTL_OP_AUDIT_READ = 14, /* body: zctl_audit_read_req; reply: zctl_audit_read + lines */
	ZCTL_OP_AUDIT_HEAD = 15, /* body: none; reply: zctl_audit_head */
	ZCTL_OP_SESSION = 16,	 /* body: zctl_session_report; reply: none */
	ZCTL_OP_COUNT
};

enum zctl_error {
	ZCTL_OK = 0,
	ZCTL_E_BAD_REQUEST = 1, /* malformed: magic, version, length, field */
	ZCTL_E_NO_ZONE = 2,	/* no zone of that name */
	ZCTL_E_NAME_IN_USE = 3,
	ZCTL_E_NO_MEMORY = 4, /* more memory than the pool has free */
	ZCTL_E_NO_CPU = 5,    /* every agent CPU runs a zone */
	ZCTL_E_TOO_MANY = 6,  /* the zone table is full */
	ZCTL_E_BAD_IMAGE = 7, /* the image cannot be loaded */
	ZCTL_E_NO_IMAGE = 8,  /* unknown image */
	ZCTL_E_STATE = 9,     /* e.g. rm of a running zone */
	ZCTL_E_COUNT
};

/* Who asked, as zonectl reports it: the audit log's record of the request
 * says so (the control zone's root could lie; the record says who it said). */
#define ZCTL_COMM_LEN 16 /* Linux's TASK_COMM_LEN */
struct zctl_who {
	uint32_t uid;		  /* zonectl's real uid */
	uint32_t pid;		  /* zonectl's pid */
	uint32_t ppid;		  /* the process that ran it */
	uint32_t reserved;	  /* zero */
	char comm[ZCTL_COMM_LEN]; /* that process's name: printable ASCII, NUL-terminated */
};

struct zctl_req_hdr {
	uint32_t magic;	  /* ZCTL_REQ_MAGIC */
	uint16_t version; /* ZCTL_VERSION */
	uint16_t op;	  /* enum zctl_op */
	uint32_t length;  /* header + body, bytes */
	uint32_t reserved;
	struct zctl_who who;
};

struct zctl_resp_hdr {
	uint32_t magic;			/* ZCTL_RESP_MAGIC */
	uint16_t version;		/* ZCTL_VERSION */
	uint16_t op;			/* the request's */
	uint32_t length;		/* header + reply, bytes */
	int32_t error;			/* enum zctl_error */
	char message[ZCTL_MESSAGE_LEN]; /* why, and what to do; "" when OK */
};

enum zctl_image {
	ZCTL_IMAGE_DEFAULT = 0,	 /* the agent kernel / initramfs the host ships */
	ZCTL_IMAGE_NONE = 1,	 /* initrd only: no initramfs */
	ZCTL_IMAGE_UPLOADED = 2, /* what ZCTL_OP_UPLOAD put in that slot */
};

enum zctl_slot { ZCTL_SLOT_KERNEL = 0, ZCTL_SLOT_INITRD = 1, ZCTL_SLOT_COUNT };

#define ZCTL_RUN_AUTO_RM   (1u << 0) /* wipe and forget the zone when it exits */
#define ZCTL_RUN_WORKSPACE (1u << 1) /* give it the staged workspace (WORKSPACE_WRITE) */
#define ZCTL_RUN_NO_IMAGE  (1u << 2) /* image "": no image even if zonevisor.conf names one */
#define ZCTL_UPLOAD_MAX	   (64u << 20)

struct zctl_run {
	char name[ZCTL_NAME_LEN]; /* "" = the hypervisor picks "zone-N" */
	uint64_t mem_bytes;	  /* multiple of 2 MiB */
	uint32_t cpus;		  /* vCPUs, 1..4 */
	uint32_t flags;		  /* ZCTL_RUN_* */
	uint32_t kernel;	  /* enum zctl_image: DEFAULT or UPLOADED */
	uint32_t initrd;	  /* enum zctl_image */
	char args[ZCTL_ARGS_LEN]; /* the zone's command line */
	/* Where its NIC may go: "HOST[:PORT]", "*.DOMAIN[:PORT]" or
	 * "A.B.C.D[/N][:PORT]", each ended by '\n'; "" = nowhere. */
	char allow[ZCTL_ALLOW_LEN];
	char image[ZCTL_NAME_LEN]; /* a loaded image for its vda; "" = none */
};

/* ZCTL_OP_UPLOAD: bytes [offset, offset+len) of the slot's image, which is
 * total bytes long; offset 0 starts a new image (dropping the old one). */
struct zctl_upload {
	uint32_t slot; /* enum zctl_slot */
	uint32_t len;  /* bytes following this struct */
	uint64_t offset;
	uint64_t total;
};

struct zctl_name {
	char name[ZCTL_NAME_LEN];
};

enum zctl_state { ZCTL_STATE_RUNNING = 1, ZCTL_STATE_EXITING = 2, ZCTL_STATE_EXITED = 3 };

struct zctl_zone {
	char name[ZCTL_NAME_LEN];
	uint32_t state;	     /* enum zctl_state */
	int32_t exit_status; /* -1 until the zone reported one or was stopped */
	uint64_t mem_bytes;
	uint32_t vcpus;
	uint32_t cpu_mask;	       /* bit N: runs on CPU N */
	uint64_t uptime_us;	       /* running: since start; exited: how long it ran */
	uint64_t exits;		       /* VM exits, all reasons */
	uint64_t overhead_bytes;       /* hypervisor memory for it beyond its RAM */
	char reason[ZCTL_MESSAGE_LEN]; /* why it stopped; "" while running */
	struct zctl_net {
		char address[16]; /* "10.77.0.10" on the agent network; "" = no NIC */
		uint32_t rules;	  /* lines in allow below */
		uint32_t reserved;
		uint64_t allowed;   /* frames the switch passed, both directions */
		uint64_t denied;    /* frames it dropped or answered itself with a refusal */
		uint64_t tx_bytes;  /* frames from the zone sent to the uplink */
		uint64_t rx_bytes;  /* frames delivered to the zone */
	} net;			    /* exited zones: as they stood when it stopped */
	char allow[ZCTL_ALLOW_LEN]; /* its rules in canonical form, each ended by '\n' */
	char image[ZCTL_NAME_LEN];  /* the image it runs on; "" = none */
	uint8_t image_sha256[32];
	uint64_t workspace_size;  /* its workspace's capacity; 0 = none */
	uint64_t workspace_bytes; /* pool bytes its workspace holds (written blocks and map) */
	uint32_t disk_count;	  /* entries used in disks, 0..ZCTL_MAX_DISKS */
	uint32_t cid;		  /* its vsock address (zonectl exec/cp/attach); 0 = none */
	struct zctl_disk {
		char serial[ZCTL_SERIAL_LEN]; /* "zv-image", "zv-workspace" */
		uint64_t size;		      /* bytes */
		uint32_t read_only;	      /* 1: writes are refused */
		uint32_t reserved;
		uint64_t reads, writes; /* requests completed */
		uint64_t read_bytes, written_bytes;
		uint64_t errors;  /* requests answered IOERR or UNSUPP */
		uint64_t refused; /* malformed chains: the device needed a reset */
	} disks[ZCTL_MAX_DISKS];  /* in vda, vdb order; exited zones: as they stood when it stopped
				   */
};

struct zctl_ps {
	uint32_t count;
	uint32_t reserved;
	struct zctl_zone zones[ZCTL_MAX_ZONES];
};

struct zctl_logs_req {
	char name[ZCTL_NAME_LEN];
	uint64_t offset; /* console byte offset to read from */
};

struct zctl_logs {
	uint64_t offset; /* where the bytes below start (>= requested) */
	uint64_t next;	 /* offset to ask for next time */
	uint32_t len;	 /* bytes following this struct */
	uint32_t state;	 /* enum zctl_state */
	int32_t exit_status;
	uint32_t reserved;
};

struct zctl_stats {
	uint64_t pool_total_bytes;
	uint64_t pool_free_bytes;
	uint32_t cpus;	    /* CPUs online, the control zone's included */
	uint32_t cpus_free; /* agent CPUs that run no zone */
	uint32_t zones;	    /* in the table, exited ones included */
	uint32_t zones_running;
	uint64_t zones_started;	 /* since boot */
	uint64_t exits;		 /* VM exits of zones that ended, plus running ones */
	uint64_t overhead_bytes; /* last zone started: hypervisor memory beyond its RAM */
};

/* ZCTL_OP_DENIALS: what the switch denied a zone (or the uplink), kept by
 * the hypervisor instead of printed (docs/network.md, "Deny records"). */
#define ZCTL_DENIALS_UPLINK (1u << 0) /* the control zone's uplink; name must be "" */
#define ZCTL_REASON_LEN	    24	      /* "ipv6-denied", "no-rule", ... NUL-terminated */
#define ZCTL_DNS_NAME_LEN   256	      /* a DNS name (253 characters at most) */

struct zctl_denials_req {
	char name[ZCTL_NAME_LEN]; /* the zone; all zero with ZCTL_DENIALS_UPLINK */
	uint32_t flags;		  /* ZCTL_DENIALS_* */
	uint32_t reserved;
};

/* enum pkt_kind's values (zones/net/packet.h) */
enum zctl_frame_kind {
	ZCTL_FRAME_OTHER = 0, /* did not parse as far as its EtherType */
	ZCTL_FRAME_ARP = 1,   /* ARP: src_ip/dst_ip are sender and target */
	ZCTL_FRAME_IPV4 = 2,
	ZCTL_FRAME_IPV6 = 3, /* only the MACs are known */
	ZCTL_FRAME_VLAN = 4, /* only the MACs are known */
};

/* A denied frame, as far as it parsed: the 5-tuple of IPv4, else the MACs. */
struct zctl_frame {
	uint8_t kind;  /* enum zctl_frame_kind */
	uint8_t proto; /* IPv4 protocol: 1 ICMP, 6 TCP, 17 UDP */
	uint8_t icmp_type;
	uint8_t from_uplink; /* 1: it came from the uplink */
	int32_t port;	     /* the agent port concerned, or -1 */
	uint16_t src_port, dst_port;
	uint32_t src_ip, dst_ip; /* host order */
	uint8_t src_mac[6], dst_mac[6];
};

/* One reason: every denial of it is counted, whether or not kept in detail. */
struct zctl_deny_reason {
	char reason[ZCTL_REASON_LEN];
	uint64_t count;
	uint64_t first_ms, last_ms; /* milliseconds since the hypervisor started */
	uint32_t kept;		    /* of them among the records of the reply */
	uint32_t reserved;
	struct zctl_frame last;
};

/* One denial kept in detail: the first few of each reason. */
struct zctl_deny_record {
	uint64_t time_ms; /* milliseconds since the hypervisor started */
	char reason[ZCTL_REASON_LEN];
	struct zctl_frame frame;
	char name[ZCTL_DNS_NAME_LEN]; /* the DNS question, or "" */
};

/* Followed by `reasons` struct zctl_deny_reason (those with a count, in the
 * switch's order) and `records` struct zctl_deny_record (in order of arrival). */
struct zctl_denials {
	uint64_t now_ms;     /* the clock of the times, at the reply */
	uint64_t denied;     /* all reasons */
	uint64_t unrecorded; /* of them counted but not kept in detail */
	uint32_t reasons;
	uint32_t records;
	uint32_t per_reason; /* detailed records kept per reason at most */
	uint32_t reserved;
};

/* ---- images and workspaces (docs/control.md, "Images and workspaces") ---- */

#define ZCTL_MAX_IMAGES	    16
#define ZCTL_STORE_MAX	    (64ull << 30) /* an image or a workspace: 64 GiB at most */
#define ZCTL_BLOCK	    4096u	  /* workspace offsets and reads are in blocks */
#define ZCTL_WS_READ_MAX    (512u << 10)  /* bytes one WORKSPACE_READ returns at most */
#define ZCTL_WS_READ_BITMAP (ZCTL_WS_READ_MAX / ZCTL_BLOCK / 8)
#define ZCTL_WS_WRITE_NEW   (1u << 0) /* drop the staged workspace, start one of capacity */

/* ZCTL_OP_IMAGE_LOAD: bytes [offset, offset+len) of image `name`, total
 * bytes long; offset 0 begins a load (dropping one cut off), the chunks come
 * in order, and the last one publishes it. */
struct zctl_image_load {
	char name[ZCTL_NAME_LEN];
	uint32_t len; /* bytes following this struct */
	uint32_t reserved;
	uint64_t offset;
	uint64_t total;
};

struct zctl_image_info {
	char name[ZCTL_NAME_LEN];
	uint64_t size; /* bytes loaded */
	uint8_t sha256[32];
	uint32_t users; /* zones running on it: a zone lets go as it is wiped */
	uint32_t reserved;
	uint64_t pool_bytes; /* pool memory it holds */
};

struct zctl_image_ls {
	uint32_t count;
	uint32_t reserved;
	struct zctl_image_info images[ZCTL_MAX_IMAGES];
};

/* ZCTL_OP_WORKSPACE_WRITE: bytes [offset, offset+len) of the staged
 * workspace, capacity bytes long, which the next RUN with
 * ZCTL_RUN_WORKSPACE takes.  Any block-aligned offset, in any order. */
struct zctl_ws_write {
	uint64_t capacity; /* a multiple of ZCTL_BLOCK, up to ZCTL_STORE_MAX */
	uint64_t offset;   /* a multiple of ZCTL_BLOCK */
	uint32_t len;	   /* bytes following this struct */
	uint32_t flags;	   /* ZCTL_WS_WRITE_* */
};

/* ZCTL_OP_WORKSPACE_READ: an exited zone's workspace. */
struct zctl_ws_read_req {
	char name[ZCTL_NAME_LEN];
	uint64_t offset; /* a multiple of ZCTL_BLOCK */
	uint32_t len;	 /* a multiple of ZCTL_BLOCK, 1 block to ZCTL_WS_READ_MAX */
	uint32_t reserved;
};

/* Followed by len bytes (unwritten blocks as zeros); len is shorter than
 * asked where the workspace ends. */
struct zctl_ws_read {
	uint64_t capacity;
	uint64_t offset;
	uint32_t len;
	uint32_t reserved;
	uint8_t used[ZCTL_WS_READ_BITMAP]; /* bit i (LSB first): block i was written */
};

/* ---- the audit log (docs/audit.md, docs/control.md "The audit log") ---- */

#define ZCTL_AUDIT_ACK	     (1u << 0)	  /* the drain: it stored every record before since */
#define ZCTL_AUDIT_LINE_MAX  1536u	  /* a record's line, newline included (audit.h) */
#define ZCTL_AUDIT_READ_MAX  (512u << 10) /* bytes of lines one AUDIT_READ returns at most */
#define ZCTL_AUDIT_HASH_SIZE 32u	  /* SHA-256 */

/* ZCTL_OP_AUDIT_READ: whole lines of the records from seq since on. */
struct zctl_audit_read_req {
	uint64_t since;
	uint32_t flags;	    /* ZCTL_AUDIT_* */
	uint32_t max_bytes; /* ZCTL_AUDIT_LINE_MAX .. ZCTL_AUDIT_READ_MAX */
};

/* The tree's head: records so far and the RFC 6962 root over them. */
struct zctl_audit_head {
	uint64_t size;
	uint8_t root[ZCTL_AUDIT_HASH_SIZE];
};

/* Followed by len bytes: the lines of records first .. next-1, each ended by
 * '\n'; first > since when older ones were drained already. */
struct zctl_audit_read {
	struct zctl_audit_head head;
	uint64_t first, next;
	uint64_t acked;	     /* the drain said it stored every record before this */
	uint64_t records;    /* appended since boot (the head's size) */
	uint64_t lost;	     /* not recorded for want of room (drop mode), ever */
	uint64_t ring_bytes; /* the ring's size */
	uint64_t ring_used;  /* bytes of records not yet acknowledged */
	uint32_t blocked;    /* times fail-closed mode held something back */
	uint32_t len;
};

/* ---- sessions (docs/sessions.md) ---- */

/* ZCTL_OP_SESSION: zonectl reports a session it had with a zone's agent over
 * vsock (exec, run, attach, cp), for the audit log: a record in the zone's
 * name says what ran or moved and who asked.  Never a secret's value, never
 * an environment value: the command's words and paths only. */
enum zctl_session_event {
	ZCTL_SESSION_START = 1, /* the command started (kind, text: its words) */
	ZCTL_SESSION_END = 2,	/* it ended (exit_status; bytes each way) */
	ZCTL_SESSION_CP = 3,	/* a copy ended (kind cp-in/cp-out; text: "SRC -> DST") */
	ZCTL_SESSION_EVENT_COUNT
};

#define ZCTL_SESSION_KIND_LEN 16
#define ZCTL_SESSION_TEXT_LEN 512

struct zctl_session_report {
	char name[ZCTL_NAME_LEN];	  /* the zone */
	uint32_t event;			  /* enum zctl_session_event */
	int32_t exit_status;		  /* END, CP: 0..255 (128+N: signal N); -1: none came */
	uint64_t bytes_in;		  /* END, CP: bytes sent to the zone (stdin, a tar) */
	uint64_t bytes_out;		  /* END, CP: bytes received (stdout and stderr, a tar) */
	char kind[ZCTL_SESSION_KIND_LEN]; /* "exec" "run" "attach" "cp-in" "cp-out" */
	char text[ZCTL_SESSION_TEXT_LEN]; /* NUL-terminated; cut by zonectl to fit */
};

#endif
