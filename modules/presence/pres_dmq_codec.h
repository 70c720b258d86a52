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

/* A sync answer: records spread over messages of about PRES_DMQ_CHUNK
 * bytes, none over PRES_DMQ_MSG_MAX (one big record alone). */
typedef struct pres_dmq_chunks
{
	const char *hdr; /* the header line of each message */
	pres_dmq_buf_t *bufs;
	int nbufs, err;
} pres_dmq_chunks_t;

/* The message to append a record of about `size` bytes to: the last one,
 * or a new one when that one is full. NULL out of memory (c->err set). */
pres_dmq_buf_t *pres_dmq_chunk(pres_dmq_chunks_t *c, int size);
/* Send every message to node (NULL: every other node) and free them all;
 * what names the records of a sync answer in the log lines (NULL: changes
 * of subscriptions, nothing logged when all went). The records sent, or -1
 * (out of memory before, or a send failed: the rest is not sent). */
int pres_dmq_chunks_send(pres_dmq_chunks_t *c, void *node, const char *what);
/* Send a message of the header line h alone to every other node; 0 or
 * -1. */
int pres_dmq_send_hdr(const char *h);

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
/* Byte order of a and b, the shorter first on a common prefix: 1, 0, -1
 * (the conflict rules' last word, the same on every node). */
int pres_dmq_cmp_str(const lp_str_t *a, const lp_str_t *b);

/* A header-like field: no control bytes (they would reach SIP headers,
 * SQL and logs of every node). */
int pres_dmq_clean(const lp_str_t *f);
/* The cursor starts with h. */
int pres_dmq_starts(const pres_dmq_cursor_t *c, const char *h);

#endif
