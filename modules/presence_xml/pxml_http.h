/* The HTTP GET presence_xml fetches XCAP documents with, on libcurl:
 * http:// and https:// URLs only (libcurl is told to speak nothing else,
 * and redirects are not followed, so a server cannot send us to another
 * scheme or host), a connect timeout and a deadline for the whole transfer
 * (name resolution included), a body size cap, the ETag of the response
 * and If-None-Match for conditional requests (304). One libcurl handle per
 * process, reused, so its connections (and TLS sessions) are kept alive
 * between requests. Host-neutral: libcurl and malloc, errors through
 * lp_log. Blocking: call it only where waiting is allowed (presence_xml's
 * own XCAP process, an RPC), never on the SIP path. */
#ifndef PXML_HTTP_H
#define PXML_HTTP_H

#include <stddef.h>

/* Error codes of pxml_http_get (a received response of any status is 0). */
#define PXML_HTTP_EURL -1	  /* not a usable http(s):// URL */
#define PXML_HTTP_ESCHEME -2  /* another scheme: refused */
#define PXML_HTTP_ECONNECT -3 /* name not resolved, refused, TLS failed */
#define PXML_HTTP_ETIMEOUT -4 /* connect or transfer deadline passed */
#define PXML_HTTP_EPROTO -5	  /* not an HTTP response, bad framing */
#define PXML_HTTP_ETOOBIG -6  /* body over the limit */
#define PXML_HTTP_ENOMEM -7

#define PXML_HTTP_ETAG_MAX 256

typedef struct pxml_http_limits {
	int connect_ms; /* TCP (and TLS) connect */
	int total_ms;	/* the whole request: resolve, connect, response */
	int max_body;	/* bytes */
} pxml_http_limits_t;

typedef struct pxml_http_res {
	int status; /* final status code (1xx responses are skipped) */
	char *body; /* malloc'd, NUL-terminated; NULL when there is none */
	int body_len;
	char etag[PXML_HTTP_ETAG_MAX]; /* the ETag header as sent ("" if none,
									  or if longer than the buffer) */
} pxml_http_res_t;

/* GET url. if_none_match (NULL or "" for none) is sent as If-None-Match;
 * a 304 then comes back with status 304 and no body. On 0 *res is filled
 * and its body belongs to the caller (pxml_http_res_free); on a negative
 * PXML_HTTP_E* code nothing is allocated and *res is zeroed. Uses this
 * process's handle (created on first use, again after a fork). */
int pxml_http_get(const char *url, const char *if_none_match,
		const pxml_http_limits_t *lim, pxml_http_res_t *res);

/* Frees res->body (res itself is the caller's); safe on a zeroed res. */
void pxml_http_res_free(pxml_http_res_t *res);

/* A short English text for a PXML_HTTP_E* code. */
const char *pxml_http_strerror(int code);

/* One header line of a response (len bytes, CRLF included or not): a
 * status line ("HTTP/...") empties etag (a new response begins), an ETag
 * line with a value shorter than size and free of CR, LF and NUL is copied
 * into etag, NUL-terminated; 1 then, else 0 and etag unchanged. The parse
 * libcurl leaves to us. */
int pxml_http_etag_line(const char *line, size_t len, char *etag, size_t size);

/* Close this process's handle and its connections. */
void pxml_http_close(void);

#endif
