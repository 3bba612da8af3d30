/* zonectl: the control zone's command line for agent zones (docs/zonectl.md). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tools/zonectl/audit.h"
#include "tools/zonectl/channel.h"
#include "tools/zonectl/cli.h"
#include "tools/zonectl/denials_format.h"
#include "tools/zonectl/session_cmds.h"
#include "tools/zonectl/storage.h"
#include "tools/zonectl/zonectl_util.h"

#define DEFAULT_MEM    (256ull << 20)
#define MAX_CPUS       4
#define STOP_WAIT_SECS 60
#define POLL_NS	       (20 * 1000 * 1000)

static const char usage_main[] =
	"usage: zonectl COMMAND [OPTIONS]\n"
	"\n"
	"Runs and manages zonevisor agent zones from the control zone (needs root).\n"
	"\n"
	"Commands:\n"
	"  run [OPTIONS] [--] COMMAND...  start a zone that runs COMMAND (-it: on\n"
	"                                 this terminal, through the zone's agent)\n"
	"  exec [OPTIONS] NAME -- CMD...  run CMD in running zone NAME\n"
	"  attach NAME                    this terminal to NAME's command again\n"
	"  cp SRC DST                     copy files into or out of a zone (NAME:PATH)\n"
	"  ps [--json] [-a]               list the zones, exited ones included\n"
	"  logs [-f] NAME                 print a zone's console output\n"
	"  denials [--json] NAME          what the network denied a zone (--uplink: the uplink)\n"
	"  stop NAME                      stop a zone (it stays listed, exited)\n"
	"  rm [-f] NAME                   forget an exited zone (-f: stop it first)\n"
	"  stats [--json]                 memory pool, CPUs and zone counters\n"
	"  image load|ls|rm ...           disk images in the hypervisor's memory\n"
	"  workspace export NAME DIR      copy an exited zone's workspace out\n"
	"  audit [-f] [--json] | head | verify FILE   the hypervisor's audit log\n"
	"\n"
	"  zonectl COMMAND --help         a command's options\n"
	"  zonectl --version              zonectl's and the protocol's version\n"
	"\n"
	"Exit status:\n"
	"  0    success\n"
	"  1    the hypervisor refused the request (its reason is printed)\n"
	"  2    usage error\n"
	"  125  no control channel: not root, not a control zone, or a protocol error;\n"
	"       exec/attach/run -it: the session could not start or broke the protocol\n"
	"  126  exec/attach/run -it: the zone's agent refused the request\n"
	"  run in the foreground exits with the zone's exit status instead\n"
	"  (137 if the zone ended without one, e.g. stopped)\n";

static const char usage_run[] =
	"usage: zonectl run [OPTIONS] [--] [COMMAND [ARG...]]\n"
	"\n"
	"Starts an agent zone.  In the foreground (the default) zonectl copies the\n"
	"zone's console to stdout until the zone exits, then exits with the zone's\n"
	"exit status (137 if it ended without one).  Ctrl-C stops the zone (a second\n"
	"Ctrl-C leaves zonectl at once; the zone is stopped all the same).\n"
	"\n"
	"Options:\n"
	"  --name NAME     the zone's name: a-z 0-9 _ -, 1..31 characters\n"
	"                  (default: the hypervisor picks zone-N)\n"
	"  --mem SIZE      memory, a multiple of 2M: 64M, 256M, 1G (default 256M)\n"
	"  --cpus N        vCPUs, 1..4 (default 1)\n"
	"  --kernel FILE   upload FILE (a bzImage or a Multiboot ELF) as the kernel\n"
	"                  (default: the host's agent kernel)\n"
	"  --initrd FILE   upload FILE as the initramfs; 'none': no initramfs\n"
	"                  (default: the host's agent initramfs)\n"
	"  --allow HOST[:PORT]         the zone may resolve HOST and connect to the\n"
	"                  addresses its DNS answers gave (for their TTL; on PORT only;\n"
	"                  never a private, link-local or other internal address)\n"
	"  --allow '*.DOMAIN[:PORT]'   the same for every name under DOMAIN\n"
	"  --allow-cidr A.B.C.D[/N][:PORT]  the zone may connect to those addresses\n"
	"                  (the only way to reach internal ones)\n"
	"                  (rules add up; with none the zone's NIC reaches nothing)\n"
	"  --image NAME    the loaded image NAME as its root filesystem: read-only,\n"
	"                  with a tmpfs overlay for what the zone writes (zonectl\n"
	"                  image load FILE); default: zonevisor.conf's agent_image;\n"
	"                  'none': the busybox initramfs only\n"
	"  --workspace DIR a read-write ext4 disk holding DIR's files, mounted at\n"
	"                  /workspace, packed with mke2fs -d; kept after the zone\n"
	"                  exits for zonectl workspace export NAME DIR, until rm\n"
	"  --workspace-size SIZE  its size (default: 1G or twice DIR's size rounded\n"
	"                  up to a MiB, whichever is larger; it costs the pool only\n"
	"                  what is written)\n"
	"  --rm            remove the zone once it has exited\n"
	"  -d, --detach    print the zone's name and return at once (session mode:\n"
	"                  once the command runs)\n"
	"  -h, --help      this help\n"
	"\n"
	"Session mode: with any of the options below the zone boots with\n"
	"zv_session=1 and no command on its kernel command line; zonectl connects to\n"
	"its agent over vsock (retrying for up to 60 s of boot) and sends the command,\n"
	"its environment and secrets there.  Its stdout and stderr come to zonectl's,\n"
	"and zonectl exits with its exit status (126: the agent refused it; 125: no\n"
	"session or a protocol error).  No COMMAND: a login shell.  Unless the\n"
	"terminal is raw, Ctrl-C and SIGTERM go to the command.\n"
	"  -i, --interactive  send zonectl's stdin to the command\n"
	"  -t, --tty       run it on a new terminal (the caller's window size, 24x80\n"
	"                  without one); with -i the caller's terminal is raw until it\n"
	"                  ends, and Ctrl-P Ctrl-Q detaches: the command keeps\n"
	"                  running (zonectl attach NAME; --rm then does not apply)\n"
	"  -e, --env K=V   an environment variable (repeatable)\n"
	"  -w, --workdir DIR   its working directory (default /workspace or /)\n"
	"  -u, --user USER     NAME, UID or UID:GID (default root)\n"
	"  --secret NAME       environment variable NAME and file /run/secrets/NAME\n"
	"                  in the zone, the value from zonectl's environment\n"
	"  --secret NAME=VALUE     the same with VALUE\n"
	"  --secret-file NAME=PATH the same with PATH's bytes (at most 64 KiB)\n"
	"                  (a secret goes only over vsock to the agent: never on the\n"
	"                  kernel command line, in a control request or a message)\n"
	"\n"
	"In console mode a Linux zone's /init runs COMMAND with sh -c, its words\n"
	"quoted exactly as given here:  zonectl run -- sh -c 'echo hi; exit 3'\n"
	"exits 3.  With no COMMAND it starts a shell on the zone's console (zonectl\n"
	"cannot type into it: use zonectl stop, or run -it).  A Multiboot kernel gets\n"
	"the words, joined by spaces, as its command line.\n";

static const char usage_ps[] =
	"usage: zonectl ps [--json] [-a]\n"
	"\n"
	"Lists the zones: NAME STATE CPUS MEMORY ADDRESS UPTIME EXIT.  Exited zones are\n"
	"always listed until removed (zonectl rm); -a is accepted for docker's\n"
	"sake and changes nothing.\n"
	"\n"
	"  --json       a JSON array of objects instead of the table\n"
	"  -a, --all    ignored (every zone is always listed)\n"
	"  -h, --help   this help\n";

static const char usage_logs[] = "usage: zonectl logs [-f] NAME\n"
				 "\n"
				 "Prints the console output of zone NAME from its start.\n"
				 "\n"
				 "  -f, --follow  keep printing new output until the zone exits\n"
				 "  -h, --help    this help\n";

static const char usage_denials[] =
	"usage: zonectl denials [--json] NAME\n"
	"       zonectl denials [--json] --uplink\n"
	"\n"
	"Prints what the agent network's switch denied zone NAME (running or exited),\n"
	"or the control zone's uplink: per reason the count, the first and last time\n"
	"(seconds since the hypervisor started) and the last frame; then the first\n"
	"denials of each reason in detail.  None of this goes to the console.\n"
	"\n"
	"  --uplink     the control zone's uplink instead of a zone\n"
	"  --json       one JSON object instead of the tables\n"
	"  -h, --help   this help\n";

static const char usage_stop[] = "usage: zonectl stop NAME\n"
				 "\n"
				 "Stops zone NAME; it stays listed as exited until zonectl rm.\n";

static const char usage_rm[] = "usage: zonectl rm [-f] NAME\n"
			       "\n"
			       "Forgets exited zone NAME.  A running zone is refused unless -f.\n"
			       "\n"
			       "  -f, --force   stop the zone first and wait for it to exit\n"
			       "  -h, --help    this help\n";

static const char usage_stats[] =
	"usage: zonectl stats [--json]\n"
	"\n"
	"Prints the memory pool, CPUs and zone counters of the hypervisor.\n"
	"\n"
	"  --json       one JSON object instead of text\n"
	"  -h, --help   this help\n";

void usage_exit(const char *usage, int status)
{
	fputs(usage, status == 0 ? stdout : stderr);
	exit(status);
}

void usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "zonectl %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'zonectl %s --help'.\n", cmd);
	exit(ZC_EXIT_USAGE);
}

/* getopt_long with zonectl's messages; returns the option or -1 at the first operand. */
int next_option(const char *cmd, int argc, char **argv, const char *shorts,
		const struct option *longs)
{
	int c = getopt_long(argc, argv, shorts, longs, NULL);

	if (c == '?') {
		if (optopt)
			usage_error(cmd, "unknown option '-%c'", optopt);
		usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
	}
	if (c == ':')
		usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
	return c;
}

/* The one NAME operand of stop, rm and logs. */
static const char *name_operand(const char *cmd, int argc, char **argv)
{
	const char *why;

	if (optind >= argc)
		usage_error(cmd, "which zone? (zonectl %s NAME)", cmd);
	if (optind + 1 < argc)
		usage_error(cmd, "one zone name only (got '%s' too)", argv[optind + 1]);
	why = zc_name_error(argv[optind]);
	if (why)
		usage_error(cmd, "'%s': %s", argv[optind], why);
	return argv[optind];
}

static struct zctl_name zone_name(const char *name)
{
	struct zctl_name n;

	memset(&n, 0, sizeof(n));
	snprintf(n.name, sizeof(n.name), "%s", name);
	return n;
}

static void sleep_poll(void)
{
	struct timespec ts = {0, POLL_NS};

	nanosleep(&ts, NULL);
}

/* ---- ps -------------------------------------------------------------------- */

static const char *state_name(uint32_t state)
{
	switch (state) {
	case ZCTL_STATE_RUNNING: return "running";
	case ZCTL_STATE_EXITING: return "exiting";
	case ZCTL_STATE_EXITED: return "exited";
	default: return "unknown";
	}
}

/* The zone table, names and reasons NUL-terminated; *COUNT entries. */
const struct zctl_zone *zc_fetch_zones(uint32_t *count)
{
	static struct zctl_ps ps;
	const struct zctl_ps *reply;
	size_t len;

	reply = channel_call_or_die(ZCTL_OP_PS, NULL, 0, NULL, 0, 8, &len);
	memcpy(&ps, reply, len < sizeof(ps) ? len : sizeof(ps));
	if (ps.count > ZCTL_MAX_ZONES || len < 8 + ps.count * sizeof(ps.zones[0])) {
		fprintf(stderr, "zonectl: protocol error: ps: %u zones in a %zu-byte reply\n",
			ps.count, len);
		exit(ZC_EXIT_CHANNEL);
	}
	for (uint32_t i = 0; i < ps.count; i++) {
		ps.zones[i].name[ZCTL_NAME_LEN - 1] = '\0';
		ps.zones[i].reason[ZCTL_MESSAGE_LEN - 1] = '\0';
		ps.zones[i].net.address[sizeof(ps.zones[i].net.address) - 1] = '\0';
		ps.zones[i].allow[ZCTL_ALLOW_LEN - 1] = '\0';
	}
	*count = ps.count;
	return ps.zones;
}

static void print_json_string(const char *s)
{
	char buf[ZCTL_MESSAGE_LEN * 6 + 3];

	if (zc_json_string(s, buf, sizeof(buf)) < 0)
		snprintf(buf, sizeof(buf), "\"\"");
	fputs(buf, stdout);
}

/* ", "address": ..., "allow": [...], "net": {...}" of one zone. */
static void ps_json_net(const struct zctl_zone *z)
{
	static char rules[ZCTL_ALLOW_LEN * 6 + 3];

	printf(", \"address\": ");
	if (z->net.address[0])
		print_json_string(z->net.address);
	else
		printf("null");
	if (zc_json_rules(z->allow, rules, sizeof(rules)) < 0)
		snprintf(rules, sizeof(rules), "[]");
	printf(", \"allow\": %s, \"net\": {\"rules\": %u, \"allowed\": %llu, "
	       "\"denied\": %llu, \"tx_bytes\": %llu, \"rx_bytes\": %llu}",
	       rules, z->net.rules, (unsigned long long)z->net.allowed,
	       (unsigned long long)z->net.denied, (unsigned long long)z->net.tx_bytes,
	       (unsigned long long)z->net.rx_bytes);
}

/* ", "image": ..., "workspace": ..., "disks": [...]" of one zone: null when
 * it has none. */
static void ps_json_storage(const struct zctl_zone *z)
{
	char disks[ZCTL_MAX_DISKS * (ZCTL_SERIAL_LEN * 6 + 400) + 3];

	printf(", \"image\": ");
	if (z->image[0]) {
		char name[ZCTL_NAME_LEN];

		snprintf(name, sizeof(name), "%.*s", ZCTL_NAME_LEN - 1, z->image);
		printf("{\"name\": ");
		print_json_string(name);
		printf(", \"sha256\": \"");
		for (unsigned i = 0; i < sizeof(z->image_sha256); i++)
			printf("%02x", z->image_sha256[i]);
		printf("\"}");
	} else {
		printf("null");
	}
	if (z->workspace_size)
		printf(", \"workspace\": {\"size\": %llu, \"pool_bytes\": %llu}",
		       (unsigned long long)z->workspace_size,
		       (unsigned long long)z->workspace_bytes);
	else
		printf(", \"workspace\": null");
	if (zc_json_disks(z->disks, z->disk_count, disks, sizeof(disks)) < 0)
		snprintf(disks, sizeof(disks), "[]");
	printf(", \"disks\": %s", disks);
}

static void ps_json(const struct zctl_zone *z, uint32_t count)
{
	printf("[");
	for (uint32_t i = 0; i < count; i++, z++) {
		int first = 1;
		printf("%s\n  {\"name\": ", i ? "," : "");
		print_json_string(z->name);
		printf(", \"state\": \"%s\", \"cpus\": [", state_name(z->state));
		for (int cpu = 0; cpu < 32; cpu++) {
			if (z->cpu_mask & (1u << cpu)) {
				printf("%s%d", first ? "" : ", ", cpu);
				first = 0;
			}
		}
		printf("], \"vcpus\": %u, \"memory_bytes\": %llu, \"uptime_us\": %llu, ", z->vcpus,
		       (unsigned long long)z->mem_bytes, (unsigned long long)z->uptime_us);
		if (z->exit_status < 0)
			printf("\"exit_status\": null, ");
		else
			printf("\"exit_status\": %d, ", z->exit_status);
		printf("\"exits\": %llu, \"overhead_bytes\": %llu, \"reason\": ",
		       (unsigned long long)z->exits, (unsigned long long)z->overhead_bytes);
		print_json_string(z->reason);
		ps_json_net(z);
		ps_json_storage(z);
		printf(", \"cid\": %u}", z->cid); /* its vsock address; 0 = none */
	}
	printf("%s]\n", count ? "\n" : "");
}

static void ps_table(const struct zctl_zone *zones, uint32_t count)
{
	char cpus[ZCTL_MAX_ZONES][100];
	int name_w = 4, cpus_w = 4, addr_w = 7;

	for (uint32_t i = 0; i < count; i++) {
		int n = (int)strlen(zones[i].name);
		zc_format_cpus(zones[i].cpu_mask, cpus[i], sizeof(cpus[i]));
		if (n > name_w)
			name_w = n;
		if ((int)strlen(cpus[i]) > cpus_w)
			cpus_w = (int)strlen(cpus[i]);
		if ((int)strlen(zones[i].net.address) > addr_w)
			addr_w = (int)strlen(zones[i].net.address);
	}
	printf("%-*s  %-7s  %-*s  %-7s  %-*s  %-7s  %s\n", name_w, "NAME", "STATE", cpus_w, "CPUS",
	       "MEMORY", addr_w, "ADDRESS", "UPTIME", "EXIT");
	for (uint32_t i = 0; i < count; i++) {
		const struct zctl_zone *z = &zones[i];
		char mem[32], up[32], ex[16] = "-";
		zc_format_mib(z->mem_bytes, mem, sizeof(mem));
		zc_format_uptime(z->uptime_us, up, sizeof(up));
		if (z->state == ZCTL_STATE_EXITED && z->exit_status >= 0)
			snprintf(ex, sizeof(ex), "%d", z->exit_status);
		printf("%-*s  %-7s  %-*s  %-7s  %-*s  %-7s  %s\n", name_w, z->name,
		       state_name(z->state), cpus_w, cpus[i], mem, addr_w,
		       z->net.address[0] ? z->net.address : "-", up, ex);
	}
}

static int cmd_ps(int argc, char **argv)
{
	static const struct option longs[] = {
		{"json", no_argument, NULL, 'j'},
		{"all", no_argument, NULL, 'a'},
		{"help", no_argument, NULL, 'h'},
		{0, 0, 0, 0},
	};
	const struct zctl_zone *zones;
	uint32_t count;
	int c, json = 0;

	while ((c = next_option("ps", argc, argv, "+:ah", longs)) != -1) {
		if (c == 'h')
			usage_exit(usage_ps, 0);
		if (c == 'j')
			json = 1;
	}
	if (optind < argc)
		usage_error("ps", "unexpected argument '%s'", argv[optind]);
	channel_open();
	zones = zc_fetch_zones(&count);
	if (json)
		ps_json(zones, count);
	else
		ps_table(zones, count);
	return 0;
}

/* ---- logs, and run's foreground ---------------------------------------------- */

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

struct follow_end {
	uint32_t state;
	int32_t exit_status;
};

/* Copies NAME's console to stdout from offset 0: until no new bytes (UNTIL_EXIT 0) or
 * until the zone has exited and every byte is out.  STOP_ON_SIGINT: Ctrl-C stops the zone. */
static struct follow_end follow(const char *name, int until_exit, int stop_on_sigint)
{
	struct zctl_logs_req req;
	struct zctl_logs logs;
	uint64_t offset = 0;
	int stop_sent = 0;

	memset(&req, 0, sizeof(req));
	snprintf(req.name, sizeof(req.name), "%s", name);
	for (;;) {
		const uint8_t *reply;
		size_t len;

		if (stop_on_sigint && interrupted && !stop_sent) {
			struct zctl_name n = zone_name(name);
			char message[ZCTL_MESSAGE_LEN];
			if (channel_call(ZCTL_OP_STOP, &n, sizeof(n), NULL, 0, 0, NULL, NULL,
					 message) &&
			    strcmp(message, "") != 0)
				fprintf(stderr, "zonectl: stop: %s\n", message);
			stop_sent = 1;
		}
		req.offset = offset;
		reply = channel_call_or_die(ZCTL_OP_LOGS, &req, sizeof(req), NULL, 0, sizeof(logs),
					    &len);
		memcpy(&logs, reply, sizeof(logs));
		if (logs.len > len - sizeof(logs)) {
			fprintf(stderr,
				"zonectl: protocol error: logs: %u bytes in a %zu-byte reply\n",
				logs.len, len);
			exit(ZC_EXIT_CHANNEL);
		}
		if (logs.len) {
			fwrite(reply + sizeof(logs), 1, logs.len, stdout);
			fflush(stdout);
		}
		if (logs.next > offset)
			offset = logs.next;
		if (logs.len)
			continue;
		if (!until_exit || logs.state == ZCTL_STATE_EXITED)
			break;
		sleep_poll();
	}
	return (struct follow_end){logs.state, logs.exit_status};
}

static int cmd_logs(int argc, char **argv)
{
	static const struct option longs[] = {
		{"follow", no_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{0, 0, 0, 0},
	};
	const char *name;
	int c, follow_on = 0;

	while ((c = next_option("logs", argc, argv, "+:fh", longs)) != -1) {
		if (c == 'h')
			usage_exit(usage_logs, 0);
		follow_on = 1;
	}
	name = name_operand("logs", argc, argv);
	channel_open();
	follow(name, follow_on, 0);
	return 0;
}

/* ---- denials ----------------------------------------------------------------- */

struct denials_view {
	const struct zctl_denials *head;
	const struct zctl_deny_reason *reasons;
	const struct zctl_deny_record *records;
};

/* The reply for NAME (NULL: the uplink), checked and its strings terminated. */
static struct denials_view fetch_denials(const char *name)
{
	static uint8_t copy[ZCTL_WINDOW_SIZE];
	struct zctl_denials_req req;
	struct denials_view v;
	const char *why;
	size_t len;
	const void *reply;

	memset(&req, 0, sizeof(req));
	if (name)
		snprintf(req.name, sizeof(req.name), "%s", name);
	else
		req.flags = ZCTL_DENIALS_UPLINK;
	reply = channel_call_or_die(ZCTL_OP_DENIALS, &req, sizeof(req), NULL, 0,
				    sizeof(struct zctl_denials), &len);
	if (len > sizeof(copy))
		len = sizeof(copy);
	memcpy(copy, reply, len);
	why = zc_check_denials_reply(copy, len);
	if (why) {
		fprintf(stderr, "zonectl: protocol error: %s\n", why);
		exit(ZC_EXIT_CHANNEL);
	}
	v.head = (const struct zctl_denials *)copy;
	v.reasons = (const struct zctl_deny_reason *)(v.head + 1);
	v.records = (const struct zctl_deny_record *)(v.reasons + v.head->reasons);
	return v;
}

static void denials_table(const struct denials_view *v)
{
	char first[32], last[32], frame[160], line[600], reason[ZCTL_REASON_LEN];

	if (!v->head->denied) {
		printf("no denials\n");
		return;
	}
	printf("%-18s %8s  %-11s  %-11s  %s\n", "REASON", "COUNT", "FIRST", "LAST", "LAST FRAME");
	for (uint32_t i = 0; i < v->head->reasons; i++) {
		const struct zctl_deny_reason *r = &v->reasons[i];
		zc_printable(r->reason, reason, sizeof(reason));
		zc_format_ms(r->first_ms, first, sizeof(first));
		zc_format_ms(r->last_ms, last, sizeof(last));
		zc_format_frame(&r->last, frame, sizeof(frame));
		printf("%-18s %8llu  %-11s  %-11s  %s\n", reason, (unsigned long long)r->count,
		       first, last, frame);
	}
	printf("\n%-11s  %s\n", "TIME", "DENIAL");
	for (uint32_t i = 0; i < v->head->records; i++) {
		zc_format_ms(v->records[i].time_ms, first, sizeof(first));
		zc_format_denial(&v->records[i], line, sizeof(line));
		printf("%-11s  %s\n", first, line);
	}
	printf("\n%llu denials, %llu of them only counted (the first %u of each reason are "
	       "kept in detail); times: seconds since the hypervisor started\n",
	       (unsigned long long)v->head->denied, (unsigned long long)v->head->unrecorded,
	       v->head->per_reason);
}

static void print_json_frame(const struct zctl_frame *f)
{
	char buf[512];

	if (zc_json_frame(f, buf, sizeof(buf)) < 0)
		snprintf(buf, sizeof(buf), "null");
	fputs(buf, stdout);
}

static void denials_json(const struct denials_view *v)
{
	char name[ZCTL_DNS_NAME_LEN * 6 + 3];

	printf("{\"denied\": %llu, \"unrecorded\": %llu, \"now_ms\": %llu, \"per_reason\": %u, "
	       "\"reasons\": [",
	       (unsigned long long)v->head->denied, (unsigned long long)v->head->unrecorded,
	       (unsigned long long)v->head->now_ms, v->head->per_reason);
	for (uint32_t i = 0; i < v->head->reasons; i++) {
		const struct zctl_deny_reason *r = &v->reasons[i];
		printf("%s\n  {\"reason\": ", i ? "," : "");
		print_json_string(r->reason);
		printf(", \"count\": %llu, \"first_ms\": %llu, \"last_ms\": %llu, \"kept\": %u, "
		       "\"last\": ",
		       (unsigned long long)r->count, (unsigned long long)r->first_ms,
		       (unsigned long long)r->last_ms, r->kept);
		print_json_frame(&r->last);
		printf("}");
	}
	printf("],\n \"records\": [");
	for (uint32_t i = 0; i < v->head->records; i++) {
		const struct zctl_deny_record *r = &v->records[i];
		printf("%s\n  {\"time_ms\": %llu, \"reason\": ", i ? "," : "",
		       (unsigned long long)r->time_ms);
		print_json_string(r->reason);
		if (r->name[0] && zc_json_string(r->name, name, sizeof(name)) >= 0)
			printf(", \"name\": %s, \"frame\": ", name);
		else
			printf(", \"name\": null, \"frame\": ");
		print_json_frame(&r->frame);
		printf("}");
	}
	printf("]}\n");
}

static int cmd_denials(int argc, char **argv)
{
	static const struct option longs[] = {
		{"json", no_argument, NULL, 'j'},
		{"uplink", no_argument, NULL, 'u'},
		{"help", no_argument, NULL, 'h'},
		{0, 0, 0, 0},
	};
	struct denials_view v;
	const char *name = NULL;
	int c, json = 0, uplink = 0;

	while ((c = next_option("denials", argc, argv, "+:h", longs)) != -1) {
		if (c == 'h')
			usage_exit(usage_denials, 0);
		json |= c == 'j';
		uplink |= c == 'u';
	}
	if (uplink && optind < argc)
		usage_error("denials", "--uplink takes no zone name (got '%s')", argv[optind]);
	if (!uplink)
		name = name_operand("denials", argc, argv);
	channel_open();
	v = fetch_denials(name);
	if (json)
		denials_json(&v);
	else
		denials_table(&v);
	return 0;
}

/* ---- stop, rm ---------------------------------------------------------------- */

static int cmd_stop(int argc, char **argv)
{
	static const struct option longs[] = {
		{"help", no_argument, NULL, 'h'},
		{0, 0, 0, 0},
	};
	struct zctl_name n;

	while (next_option("stop", argc, argv, "+:h", longs) != -1)
		usage_exit(usage_stop, 0);
	n = zone_name(name_operand("stop", argc, argv));
	channel_open();
	channel_call_or_die(ZCTL_OP_STOP, &n, sizeof(n), NULL, 0, 0, NULL);
	return 0;
}

/* Stops NAME (already exited is fine) and waits until the zone table shows it exited. */
static void stop_and_wait(const char *name)
{
	struct zctl_name n = zone_name(name);
	char message[ZCTL_MESSAGE_LEN];
	time_t deadline = time(NULL) + STOP_WAIT_SECS;
	int err;

	err = channel_call(ZCTL_OP_STOP, &n, sizeof(n), NULL, 0, 0, NULL, NULL, message);
	if (err && err != ZCTL_E_STATE) {
		fprintf(stderr, "zonectl: %s\n", message);
		exit(ZC_EXIT_REFUSED);
	}
	for (;;) {
		uint32_t count, i;
		const struct zctl_zone *z = zc_fetch_zones(&count);
		for (i = 0; i < count && strcmp(z[i].name, name) != 0; i++)
			;
		if (i == count || z[i].state == ZCTL_STATE_EXITED)
			return;
		if (time(NULL) > deadline) {
			fprintf(stderr, "zonectl: zone %s still %s %d s after stop\n", name,
				state_name(z[i].state), STOP_WAIT_SECS);
			exit(ZC_EXIT_REFUSED);
		}
		sleep_poll();
	}
}

static int cmd_rm(int argc, char **argv)
{
	static const struct option longs[] = {
		{"force", no_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{0, 0, 0, 0},
	};
	struct zctl_name n;
	int c, force = 0;

	while ((c = next_option("rm", argc, argv, "+:fh", longs)) != -1) {
		if (c == 'h')
			usage_exit(usage_rm, 0);
		force = 1;
	}
	n = zone_name(name_operand("rm", argc, argv));
	channel_open();
	if (force)
		stop_and_wait(n.name);
	channel_call_or_die(ZCTL_OP_RM, &n, sizeof(n), NULL, 0, 0, NULL);
	return 0;
}

/* ---- stats ------------------------------------------------------------------- */

static int cmd_stats(int argc, char **argv)
{
	static const struct option longs[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{0, 0, 0, 0},
	};
	struct zctl_stats s;
	char total[32], free_[32];
	int c, json = 0;

	while ((c = next_option("stats", argc, argv, "+:h", longs)) != -1) {
		if (c == 'h')
			usage_exit(usage_stats, 0);
		json = 1;
	}
	if (optind < argc)
		usage_error("stats", "unexpected argument '%s'", argv[optind]);
	channel_open();
	memcpy(&s, channel_call_or_die(ZCTL_OP_STATS, NULL, 0, NULL, 0, sizeof(s), NULL),
	       sizeof(s));
	if (json) {
		printf("{\"pool_total_bytes\": %llu, \"pool_free_bytes\": %llu, \"cpus\": %u, "
		       "\"cpus_free\": %u, \"zones\": %u, \"zones_running\": %u, "
		       "\"zones_started\": %llu, \"exits\": %llu, \"overhead_bytes\": %llu}\n",
		       (unsigned long long)s.pool_total_bytes,
		       (unsigned long long)s.pool_free_bytes, s.cpus, s.cpus_free, s.zones,
		       s.zones_running, (unsigned long long)s.zones_started,
		       (unsigned long long)s.exits, (unsigned long long)s.overhead_bytes);
		return 0;
	}
	zc_format_mib(s.pool_total_bytes, total, sizeof(total));
	zc_format_mib(s.pool_free_bytes, free_, sizeof(free_));
	printf("pool total   %s (%llu bytes)\n", total, (unsigned long long)s.pool_total_bytes);
	printf("pool free    %s (%llu bytes)\n", free_, (unsigned long long)s.pool_free_bytes);
	printf("cpus         %u\n", s.cpus);
	printf("cpus free    %u\n", s.cpus_free);
	printf("zones        %u\n", s.zones);
	printf("running      %u\n", s.zones_running);
	printf("started      %llu\n", (unsigned long long)s.zones_started);
	printf("exits        %llu\n", (unsigned long long)s.exits);
	printf("overhead     %llu bytes (the last zone started, beyond its memory)\n",
	       (unsigned long long)s.overhead_bytes);
	return 0;
}

/* ---- run --------------------------------------------------------------------- */

struct run_opts {
	struct zctl_run run;
	const char *kernel_file, *initrd_file;
	uint8_t *kernel, *initrd; /* the files' bytes, to upload */
	size_t kernel_len, initrd_len;
	int rm, detach;
	const char *workspace;
	uint64_t workspace_size;
	struct zs_opts s;  /* session mode: any of these set */
	struct zs_req req; /* its op "run" */
};

/* Reads all of PATH (at most ZCTL_UPLOAD_MAX bytes); exits 2 on failure. */
static uint8_t *read_image(const char *what, const char *path, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	size_t got = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st) != 0)
		usage_error("run", "--%s %s: %s", what, path, strerror(errno));
	if (!S_ISREG(st.st_mode) || st.st_size == 0)
		usage_error("run", "--%s %s: not a file with something in it", what, path);
	if ((uint64_t)st.st_size > ZCTL_UPLOAD_MAX)
		usage_error("run", "--%s %s: %lld bytes; at most %u can be uploaded", what, path,
			    (long long)st.st_size, ZCTL_UPLOAD_MAX);
	buf = malloc((size_t)st.st_size);
	if (!buf)
		usage_error("run", "--%s %s: out of memory", what, path);
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r <= 0)
			usage_error("run", "--%s %s: read: %s", what, path,
				    r ? strerror(errno) : "file shrank");
		got += (size_t)r;
	}
	close(fd);
	*len = got;
	return buf;
}

/* ZCTL_OP_UPLOAD of IMAGE into SLOT, in window-sized chunks from offset 0. */
static void upload(uint32_t slot, const uint8_t *image, size_t len)
{
	size_t chunk = channel_window_size() - 4096;

	for (size_t off = 0; off < len; off += chunk) {
		struct zctl_upload up = {
			.slot = slot,
			.len = (uint32_t)(len - off < chunk ? len - off : chunk),
			.offset = off,
			.total = len,
		};
		channel_call_or_die(ZCTL_OP_UPLOAD, &up, sizeof(up), image + off, up.len, 0, NULL);
	}
}

static void parse_run(int argc, char **argv, struct run_opts *o)
{
	static const struct option longs[] = {
		{"name", required_argument, NULL, 'n'},
		{"mem", required_argument, NULL, 'm'},
		{"cpus", required_argument, NULL, 'c'},
		{"kernel", required_argument, NULL, 'k'},
		{"initrd", required_argument, NULL, 'N'},
		{"allow", required_argument, NULL, 'a'},
		{"allow-cidr", required_argument, NULL, 'C'},
		{"rm", no_argument, NULL, 'r'},
		{"image", required_argument, NULL, 'I'},
		{"workspace", required_argument, NULL, 'W'},
		{"workspace-size", required_argument, NULL, 'S'},
		{"detach", no_argument, NULL, 'd'},
		{"interactive", no_argument, NULL, 'i'},
		{"tty", no_argument, NULL, 't'},
		{"env", required_argument, NULL, 'e'},
		{"workdir", required_argument, NULL, 'w'},
		{"user", required_argument, NULL, 'u'},
		{"secret", required_argument, NULL, ZS_OPT_SECRET},
		{"secret-file", required_argument, NULL, ZS_OPT_SECRET_FILE},
		{"help", no_argument, NULL, 'h'},
		{0, 0, 0, 0},
	};
	const char *why;
	char *end;
	unsigned long cpus;
	int c;

	memset(o, 0, sizeof(*o));
	o->run.mem_bytes = DEFAULT_MEM;
	o->run.cpus = 1;
	while ((c = next_option("run", argc, argv, "+:dhite:w:u:", longs)) != -1) {
		switch (c) {
		case 'h': usage_exit(usage_run, 0);
		case 'n':
			why = zc_name_error(optarg);
			if (why)
				usage_error("run", "--name '%s': %s", optarg, why);
			snprintf(o->run.name, sizeof(o->run.name), "%s", optarg);
			break;
		case 'm':
			if (zc_parse_size(optarg, &o->run.mem_bytes) != 0)
				usage_error("run", "--mem '%s': not a size (say 256M or 1G)",
					    optarg);
			if (o->run.mem_bytes == 0 || o->run.mem_bytes % (2u << 20) != 0)
				usage_error("run", "--mem '%s': must be a non-zero multiple of 2M",
					    optarg);
			break;
		case 'c':
			errno = 0;
			cpus = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || cpus < 1 || cpus > MAX_CPUS)
				usage_error("run", "--cpus '%s': must be 1..%d", optarg, MAX_CPUS);
			o->run.cpus = (uint32_t)cpus;
			break;
		case 'a':
		case 'C':
			why = zc_add_rule(o->run.allow, sizeof(o->run.allow), optarg, c == 'C');
			if (why)
				usage_error("run", "--%s '%s': %s",
					    c == 'C' ? "allow-cidr" : "allow", optarg, why);
			break;
		case 'I':
			if (strcmp(optarg, "none") == 0) { /* not even zonevisor.conf's */
				o->run.flags |= ZCTL_RUN_NO_IMAGE;
				o->run.image[0] = '\0';
				break;
			}
			o->run.flags &= ~ZCTL_RUN_NO_IMAGE;
			why = zc_name_error(optarg);
			if (why)
				usage_error("run", "--image '%s': %s", optarg, why);
			snprintf(o->run.image, sizeof(o->run.image), "%s", optarg);
			break;
		case 'W': o->workspace = optarg; break;
		case 'S':
			if (zc_parse_size(optarg, &o->workspace_size) != 0 ||
			    o->workspace_size == 0 || o->workspace_size > ZCTL_STORE_MAX)
				usage_error("run", "--workspace-size '%s': a size up to 64G",
					    optarg);
			break;
		case 'k': o->kernel_file = optarg; break;
		case 'N': o->initrd_file = optarg; break;
		case 'r': o->rm = 1; break;
		case 'd': o->detach = 1; break;
		default:
			why = zs_parse_opt(&o->s, c, optarg);
			if (why)
				usage_error("run", "%s", why);
		}
	}
}

/* Session mode (docs/zonectl.md): the command line says zv_session=1 and
 * carries no command; the command, its environment and secrets travel in op
 * "run" over vsock once the zone's agent listens. */
static void prepare_session(struct run_opts *o, int bzimage, char **words, int nwords)
{
	static const char word[] = " zv_session=1";
	long len;

	if (!bzimage)
		usage_error("run",
			    "-i, -t, -e, -w, -u and secrets need a Linux kernel (a bzImage)");
	len = zc_build_args(bzimage, NULL, 0, o->run.args, sizeof(o->run.args));
	if (len < 0 || (size_t)len + sizeof(word) > sizeof(o->run.args))
		usage_error("run", "the zone's command line is too long");
	memcpy(o->run.args + len, word, sizeof(word));
	if (zs_build(&o->req, "run", &o->s, words, nwords) != 0)
		usage_error("run",
			    "the command, its environment and secrets are too long for one "
			    "request (%d bytes)",
			    ZS_REQUEST_MAX);
}

/* Reads what --kernel/--initrd name and fills kernel, initrd and args; exits 2 on a bad file
 * or a command that does not fit.  Needs no channel: usage errors come first. */
static void prepare_run(struct run_opts *o, char **words, int nwords)
{
	int bzimage = 1;

	o->run.kernel = ZCTL_IMAGE_DEFAULT;
	o->run.initrd = ZCTL_IMAGE_DEFAULT;
	if (o->kernel_file) {
		o->kernel = read_image("kernel", o->kernel_file, &o->kernel_len);
		bzimage = zc_is_bzimage(o->kernel, o->kernel_len);
		o->run.kernel = ZCTL_IMAGE_UPLOADED;
	}
	if (o->initrd_file && strcmp(o->initrd_file, "none") == 0) {
		o->run.initrd = ZCTL_IMAGE_NONE;
	} else if (o->initrd_file) {
		o->initrd = read_image("initrd", o->initrd_file, &o->initrd_len);
		o->run.initrd = ZCTL_IMAGE_UPLOADED;
	}
	if (o->workspace_size && !o->workspace)
		usage_error("run", "--workspace-size needs --workspace DIR");
	if (o->workspace) {
		zc_check_workspace_dir(o->workspace);
		o->run.flags |= ZCTL_RUN_WORKSPACE;
	}
	if (zs_opts_any(&o->s)) {
		prepare_session(o, bzimage, words, nwords);
		return;
	}
	if (zc_build_args(bzimage, words, nwords, o->run.args, sizeof(o->run.args)) < 0)
		usage_error("run",
			    "the command is too long: the zone's command line holds %d bytes%s",
			    ZCTL_ARGS_LEN - 1, bzimage ? ", the command quoted and in base64" : "");
}

/* Exit status of a foreground run for the zone's own STATUS. */
static int run_status(int32_t status)
{
	if (status < 0)
		return 137;
	return status > 255 ? 255 : status;
}

/* Zone NAME's exit status once it has exited (waiting up to STOP_WAIT_SECS),
 * or -1: none, or still running. */
static int32_t wait_exited(const char *name)
{
	time_t deadline = time(NULL) + STOP_WAIT_SECS;

	for (;;) {
		uint32_t count, i;
		const struct zctl_zone *z = zc_fetch_zones(&count);

		for (i = 0; i < count && strcmp(z[i].name, name) != 0; i++)
			;
		if (i == count)
			return -1;
		if (z[i].state == ZCTL_STATE_EXITED)
			return z[i].exit_status;
		if (time(NULL) > deadline)
			return -1;
		sleep_poll();
	}
}

/* The rest of a session-mode run once the zone runs: connect to its agent,
 * send op "run", stream (or, with -d, return once the command runs). */
static int run_session(struct run_opts *o, const char *name)
{
	struct zs_result r = {.end = ZS_END_IO};
	int gone, status, fd = zs_connect(name, &gone);

	if (fd >= 0) {
		r = zs_stream(name, fd, &o->req, &o->s, o->detach, "run");
		close(fd);
	}
	zs_req_free(&o->req);  /* its secrets zeroed */
	if (fd < 0 && !gone) { /* it would wait for its command forever */
		fprintf(stderr, "zonectl: stopping zone %s\n", name);
		stop_and_wait(name);
	}
	if (fd < 0) /* the zone ended before its agent answered: its own status */
		status = gone ? run_status(wait_exited(name)) : ZS_EXIT_START;
	else if (o->detach && r.end == ZS_END_STARTED)
		return printf("%s\n", name) < 0;
	else if (r.end == ZS_END_DETACHED)
		return 0; /* it keeps running, and is kept after it exits */
	else if (r.end == ZS_END_CLOSED || r.end == ZS_END_EXIT)
		status = r.end == ZS_END_EXIT ? r.status : run_status(wait_exited(name));
	else
		status = zs_exit_status(r);
	if (o->rm && !o->detach) {
		struct zctl_name n = zone_name(name);
		char message[ZCTL_MESSAGE_LEN];
		if (r.end == ZS_END_EXIT) /* it ends by itself: let it */
			wait_exited(name);
		stop_and_wait(name);
		if (channel_call(ZCTL_OP_RM, &n, sizeof(n), NULL, 0, 0, NULL, NULL, message))
			fprintf(stderr, "zonectl: rm %s: %s\n", name, message);
	}
	return status;
}

static int cmd_run(int argc, char **argv)
{
	struct run_opts o;
	struct zctl_zone zone;
	struct follow_end end;
	struct sigaction sa;

	parse_run(argc, argv, &o);
	if (optind < argc && strcmp(argv[optind], "--") == 0)
		optind++;
	prepare_run(&o, argv + optind, argc - optind);
	if (o.rm && o.detach)
		o.run.flags |= ZCTL_RUN_AUTO_RM;

	channel_open();
	if (o.kernel)
		upload(ZCTL_SLOT_KERNEL, o.kernel, o.kernel_len);
	if (o.initrd)
		upload(ZCTL_SLOT_INITRD, o.initrd, o.initrd_len);
	free(o.kernel);
	free(o.initrd);
	if (o.workspace)
		zc_stage_workspace(o.workspace, o.workspace_size);
	memcpy(&zone,
	       channel_call_or_die(ZCTL_OP_RUN, &o.run, sizeof(o.run), NULL, 0, sizeof(zone), NULL),
	       sizeof(zone));
	zone.name[ZCTL_NAME_LEN - 1] = '\0';
	if (o.req.data)
		return run_session(&o, zone.name);
	if (o.detach) {
		printf("%s\n", zone.name);
		return 0;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sa.sa_flags = SA_RESETHAND; /* a second Ctrl-C ends zonectl */
	sigaction(SIGINT, &sa, NULL);
	end = follow(zone.name, 1, 1);
	if (o.rm) {
		struct zctl_name n = zone_name(zone.name);
		char message[ZCTL_MESSAGE_LEN];
		if (channel_call(ZCTL_OP_RM, &n, sizeof(n), NULL, 0, 0, NULL, NULL, message))
			fprintf(stderr, "zonectl: rm %s: %s\n", zone.name, message);
	}
	return run_status(end.exit_status);
}

/* ---- main -------------------------------------------------------------------- */

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{"run", cmd_run},	  {"ps", cmd_ps},	{"logs", cmd_logs},
	{"denials", cmd_denials}, {"stop", cmd_stop},	{"rm", cmd_rm},
	{"stats", cmd_stats},	  {"image", cmd_image}, {"workspace", cmd_workspace},
	{"audit", cmd_audit},	  {"exec", cmd_exec},	{"attach", cmd_attach},
	{"cp", cmd_cp},
};

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd) {
		fputs(usage_main, stderr);
		return ZC_EXIT_USAGE;
	}
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0)
		usage_exit(usage_main, 0);
	if (strcmp(cmd, "--version") == 0) {
#ifdef ZV_VERSION
		printf("zonectl %s (control protocol %d)\n", ZV_VERSION, ZCTL_VERSION);
#else
		printf("zonectl (control protocol %d)\n", ZCTL_VERSION);
#endif
		return 0;
	}
	opterr = 0;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(cmd, commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "zonectl: unknown command '%s'\nTry 'zonectl --help'.\n", cmd);
	return ZC_EXIT_USAGE;
}
