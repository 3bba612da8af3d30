/* The one error type of the core and zones (hv/err.h). */
#include "hv/err.h"
#include <stdarg.h>

#include "hv/lib/fmt.h"

int zv_err_set(struct zv_err *e, enum zv_err_code code, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return -1;
	e->code = code;
	va_start(ap, fmt);
	zv_vsnprintf(e->reason, sizeof(e->reason), fmt, ap);
	va_end(ap);
	return -1;
}
