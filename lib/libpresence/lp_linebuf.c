/* Lines held back to be written later: see lp_linebuf.h. */
#include "lp_linebuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LP_LINEBUF_FIRST (64 << 10)

void lp_linebuf_flush(lp_linebuf_t *b, lp_line_fn out, void *ctx)
{
	size_t off, n;

	for(off = 0; off < b->len; off += n + 1) {
		n = strlen(b->buf + off);
		out(b->buf + off, n, ctx);
	}
	b->len = 0;
}

void lp_linebuf_free(lp_linebuf_t *b)
{
	free(b->buf);
	b->buf = NULL;
	b->len = b->cap = 0;
}

/* Room for need more bytes within max (the held lines written first when
 * they and need would pass it); 0, or -1. */
static int reserve(lp_linebuf_t *b, size_t need, size_t max, lp_line_fn out,
		void *ctx)
{
	size_t cap;
	char *nb;

	if(need > max)
		return -1;
	if(b->len + need > max)
		lp_linebuf_flush(b, out, ctx);
	if(b->len + need <= b->cap)
		return 0;
	for(cap = b->cap ? b->cap : LP_LINEBUF_FIRST; cap < b->len + need;)
		cap *= 2;
	if(cap > max)
		cap = max;
	nb = realloc(b->buf, cap);
	if(!nb)
		return -1;
	b->buf = nb;
	b->cap = cap;
	return 0;
}

int lp_linebuf_printf(lp_linebuf_t *b, size_t max, lp_line_fn out, void *ctx,
		const char *fmt, ...)
{
	size_t room = b->cap - b->len;
	va_list ap;
	int n;

	/* most lines fit in the room left: one formatting */
	va_start(ap, fmt);
	n = vsnprintf(room ? b->buf + b->len : NULL, room, fmt, ap);
	va_end(ap);
	if(n < 0)
		return -1;
	if((size_t)n >= room || b->len + (size_t)n + 1 > max) {
		if(reserve(b, (size_t)n + 1, max, out, ctx) < 0)
			return -1;
		va_start(ap, fmt);
		vsnprintf(b->buf + b->len, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n + 1;
	return 0;
}
