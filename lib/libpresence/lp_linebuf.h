/* Lines held back to be written later, in order (presence's per-NOTIFY log
 * lines during a fan-out, pres_nlog_kam.h).
 *
 * One buffer per process (no lock). The lines, each NUL-ended, sit in one
 * malloc'd block that grows by doubling up to the caller's max bytes; a
 * line that would pass max first sends the held ones to the writer. The
 * owner frees the block with lp_linebuf_free. */
#ifndef LP_LINEBUF_H
#define LP_LINEBUF_H

#include <stddef.h>

typedef struct lp_linebuf {
	char *buf;
	size_t len, cap; /* bytes held, bytes allocated */
} lp_linebuf_t;

#define LP_LINEBUF_INIT {NULL, 0, 0}

/* Writes one held line (len bytes, without its NUL). */
typedef void (*lp_line_fn)(const char *line, size_t len, void *ctx);

/* lp_linebuf_printf: holds the formatted line. 0: held; -1: not held (it
 * alone is longer than max, or no memory): the caller writes it itself,
 * after the held ones if order matters (lp_linebuf_flush). */
int lp_linebuf_printf(lp_linebuf_t *b, size_t max, lp_line_fn out, void *ctx,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Every held line to out, in the order held; then none is held (the block
 * is kept). */
void lp_linebuf_flush(lp_linebuf_t *b, lp_line_fn out, void *ctx);

/* Frees the block; held lines are dropped (flush first). */
void lp_linebuf_free(lp_linebuf_t *b);

#endif
