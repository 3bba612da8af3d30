/* The vector table: each reservation published owner last, so a reader never sees half of one. */
#include "hv/vectors.h"
#include <stddef.h>

int vectors_reserve(struct vector_table *t, unsigned first, unsigned last,
		    const struct vector_owner *o)
{
	if (first < VECTORS_FIRST_FREE || first > last || last > 255 || !o->owner)
		return -1;
	for (unsigned v = first; v <= last; v++)
		if (t->v[v].owner)
			return -1;
	for (unsigned v = first; v <= last; v++) {
		t->v[v].handle = o->handle;
		t->v[v].ctx = o->ctx;
		/* other CPUs may take the vector already: owner last */
		__atomic_store_n(&t->v[v].owner, o->owner, __ATOMIC_RELEASE);
	}
	return 0;
}

const struct vector_owner *vectors_owner(const struct vector_table *t, uint8_t vector)
{
	const struct vector_owner *o = &t->v[vector];

	return __atomic_load_n(&o->owner, __ATOMIC_ACQUIRE) ? o : NULL;
}
