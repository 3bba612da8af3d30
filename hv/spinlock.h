/* Spinlocks for hypervisor code, which runs with interrupts off: a test-and-set lock and a fair
 * ticket lock. */
#ifndef ZV_SPINLOCK_H
#define ZV_SPINLOCK_H

#include "hv/cpu.h"

/* Test-and-set: cheapest, but unfair; a CPU that releases and re-takes it at
 * once can keep another waiting for ever. */
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

/*
 * Ticket lock (Mellor-Crummey and Scott, ACM TOCS 9(1), 1991; Linux's x86 lock
 * until 4.2): CPUs are served in the order they asked, so none waits for more
 * than the holders queued ahead of it.  For a lock that zones' exits take at
 * their own pace (the agent network's).  Zeroed is unlocked; 2^32 waiters at
 * once would wrap the counters, far beyond any CPU count.
 */
struct ticket_lock {
	volatile uint32_t next;	 /* the ticket the next caller draws */
	volatile uint32_t owner; /* the ticket now served */
};

static inline void ticket_lock(struct ticket_lock *l)
{
	uint32_t mine = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);

	while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != mine)
		cpu_relax();
}

static inline void ticket_unlock(struct ticket_lock *l)
{
	/* only the holder writes owner: a plain increment, published with release */
	__atomic_store_n(&l->owner, l->owner + 1, __ATOMIC_RELEASE);
}

/* CPUs holding or waiting for l, for tests and statistics (a snapshot). */
static inline uint32_t ticket_queued(const struct ticket_lock *l)
{
	return __atomic_load_n(&l->next, __ATOMIC_ACQUIRE) -
	       __atomic_load_n(&l->owner, __ATOMIC_ACQUIRE);
}

#endif
