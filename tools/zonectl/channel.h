/* The control channel from the control zone's side: ports, the /dev/mem window, one call. */
#ifndef ZV_ZONECTL_CHANNEL_H
#define ZV_ZONECTL_CHANNEL_H

#include <stddef.h>
#include <stdint.h>

#include "zones/control/proto.h"

/* zonectl's exit statuses (docs/zonectl.md). */
#define ZC_EXIT_REFUSED 1   /* the hypervisor refused the request */
#define ZC_EXIT_USAGE	2   /* bad command line */
#define ZC_EXIT_CHANNEL 125 /* no channel, not root, protocol error */

/* Opens the channel (ioperm, ID and version check, window mapping); exits 125 on failure. */
void channel_open(void);

/* The usable window size in bytes; channel_open() first. */
uint32_t channel_window_size(void);

/* One request: OP with BODY (LEN bytes) then DATA (DLEN bytes, may be 0).  Returns the
 * response's error (ZCTL_OK or enum zctl_error), MESSAGE filled on error; on OK *REPLY
 * points at the reply body (valid until the next call) and *REPLY_LEN is its length,
 * checked to be at least MIN_REPLY.  A malformed response exits 125. */
int channel_call(uint16_t op, const void *body, size_t len, const void *data, size_t dlen,
		 size_t min_reply, const void **reply, size_t *reply_len,
		 char message[ZCTL_MESSAGE_LEN]);

/* channel_call() that prints "zonectl: MESSAGE" and exits 1 on any error. */
const void *channel_call_or_die(uint16_t op, const void *body, size_t len, const void *data,
				size_t dlen, size_t min_reply, size_t *reply_len);

#endif
