/* Hook lists: a fixed array, run backwards. */
#include "hv/hook_list.h"

int hook_list_add(struct hook_list *l, void (*fn)(void *ctx), void *ctx)
{
	if (l->n == HOOK_LIST_MAX)
		return -1;
	l->h[l->n].fn = fn;
	l->h[l->n].ctx = ctx;
	l->n++;
	return 0;
}

void hook_list_run(struct hook_list *l)
{
	while (l->n > 0) {
		l->n--;
		l->h[l->n].fn(l->h[l->n].ctx);
	}
}
