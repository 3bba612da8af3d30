/* A ticket-free test-and-set spinlock (hypervisor code runs with interrupts off). */
#ifndef ZV_SPINLOCK_H
#define ZV_SPINLOCK_H

#include "hv/cpu.h"

struct spinlock {
	volatile uint32_t locked;
};

static inline void spin_lock(struct spinlock *l)
{
	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		while (l->locked)
			cpu_relax();
}

static inline void spin_unlock(struct spinlock *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

#endif
