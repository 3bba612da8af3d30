/* Who owns each of the host's interrupt vectors, and what takes it (pure; host-tested). */
#ifndef ZV_VECTORS_H
#define ZV_VECTORS_H

#include <stdint.h>

/* Vectors 0-31 are the architecture's exceptions (SDM vol. 3A, 6.2): no
 * owner may reserve them; hv/trap.c handles them itself. */
#define VECTORS_FIRST_FREE 32

/* One reservation.  handle may be NULL: the vector only interrupts (a
 * wakeup, a timer that ends a halt); hv/trap.c sends the EOI either way. */
struct vector_owner {
	const char *owner;
	void (*handle)(void *ctx, uint8_t vector);
	void *ctx;
};

struct vector_table {
	struct vector_owner v[256];
};

/* Reserves [first, last] for *o (copied): 0, or -1 when the range is empty,
 * reaches below VECTORS_FIRST_FREE, or any vector of it is taken.  Nothing is
 * reserved on -1.  Never undone: an owner that goes away keeps its vectors
 * and its handler decides what a late interrupt means. */
int vectors_reserve(struct vector_table *t, unsigned first, unsigned last,
		    const struct vector_owner *o);
/* The owner of vector, or NULL.  Any CPU, in interrupt context. */
const struct vector_owner *vectors_owner(const struct vector_table *t, uint8_t vector);

/* The host's table: the core reserves its own vectors in idt_init. */
extern struct vector_table host_vectors;

#endif
