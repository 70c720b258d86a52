/* Strict checks of the SIP header fields a presence server acts on, host
 * neutral so that Check tests and libFuzzer drive them directly. Kamailio's
 * own parsers are lenient where it matters to us (an Expires beyond 2^32 or
 * a repeated single-valued header is silently reduced to something else),
 * so the glue collects the raw header values and their counts from the
 * message and lp_siphdr_check decides: well-formed (the values to use), or
 * the RFC's error code (400, 415) with a reason and a log text. Nothing
 * here allocates; every lp_str_t it returns points into its input. */
#ifndef LP_SIPHDR_H
#define LP_SIPHDR_H

#include "lp_str.h"

/* Expires: absent; the largest value kept (larger ones saturate to it, the
 * caller caps at its max_expires). */
#define LP_SIPHDR_EXPIRES_NONE (-1)
#define LP_SIPHDR_EXPIRES_MAX 0x7fffffff

/* Longest Event id parameter a caller usually allows: the event_id column
 * of Kamailio's active_watchers table is VARCHAR(64). */
#define LP_SIPHDR_EVENT_ID_MAX 64

/* The header fields lp_siphdr_check looks at. */
enum lp_siphdr_field {
	LP_SH_EXPIRES = 0,
	LP_SH_EVENT,
	LP_SH_IFMATCH, /* SIP-If-Match */
	LP_SH_CTYPE,   /* Content-Type */
	LP_SH_CLEN,	   /* Content-Length */
	LP_SH_CENC,	   /* Content-Encoding (a list: may be repeated) */
	LP_SH_COUNT
};

/* What the glue collected from one request. */
typedef struct lp_siphdr_in {
	int count[LP_SH_COUNT];		 /* header fields of each kind */
	lp_str_t value[LP_SH_COUNT]; /* the first one's value; LP_SH_CENC:
									every value joined by ',' */
	int framing_error;			 /* body shorter than Content-Length */
	int event_id_max;			 /* longest Event id accepted; 0: any */
} lp_siphdr_in_t;

typedef struct lp_siphdr_out {
	int code;			/* 0 well-formed, else 400 or 415 */
	const char *reason; /* reason phrase of that reply (static) */
	const char *why;	/* what was wrong, for the log (static) */
	int expires;		/* LP_SIPHDR_EXPIRES_NONE or 0..EXPIRES_MAX */
	lp_str_t etag;		/* the SIP-If-Match entity-tag, or {NULL,0} */
} lp_siphdr_out_t;

/* Expires value (RFC 3261 s20.19, 1*DIGIT, blanks around it allowed):
 * leading zeros are fine; values of LP_SIPHDR_EXPIRES_MAX and more
 * saturate to it (never wrap, never an error). Returns 0 with *secs set,
 * or -1 for anything else (empty, a sign, a non-digit). */
int lp_siphdr_expires(const lp_str_t *v, int *secs);

/* SIP-If-Match value (RFC 3903 s11.3.2: exactly one entity-tag, a token).
 * Returns 0 with *tag the trimmed entity-tag, -2 when it holds more than
 * one (separated by ',' or blanks), -1 when empty or not a token. */
int lp_siphdr_etag(const lp_str_t *v, lp_str_t *tag);

/* Content-Encoding value: a ','-separated list of content-codings.
 * Returns 0 when every coding is "identity" (case-insensitive), 1 when one
 * is a coding we do not support (answer 415 with Accept-Encoding), -1 when
 * the list is malformed (an empty element or a non-token). */
int lp_siphdr_encoding(const lp_str_t *v);

/* Accept (RFC 3261 s20.1 and s25.1): the media ranges a SUBSCRIBE's
 * sender takes in NOTIFY bodies. A range is type/subtype, type/ * or * / *
 * (no blanks), each with parameters; q (a qvalue, kept x 1000) says how
 * much it is wanted, q=0 that it is not acceptable. */
#define LP_SIPHDR_ACCEPT_MAX 32 /* ranges in one request */
typedef struct lp_siphdr_mrange {
	lp_str_t type, subtype; /* "*" for a wildcard */
	int q;					/* 0..1000 */
} lp_siphdr_mrange_t;
typedef struct lp_siphdr_accept {
	int n;
	lp_siphdr_mrange_t r[LP_SIPHDR_ACCEPT_MAX];
} lp_siphdr_accept_t;

/* Parse an Accept value (several header fields joined by ','). A value
 * that is empty or blank is a well-formed empty list: nothing is
 * acceptable (RFC 3261 s20.1). Returns 0 with *a filled (pointers into v),
 * or -1 when malformed: an empty element, a type or subtype that is not a
 * token, a wildcard type with a subtype, a parameter whose name is not a
 * token or whose value is neither a token nor a quoted string, a q that is
 * not a qvalue ("0" ["." 0*3DIGIT] / "1" ["." 0*3"0"]), more than
 * LP_SIPHDR_ACCEPT_MAX ranges. Nothing allocated. */
int lp_siphdr_accept_parse(const lp_str_t *v, lp_siphdr_accept_t *a);

/* Does a take the media type ctype ("type/subtype", parameters ignored;
 * compared without case)? The most specific matching range decides
 * (type/subtype over type/ * over * / *), its q above 0 meaning yes.
 * 1 / 0; an empty list or a malformed ctype: 0. */
int lp_siphdr_accept_takes(const lp_siphdr_accept_t *a, const lp_str_t *ctype);

/* The checks in order: body framing (400), a repeated single-valued header
 * (400), Expires (400), Event syntax and id length (400), SIP-If-Match
 * (400), Content-Encoding (415). Fills *out; returns out->code (0 when
 * the request is well-formed; then out->expires and out->etag hold the
 * values to use). Reads only *in. */
int lp_siphdr_check(const lp_siphdr_in_t *in, lp_siphdr_out_t *out);

#endif
