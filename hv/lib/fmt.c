/* printf-style formatting into a bounded buffer (hv/lib/fmt.h); integers only, no allocation. */
#include <stdbool.h>
#include <stdint.h>

#include "hv/lib/fmt.h"

/* A width beyond this is clamped: it can only be a typo, and it keeps int math safe. */
#define FMT_MAX_WIDTH 4096

struct fmt_out {
	char *buf;
	size_t size;
	size_t len; /* bytes the full output has so far */
};

/* One parsed conversion specification (C11 7.21.6.1p4). */
struct fmt_spec {
	bool left; /* '-' */
	bool zero; /* '0' */
	int width;
	int prec;   /* -1 when absent */
	int length; /* 0 none, 'H' hh, 'h', 'l', 'L' ll, 'z' */
	char conv;
};

static void out_char(struct fmt_out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void out_repeat(struct fmt_out *o, char c, int n)
{
	while (n-- > 0)
		out_char(o, c);
}

static void out_mem(struct fmt_out *o, const char *s, size_t n)
{
	while (n--)
		out_char(o, *s++);
}

/* Reads digits (or '*' from the arguments) at *fmt into a clamped count. */
static int parse_count(const char **fmt, va_list *ap)
{
	int n = 0;

	if (**fmt == '*') {
		(*fmt)++;
		n = va_arg(*ap, int);
		return n > FMT_MAX_WIDTH ? FMT_MAX_WIDTH : n;
	}
	while (**fmt >= '0' && **fmt <= '9') {
		if (n < FMT_MAX_WIDTH)
			n = n * 10 + (**fmt - '0');
		(*fmt)++;
	}
	return n > FMT_MAX_WIDTH ? FMT_MAX_WIDTH : n;
}

static void parse_flags(const char **fmt, struct fmt_spec *sp)
{
	for (;; (*fmt)++) {
		if (**fmt == '-')
			sp->left = true;
		else if (**fmt == '0')
			sp->zero = true;
		else
			return;
	}
}

static void parse_length(const char **fmt, struct fmt_spec *sp)
{
	char c = **fmt;

	if (c != 'l' && c != 'h' && c != 'z')
		return;
	(*fmt)++;
	sp->length = c;
	if ((c == 'l' || c == 'h') && **fmt == c) {
		(*fmt)++;
		sp->length = c == 'l' ? 'L' : 'H';
	}
}

/* Parses the spec after '%'; *fmt is left on the conversion character. */
static void parse_spec(const char **fmt, struct fmt_spec *sp, va_list *ap)
{
	sp->left = sp->zero = false;
	sp->prec = -1;
	sp->length = 0;
	parse_flags(fmt, sp);
	sp->width = parse_count(fmt, ap);
	if (sp->width < 0) { /* C11 7.21.6.1p5: negative '*' width means '-' */
		sp->left = true;
		sp->width = sp->width < -FMT_MAX_WIDTH ? FMT_MAX_WIDTH : -sp->width;
	}
	if (**fmt == '.') {
		(*fmt)++;
		sp->prec = parse_count(fmt, ap);
		if (sp->prec < 0)
			sp->prec = -1;
	}
	parse_length(fmt, sp);
	sp->conv = **fmt;
}

static unsigned long long arg_unsigned(const struct fmt_spec *sp, va_list *ap)
{
	switch (sp->length) {
	case 'H': return (unsigned char)va_arg(*ap, unsigned int);
	case 'h': return (unsigned short)va_arg(*ap, unsigned int);
	case 'l': return va_arg(*ap, unsigned long);
	case 'L': return va_arg(*ap, unsigned long long);
	case 'z': return va_arg(*ap, size_t);
	default: return va_arg(*ap, unsigned int);
	}
}

static long long arg_signed(const struct fmt_spec *sp, va_list *ap)
{
	switch (sp->length) {
	case 'H': return (signed char)va_arg(*ap, int);
	case 'h': return (short)va_arg(*ap, int);
	case 'l': return va_arg(*ap, long);
	case 'L': return va_arg(*ap, long long);
	case 'z': return (long long)va_arg(*ap, size_t);
	default: return va_arg(*ap, int);
	}
}

/* Writes v in base 10 or 16 into the end of tmp; returns the first digit. */
static char *utoa(char *end, unsigned long long v, unsigned base, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char *p = end;

	do {
		*--p = digits[v % base];
		v /= base;
	} while (v);
	return p;
}

/* Emits prefix ("-", "0x" or ""), zero padding and digits inside the width. */
static void out_number(struct fmt_out *o, const struct fmt_spec *sp, const char *prefix,
		       unsigned long long v, unsigned base)
{
	char tmp[24];
	char *digits = utoa(tmp + sizeof(tmp), v, base, sp->conv == 'X');
	int ndig = (int)(tmp + sizeof(tmp) - digits);
	int npre = 0, zeros = 0, pad;

	while (prefix[npre])
		npre++;
	if (sp->prec == 0 && v == 0)
		ndig = 0; /* C11 7.21.6.1p8: precision 0 prints no digits for 0 */
	if (sp->prec > ndig)
		zeros = sp->prec - ndig;
	pad = sp->width - npre - zeros - ndig;
	if (sp->zero && !sp->left && sp->prec < 0 && pad > 0) {
		zeros += pad;
		pad = 0;
	}
	if (!sp->left)
		out_repeat(o, ' ', pad);
	out_mem(o, prefix, (size_t)npre);
	out_repeat(o, '0', zeros);
	out_mem(o, digits, (size_t)ndig);
	if (sp->left)
		out_repeat(o, ' ', pad);
}

static void out_padded(struct fmt_out *o, const struct fmt_spec *sp, const char *s, size_t n)
{
	int pad = sp->width > (int)n ? sp->width - (int)n : 0;

	if (!sp->left)
		out_repeat(o, ' ', pad);
	out_mem(o, s, n);
	if (sp->left)
		out_repeat(o, ' ', pad);
}

static void conv_string(struct fmt_out *o, const struct fmt_spec *sp, va_list *ap)
{
	const char *s = va_arg(*ap, const char *);
	size_t n = 0;

	if (!s)
		s = "(null)";
	while ((sp->prec < 0 || n < (size_t)sp->prec) && s[n])
		n++;
	out_padded(o, sp, s, n);
}

static void conv_signed(struct fmt_out *o, const struct fmt_spec *sp, va_list *ap)
{
	long long v = arg_signed(sp, ap);
	/* Negate in unsigned arithmetic so LLONG_MIN is no overflow. */
	unsigned long long mag = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

	out_number(o, sp, v < 0 ? "-" : "", mag, 10);
}

/* Handles one conversion; returns false when conv is not one we know. */
static bool convert(struct fmt_out *o, const struct fmt_spec *sp, va_list *ap)
{
	char c;

	switch (sp->conv) {
	case 'd':
	case 'i': conv_signed(o, sp, ap); return true;
	case 'u': out_number(o, sp, "", arg_unsigned(sp, ap), 10); return true;
	case 'x':
	case 'X': out_number(o, sp, "", arg_unsigned(sp, ap), 16); return true;
	case 'p': out_number(o, sp, "0x", (uintptr_t)va_arg(*ap, void *), 16); return true;
	case 's': conv_string(o, sp, ap); return true;
	case 'c':
		c = (char)va_arg(*ap, int);
		out_padded(o, sp, &c, 1);
		return true;
	case '%': out_char(o, '%'); return true;
	default: return false;
	}
}

/* Formats into o; a spec we do not understand is copied out as written. */
static void format(struct fmt_out *o, const char *fmt, va_list *ap)
{
	const char *start;
	struct fmt_spec sp;

	while (*fmt) {
		if (*fmt != '%') {
			out_char(o, *fmt++);
			continue;
		}
		start = fmt++;
		parse_spec(&fmt, &sp, ap);
		if (sp.conv && convert(o, &sp, ap)) {
			fmt++;
			continue;
		}
		if (sp.conv)
			fmt++;
		out_mem(o, start, (size_t)(fmt - start));
	}
}

int zv_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct fmt_out o = {buf, size, 0};
	va_list copy;

	/* A va_list parameter may be an array type: copy it to take its address. */
	va_copy(copy, ap);
	format(&o, fmt, &copy);
	va_end(copy);
	if (size > 0)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return o.len > 0x7fffffff ? 0x7fffffff : (int)o.len;
}

int zv_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = zv_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
