/* The byte-level pieces of our DMQ messages, shared by the publication
 * records (pres_dmq.c) and the subscription records (pres_dmq_subs.c): a
 * growing malloc'd buffer, and a strict cursor over received bytes. */
#ifndef PRES_DMQ_CODEC_H
#define PRES_DMQ_CODEC_H

#include "pres_dmq.h"

/* b has room for `more` bytes (realloc); 0 or -1. */
int pres_dmq_reserve(pres_dmq_buf_t *b, int more);
/* Append f's bytes (room reserved by the caller). */
void pres_dmq_put(pres_dmq_buf_t *b, const lp_str_t *f);
/* Start b with the header line h (buffer malloc'd); 0 or -1 (b empty). */
int pres_dmq_begin_hdr(pres_dmq_buf_t *b, const char *h);

typedef struct pres_dmq_cursor
{
	const char *p, *end;
} pres_dmq_cursor_t;

/* An unsigned decimal of 1..10 digits, at most max, then the byte sep. */
int pres_dmq_get_num(pres_dmq_cursor_t *c, unsigned long max,
		unsigned long *out, char sep);
int pres_dmq_get_len(pres_dmq_cursor_t *c, int max, int *out, char sep);
/* The next len bytes as f (the caller checked they are there). */
void pres_dmq_take(pres_dmq_cursor_t *c, lp_str_t *f, int len);
/* A header-like field: no control bytes (they would reach SIP headers,
 * SQL and logs of every node). */
int pres_dmq_clean(const lp_str_t *f);
/* The cursor starts with h. */
int pres_dmq_starts(const pres_dmq_cursor_t *c, const char *h);

#endif
