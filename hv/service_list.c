/* Service lists: a fixed array, every entry run on each call. */
#include "hv/service_list.h"

int service_list_add(struct service_list *l, bool (*fn)(void *ctx), void *ctx)
{
	if (l->n == SERVICE_LIST_MAX)
		return -1;
	l->s[l->n].fn = fn;
	l->s[l->n].ctx = ctx;
	l->n++;
	return 0;
}

bool service_list_run(const struct service_list *l)
{
	bool ran = false;

	for (unsigned i = 0; i < l->n; i++) /* no short cut: each device gets its batch */
		ran |= l->s[i].fn(l->s[i].ctx);
	return ran;
}
