/* Exits to devices: a lookup in the zone's registry, then the device's handler. */
#include "hv/devio.h"
#include "hv/zone_api.h"

enum vexit_action devio_port(struct vcpu *v, uint16_t port, unsigned size, bool in, uint32_t *value)
{
	const struct io_range *r = io_map_find(zone_io(v->zone), IO_PORT, port, size);
	uint64_t val = *value;
	enum io_result res = r ? io_range_access(r, v, port, size, !in, &val) : IO_DONE;

	if (in)
		*value = r ? (uint32_t)val : 0xffffffffu;
	return res == IO_DONE ? VACT_RESUME : VACT_STOP;
}

const struct io_range *devio_mmio(struct vcpu *v, uint64_t gpa)
{
	return io_map_find(zone_io(v->zone), IO_MMIO, gpa, 1);
}

const struct io_range *devio_msr(struct vcpu *v, uint32_t msr)
{
	return io_map_find(zone_io(v->zone), IO_MSR, msr, 1);
}
