/* Unit tests of the ticket lock (hv/spinlock.h) with host threads: exclusion, and service in the
 * order CPUs asked, so a CPU that releases and re-takes the lock cannot starve a waiter. */
#include <pthread.h>
#include <sched.h>

#include "hv/spinlock.h"
#include "tests/unit/test.h"

static struct ticket_lock lock;
static unsigned long counter; /* deliberately not atomic: the lock is all that guards it */
static int order[8];
static unsigned entered;

/* Few rounds: a ticket lock hands over in turn, so on a loaded 2-core host every
 * hand-over to a thread that is not running costs the spinner its time slice. */
#define ROUNDS 2000

static void *count_under_lock(void *arg)
{
	(void)arg;
	for (int i = 0; i < ROUNDS; i++) {
		ticket_lock(&lock);
		counter = counter + 1;
		ticket_unlock(&lock);
	}
	return NULL;
}

/* Waits until `want` CPUs hold or wait for the lock. */
static void wait_queued(uint32_t want)
{
	while (ticket_queued(&lock) != want)
		sched_yield();
}

/* Takes the lock and records who got in, in the order they got in. */
static void *enter_and_record(void *arg)
{
	ticket_lock(&lock);
	order[entered++] = (int)(intptr_t)arg;
	ticket_unlock(&lock);
	return NULL;
}

TEST(ticket_lock_excludes)
{
	pthread_t t[2];

	lock = (struct ticket_lock){0};
	counter = 0;
	for (int i = 0; i < 2; i++)
		CHECK(pthread_create(&t[i], NULL, count_under_lock, NULL) == 0);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	CHECK_EQ_U64(counter, 2 * ROUNDS);
	CHECK_EQ_U64(ticket_queued(&lock), 0);
}

TEST(ticket_lock_serves_waiters_in_arrival_order)
{
	pthread_t t[3];

	lock = (struct ticket_lock){0};
	entered = 0;
	ticket_lock(&lock);
	for (int i = 0; i < 3; i++) {
		CHECK(pthread_create(&t[i], NULL, enter_and_record, (void *)(intptr_t)(i + 1)) ==
		      0);
		wait_queued((uint32_t)i + 2); /* the holder and each waiter so far */
	}
	ticket_unlock(&lock);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	CHECK_EQ_U64(entered, 3);
	for (int i = 0; i < 3; i++)
		CHECK_EQ_U64(order[i], i + 1);
}

/* The net_lock case: a CPU that unlocks and locks again at once (a zone's
 * exits in a loop) gets in only after the CPU that was already waiting. */
TEST(ticket_lock_holder_cannot_retake_before_a_waiter)
{
	pthread_t waiter;

	lock = (struct ticket_lock){0};
	entered = 0;
	ticket_lock(&lock);
	CHECK(pthread_create(&waiter, NULL, enter_and_record, (void *)(intptr_t)1) == 0);
	wait_queued(2);
	ticket_unlock(&lock);
	ticket_lock(&lock);
	order[entered++] = 2;
	ticket_unlock(&lock);
	pthread_join(waiter, NULL);
	CHECK_EQ_U64(entered, 2);
	CHECK_EQ_U64(order[0], 1);
	CHECK_EQ_U64(order[1], 2);
}
