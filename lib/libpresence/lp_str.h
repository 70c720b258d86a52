/* Counted strings for libpresence. lp_str_t has the same layout as
 * Kamailio's `str` ({char *s; int len;}) so the glue can pass one for the
 * other, but this header needs nothing from Kamailio. Strings are not
 * NUL-terminated unless a function says so. */
#ifndef LP_STR_H
#define LP_STR_H

#include <stddef.h>
#include <string.h>
#include <strings.h>

typedef struct lp_str {
	char *s;
	int len;
} lp_str_t;

/* An lp_str_t for a string literal; the length is computed by the compiler. */
#define LP_STR(lit) ((lp_str_t){(char *)(lit), (int)(sizeof(lit) - 1)})
#define LP_STR_NULL ((lp_str_t){NULL, 0})
/* printf("%.*s", LP_STR_FMT(x)) */
#define LP_STR_FMT(x) (x).len, ((x).s ? (x).s : "")

static inline lp_str_t lp_str_c(const char *cs)
{
	lp_str_t r = {(char *)cs, cs ? (int)strlen(cs) : 0};
	return r;
}

static inline int lp_str_eq(const lp_str_t *a, const lp_str_t *b)
{
	return a->len == b->len && (a->len == 0 || memcmp(a->s, b->s, a->len) == 0);
}

static inline int lp_str_caseeq(const lp_str_t *a, const lp_str_t *b)
{
	return a->len == b->len
		   && (a->len == 0 || strncasecmp(a->s, b->s, a->len) == 0);
}

/* Copy src (may be NULL: empty) to *w and NUL-terminate it there; *dst
 * points at the copy and *w moves past its NUL. For records built in one
 * block: the caller sized it (each string's len + 1). */
static inline void lp_str_put(lp_str_t *dst, char **w, const lp_str_t *src)
{
	dst->s = *w;
	dst->len = src && src->s ? src->len : 0;
	if(dst->len)
		memcpy(*w, src->s, dst->len);
	(*w)[dst->len] = '\0';
	*w += dst->len + 1;
}

/* Trim ASCII blanks (space, tab, CR, LF) from both ends, in place. */
static inline void lp_str_trim(lp_str_t *x)
{
	while(x->len > 0 && (x->s[0] == ' ' || x->s[0] == '\t' || x->s[0] == '\r'
							   || x->s[0] == '\n')) {
		x->s++;
		x->len--;
	}
	while(x->len > 0
			&& (x->s[x->len - 1] == ' ' || x->s[x->len - 1] == '\t'
					|| x->s[x->len - 1] == '\r' || x->s[x->len - 1] == '\n'))
		x->len--;
}

#endif
