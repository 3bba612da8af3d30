/* The one way a zone comes up (zones/spawn.h): create, attach, load, enter, check, run. */
#include "zones/spawn.h"

#include "hv/console.h"
#include "hv/console_input.h"
#include "hv/smp.h"
#include "hv/time.h"
#include "zones/control/control.h"
#include "zones/isolation.h"
#include "zones/load/image.h"
#include "zones/net/nic.h"
#include "zones/pci/pass.h"
#include "zones/session/vsock_relay.h"
#include "zones/storage/blk.h"
#include "zones/virtio/mmio.h"
#include "zones/zone.h"

/* The control zone is the agent network's uplink (zones/net/nic.h): without
 * it agent zones reach only the switch, so a failure is reported, not fatal. */
static void attach_uplink(struct zone *z)
{
	struct zv_err err = {ZV_EBUSY, "a PCI device decodes its window"};

	if (pci_pass_decodes(ZONE_NIC_GPA, ZONE_NIC_GPA + VIRTIO_MMIO_SIZE) ||
	    zone_nic_attach_uplink(z, &err) != 0) {
		kprintf("zone %s: no uplink for the agent network: %s\n", z->name, err.reason);
		return;
	}
	kprintf("zone %s: agent network uplink at 0x%lx, gateway 10.77.0.1\n", z->name,
		(uint64_t)ZONE_NIC_GPA);
}

/* The control zone's end of the agents' sessions (zones/session/vsock_relay.h):
 * without it zonectl cannot reach a zone's agent, so a failure is reported. */
static void attach_control_vsock(struct zone *z)
{
	struct zv_err err;

	if (zone_vsock_attach(z, &err) != 0)
		kprintf("zone %s: no vsock device for sessions: %s\n", z->name, err.reason);
}

/* Drops the references of the spec's disks from `from` on: those no zone took. */
static void release_disks(const struct zone_spec *s, uint32_t from)
{
	for (uint32_t i = from; i < s->disk_count && i < ZONE_BLK_MAX; i++)
		if (s->disks[i].ops && s->disks[i].ops->release)
			s->disks[i].ops->release(s->disks[i].ctx);
}

/* The spec's disks in order, vda first; *given counts those z took. */
static int attach_disks(const struct zone_spec *s, struct zone *z, uint32_t *given,
			struct zv_err *err)
{
	if (s->disk_count > ZONE_BLK_MAX)
		return zv_err_set(err, ZV_EINVAL, "a zone has at most %d disks", ZONE_BLK_MAX);
	for (; *given < s->disk_count; (*given)++)
		if (zone_blk_attach(z, &s->disks[*given], err) != 0)
			return -1;
	return 0;
}

static int attach_devices(const struct zone_spec *s, struct zone *z, uint32_t *given,
			  struct zv_err *err)
{
	if (s->kind == ZONE_AGENT && zone_nic_attach(z, s->allow, err) != 0)
		return -1;
	if (s->kind == ZONE_AGENT && zone_vsock_attach(z, err) != 0)
		return -1;
	if (s->kind != ZONE_CONTROL)
		return attach_disks(s, z, given, err);
	if (control_attach(z) != 0)
		return zv_err_set(err, ZV_EBUSY, "the control channel's ports are taken");
	if (pci_pass_attach(z) != 0)
		return zv_err_set(err, ZV_ENOMEM, "no memory to map the PCI devices");
	attach_uplink(z);
	attach_control_vsock(z);
	return 0;
}

/* Everything before the zone may run; -1 with *err, z still to destroy
 * (and the spec's disks from *given on still to release). */
static int prepare(const struct zone_spec *s, struct zone *z, uint32_t *given, struct zv_err *err)
{
	struct vcpu_entry e;

	if (attach_devices(s, z, given, err) != 0)
		return -1;
	if (!s->image)
		return zv_err_set(err, ZV_EIMAGE, "image file was not loaded");
	if (zone_load_image(z, s->image, s->image_size, s->initrd, s->initrd_size, s->args, &e,
			    err) != 0)
		return -1;
	/* The entry state is the image's: zonectl reports its failure as one. */
	if (zone_set_entry(z, &e) != 0)
		return zv_err_set(err, ZV_EIMAGE, "no memory for the vCPU");
	return zones_check_isolation(err);
}

/* The control zone runs on this CPU (the BSP) until it ends: zonectl's
 * requests are served inside its exits. */
static void run_here(struct zone *z)
{
	z->start_tsc = rdtsc();
	z->state = ZONE_RUNNING;
	z->vcpus_running = 1;
	cpu_run_vcpu(&z->vcpus[0]);
}

int zone_spawn(const struct zone_spec *s, struct zv_err *err)
{
	struct zone *z = s->kind == ZONE_CONTROL
				 ? zone_create_control(s->name, s->mem_bytes, err)
				 : zone_create(s->name, s->mem_bytes, s->cpus, s->vcpu_count, err);
	uint32_t given = 0; /* disks z took: its destroy releases those */

	if (!z) {
		release_disks(s, 0);
		return -1;
	}
	if (prepare(s, z, &given, err) != 0) {
		zone_destroy(z);
		release_disks(s, given);
		return -1;
	}
	release_disks(s, given); /* none left but a control zone's: it takes no disks */
	z->verify_wipe = s->verify_wipe;
	z->console_input = s->console_input;
	if (s->console_input)
		console_input_reset();
	z->console_timestamps = s->console_timestamps;
	z->console_sink = s->console_sink;
	z->console_ctx = s->ctx;
	z->on_stopped = s->on_stopped;
	z->on_ended = s->on_ended;
	z->on_ended_ctx = s->ctx;
	if (s->on_ready)
		s->on_ready(s->ctx, z);
	if (s->kind == ZONE_CONTROL)
		run_here(z);
	else
		zone_start(z);
	return 0;
}
