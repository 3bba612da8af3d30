/* A list of callbacks run once, newest first: what a zone's devices undo when it is destroyed. */
#ifndef ZV_HOOK_LIST_H
#define ZV_HOOK_LIST_H

#define HOOK_LIST_MAX 8

struct hook_list {
	unsigned n;
	struct {
		void (*fn)(void *ctx);
		void *ctx;
	} h[HOOK_LIST_MAX];
};

/* Adds fn(ctx): 0, or -1 when the list is full. */
int hook_list_add(struct hook_list *l, void (*fn)(void *ctx), void *ctx);
/* Calls every hook, the last added first (undo in reverse order of set-up),
 * and empties the list. */
void hook_list_run(struct hook_list *l);

#endif
