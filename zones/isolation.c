/* Live-zone registry and the nested-table isolation check run at every zone start. */
#include "zones/isolation.h"
#include "hv/npt.h"
#include "hv/spinlock.h"
#include "zones/zone.h"

static struct spinlock lock;
static struct zone *live[ZONES_MAX];
static struct npt_range forbidden[ZV_MAX_MEM_RANGES];
static unsigned nforbidden;

void zones_init(const struct zv_bootinfo *bi)
{
	for (uint32_t i = 0; i < bi->mem_count; i++) {
		if (bi->mem[i].type == ZV_MEM_USABLE)
			continue;
		forbidden[nforbidden++] =
			(struct npt_range){bi->mem[i].base, bi->mem[i].pages * ZV_PAGE_SIZE};
	}
}

int zone_register(struct zone *z)
{
	int rc = -1;

	spin_lock(&lock);
	for (unsigned i = 0; i < ZONES_MAX && rc; i++) {
		if (!live[i]) {
			live[i] = z;
			rc = 0;
		}
	}
	spin_unlock(&lock);
	return rc;
}

void zone_unregister(struct zone *z)
{
	spin_lock(&lock);
	for (unsigned i = 0; i < ZONES_MAX; i++)
		if (live[i] == z)
			live[i] = NULL;
	spin_unlock(&lock);
}

unsigned zones_live(void)
{
	unsigned n = 0;

	for (unsigned i = 0; i < ZONES_MAX; i++)
		n += live[i] != NULL;
	return n;
}

int zones_check_isolation(struct zv_err *err)
{
	const struct npt *tables[ZONES_MAX];
	unsigned n = 0;
	int rc;

	spin_lock(&lock);
	for (unsigned i = 0; i < ZONES_MAX; i++)
		if (live[i])
			tables[n++] = &live[i]->npt;
	rc = npt_check_isolation(tables, n, forbidden, nforbidden, err->reason,
				 sizeof(err->reason));
	spin_unlock(&lock);
	if (rc != 0)
		err->code = ZV_EISOLATION;
	return rc;
}
