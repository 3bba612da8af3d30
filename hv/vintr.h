/* Event delivery into a vCPU before each entry, vendor-neutral (the backends supply the mechanics).
 */
#ifndef ZV_VINTR_H
#define ZV_VINTR_H

#include "hv/arch/vcpu.h"

/* Programs this CPU's timer for v's next APIC timer deadline (if it moved). */
void vcpu_arm_host_timer(struct vcpu *v);

#endif
