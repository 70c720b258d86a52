/* HTTP GET on libcurl for the XCAP documents (see pxml_http.h): one easy
 * handle per process, reused for its connection cache; every request sets
 * the protocols, the deadlines and the size cap again. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>

#include "lp_log.h"
#include "pxml_http.h"

static CURL *curl_h;
static int curl_pid;

typedef struct xfer {
	char *body;
	int len, max, too_big;
	char etag[PXML_HTTP_ETAG_MAX];
} xfer_t;

static size_t on_body(char *data, size_t size, size_t n, void *u)
{
	xfer_t *x = u;
	size_t add = size * n;
	char *nb;

	if(add > (size_t)(x->max - x->len)) {
		x->too_big = 1;
		return 0; /* libcurl stops with CURLE_WRITE_ERROR */
	}
	nb = realloc(x->body, x->len + add + 1);
	if(!nb)
		return 0;
	memcpy(nb + x->len, data, add);
	x->body = nb;
	x->len += (int)add;
	x->body[x->len] = '\0';
	return add;
}

int pxml_http_etag_line(const char *line, size_t len, char *etag, size_t size)
{
	const char *v;
	size_t vl;

	if(len >= 5 && strncmp(line, "HTTP/", 5) == 0) {
		etag[0] = '\0'; /* a new response */
		return 0;
	}
	if(len <= 5 || strncasecmp(line, "ETag:", 5) != 0)
		return 0;
	v = line + 5;
	vl = len - 5;
	while(vl > 0 && (*v == ' ' || *v == '\t'))
		v++, vl--;
	while(vl > 0
			&& (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '
					|| v[vl - 1] == '\t'))
		vl--;
	if(vl >= size || memchr(v, '\r', vl) || memchr(v, '\n', vl)
			|| memchr(v, '\0', vl))
		return 0;
	memcpy(etag, v, vl);
	etag[vl] = '\0';
	return 1;
}

/* Header lines of every response (1xx included): the ETag of the last. */
static size_t on_header(char *data, size_t size, size_t n, void *u)
{
	xfer_t *x = u;

	pxml_http_etag_line(data, size * n, x->etag, sizeof(x->etag));
	return size * n;
}

/* This process's handle; a copy inherited through fork is left alone (its
 * sockets belong to the parent). */
static CURL *handle(void)
{
	if(curl_h && curl_pid == (int)getpid())
		return curl_h;
	if(curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return NULL;
	curl_h = curl_easy_init();
	curl_pid = (int)getpid();
	return curl_h;
}

void pxml_http_close(void)
{
	if(curl_h && curl_pid == (int)getpid())
		curl_easy_cleanup(curl_h);
	curl_h = NULL;
}

/* http:// or https://, a host, no user info; libcurl's parser decides.
 * (Checked here: libcurl's "unsupported protocol" also means a response
 * that is not HTTP.) */
static int check_url(const char *url)
{
	CURLU *u;
	char *user = NULL, *host = NULL;
	int rc = PXML_HTTP_EURL;

	if(!url || !strstr(url, "://"))
		return PXML_HTTP_EURL;
	if(strncasecmp(url, "http://", 7) != 0
			&& strncasecmp(url, "https://", 8) != 0)
		return PXML_HTTP_ESCHEME;
	u = curl_url();
	if(!u)
		return PXML_HTTP_ENOMEM;
	if(curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK
			&& curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK
			&& host[0]
			&& curl_url_get(u, CURLUPART_USER, &user, 0) != CURLUE_OK)
		rc = 0;
	curl_free(user);
	curl_free(host);
	curl_url_cleanup(u);
	return rc;
}

static int map_error(CURLcode c, const xfer_t *x)
{
	switch(c) {
		case CURLE_URL_MALFORMAT:
			return PXML_HTTP_EURL;
		case CURLE_COULDNT_RESOLVE_HOST:
		case CURLE_COULDNT_CONNECT:
		case CURLE_SSL_CONNECT_ERROR:
		case CURLE_PEER_FAILED_VERIFICATION:
			return PXML_HTTP_ECONNECT;
		case CURLE_OPERATION_TIMEDOUT:
			return PXML_HTTP_ETIMEOUT;
		case CURLE_FILESIZE_EXCEEDED:
			return PXML_HTTP_ETOOBIG;
		case CURLE_WRITE_ERROR:
			return x->too_big ? PXML_HTTP_ETOOBIG : PXML_HTTP_ENOMEM;
		case CURLE_OUT_OF_MEMORY:
			return PXML_HTTP_ENOMEM;
		default:
			return PXML_HTTP_EPROTO;
	}
}

static void set_options(CURL *h, const char *url, struct curl_slist *hdrs,
		const pxml_http_limits_t *lim, xfer_t *x)
{
	curl_easy_reset(h); /* keeps the connection cache */
	curl_easy_setopt(h, CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(
			h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS,
			(long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)lim->connect_ms);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)lim->total_ms);
	curl_easy_setopt(h, CURLOPT_MAXFILESIZE, (long)lim->max_body);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "kamailio-presence_xml");
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
}

/* The If-None-Match and Accept headers (NULL when out of memory). */
static struct curl_slist *headers(const char *inm)
{
	struct curl_slist *l, *n;
	char *line = NULL;

	l = curl_slist_append(NULL, "Accept: application/auth-policy+xml, */*");
	if(!l || !inm || !*inm)
		return l;
	if(asprintf(&line, "If-None-Match: %s", inm) < 0
			|| !(n = curl_slist_append(l, line))) {
		free(line);
		curl_slist_free_all(l);
		return NULL;
	}
	free(line);
	return n;
}

int pxml_http_get(const char *url, const char *if_none_match,
		const pxml_http_limits_t *lim, pxml_http_res_t *res)
{
	xfer_t x;
	CURL *h;
	CURLcode c;
	struct curl_slist *hdrs = NULL;
	long status = 0;
	int rc;

	memset(res, 0, sizeof(*res));
	memset(&x, 0, sizeof(x));
	x.max = lim->max_body;
	if((rc = check_url(url)) < 0) {
		LP_ERR("presence_xml: xcap: %s: %s", url ? url : "(null)",
				pxml_http_strerror(rc));
		return rc;
	}
	if(!(h = handle()) || !(hdrs = headers(if_none_match)))
		return PXML_HTTP_ENOMEM;
	set_options(h, url, hdrs, lim, &x);
	c = curl_easy_perform(h);
	curl_slist_free_all(hdrs);
	if(c == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if(c != CURLE_OK || status < 200 || status > 999) {
		rc = c != CURLE_OK ? map_error(c, &x) : PXML_HTTP_EPROTO;
		LP_WARN("presence_xml: xcap: GET %s: %s (%s)", url,
				pxml_http_strerror(rc),
				c != CURLE_OK ? curl_easy_strerror(c) : "no status");
		free(x.body);
		return rc;
	}
	res->status = (int)status;
	res->body = x.body;
	res->body_len = x.len;
	memcpy(res->etag, x.etag, sizeof(res->etag));
	return 0;
}

void pxml_http_res_free(pxml_http_res_t *res)
{
	if(!res)
		return;
	free(res->body);
	res->body = NULL;
	res->body_len = 0;
}

const char *pxml_http_strerror(int code)
{
	switch(code) {
		case 0:
			return "ok";
		case PXML_HTTP_EURL:
			return "not a usable http(s):// URL";
		case PXML_HTTP_ESCHEME:
			return "only http:// and https:// are supported";
		case PXML_HTTP_ECONNECT:
			return "cannot connect";
		case PXML_HTTP_ETIMEOUT:
			return "timed out";
		case PXML_HTTP_EPROTO:
			return "malformed HTTP response";
		case PXML_HTTP_ETOOBIG:
			return "response body too large";
		case PXML_HTTP_ENOMEM:
			return "out of memory";
		default:
			return "unknown error";
	}
}
