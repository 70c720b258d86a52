/* The HTTP/1.1 GET client of presence_xml; see pxml_http.h. The request is
 * written and the response read on a non-blocking socket with poll, so
 * every wait is bounded by the limits; the response is parsed as RFC 9112
 * says: status line, header fields, then the body framed by chunked
 * transfer coding, Content-Length, or the closing of the connection. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lp_log.h"
#include "pxml_http.h"

#define URL_HOST_MAX 256
#define URL_PATH_MAX 2048
#define LINE_MAX_LEN 8192		/* one status, header, or chunk-size line */
#define HEADERS_MAX (64 * 1024) /* all header fields of one response */

typedef struct url {
	char host[URL_HOST_MAX]; /* for getaddrinfo (no brackets) */
	char port[8];
	char authority[URL_HOST_MAX + 8]; /* for the Host field */
	char path[URL_PATH_MAX];
} url_t;

/* Buffered reader on the socket; every wait ends at deadline (ms). */
typedef struct reader {
	int fd;
	long long deadline;
	char buf[4096];
	int pos, len;
	int eof;
} reader_t;

typedef struct head {
	int status;
	int chunked;
	long long clen; /* -1: no Content-Length */
	char etag[PXML_HTTP_ETAG_MAX];
} head_t;

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* poll fd for ev until deadline: 1 ready, PXML_HTTP_ETIMEOUT, or -errno-ish
 * PXML_HTTP_EPROTO on a poll failure. */
static int wait_fd(int fd, short ev, long long deadline, int timeout_code)
{
	struct pollfd p = {fd, ev, 0};
	long long left;
	int rc;

	for(;;) {
		left = deadline - now_ms();
		if(left <= 0)
			return timeout_code;
		rc = poll(&p, 1, (int)left);
		if(rc > 0)
			return 1;
		if(rc == 0)
			return timeout_code;
		if(errno != EINTR)
			return PXML_HTTP_EPROTO;
	}
}

const char *pxml_http_strerror(int code)
{
	switch(code) {
		case 0:
			return "ok";
		case PXML_HTTP_EURL:
			return "not an http:// URL";
		case PXML_HTTP_ESCHEME:
			return "scheme not supported (only http://, no TLS)";
		case PXML_HTTP_ECONNECT:
			return "cannot connect";
		case PXML_HTTP_ETIMEOUT:
			return "timeout waiting for the response";
		case PXML_HTTP_EPROTO:
			return "malformed HTTP response";
		case PXML_HTTP_ETOOBIG:
			return "response body over the size limit";
		case PXML_HTTP_ENOMEM:
			return "out of memory";
	}
	return "unknown error";
}

/* Split http://host[:port][/path] (host may be [v6]). The userinfo form
 * and fragments are not accepted. */
static int url_parse(const char *s, url_t *u)
{
	const char *h, *he, *p, *path;
	size_t hl;

	if(strncasecmp(s, "https://", 8) == 0)
		return PXML_HTTP_ESCHEME;
	if(strncasecmp(s, "http://", 7) != 0)
		return strstr(s, "://") ? PXML_HTTP_ESCHEME : PXML_HTTP_EURL;
	h = s + 7;
	path = h + strcspn(h, "/?#");
	if(*path == '#' || memchr(h, '@', path - h))
		return PXML_HTTP_EURL;
	if(*h == '[') {
		he = memchr(h, ']', path - h);
		if(!he)
			return PXML_HTTP_EURL;
		p = he + 1;
		h++;
	} else {
		he = memchr(h, ':', path - h);
		if(!he)
			he = path;
		p = he;
	}
	hl = (size_t)(he - h);
	if(hl == 0 || hl >= sizeof(u->host)
			|| (p < path && (*p != ':' || path - p - 1 < 1 || path - p - 1 > 5))
			|| strlen(path) + 2 > sizeof(u->path))
		return PXML_HTTP_EURL;
	memcpy(u->host, h, hl);
	u->host[hl] = '\0';
	if(p < path) {
		memcpy(u->port, p + 1, path - p - 1);
		u->port[path - p - 1] = '\0';
		if(strspn(u->port, "0123456789") != strlen(u->port))
			return PXML_HTTP_EURL;
	} else {
		strcpy(u->port, "80");
	}
	snprintf(u->authority, sizeof(u->authority), "%.*s", (int)(path - s - 7),
			s + 7);
	snprintf(u->path, sizeof(u->path), "%s%s", *path == '/' ? "" : "/", path);
	return 0;
}

/* Connect one address without blocking longer than ms. fd or -1. */
static int connect_addr(const struct addrinfo *ai, int ms)
{
	int fd, err = 0;
	socklen_t el = sizeof(err);

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			ai->ai_protocol);
	if(fd < 0)
		return -1;
	if(connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	if(errno == EINPROGRESS && wait_fd(fd, POLLOUT, now_ms() + ms, -1) == 1
			&& getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err == 0)
		return fd;
	close(fd);
	return -1;
}

static int connect_url(const url_t *u, int ms)
{
	struct addrinfo hints, *res = NULL, *ai;
	int fd = -1, rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(u->host, u->port, &hints, &res);
	if(rc != 0) {
		LP_ERR("presence_xml: http: cannot resolve %s: %s", u->host,
				gai_strerror(rc));
		return PXML_HTTP_ECONNECT;
	}
	for(ai = res; ai && fd < 0; ai = ai->ai_next)
		fd = connect_addr(ai, ms);
	freeaddrinfo(res);
	if(fd < 0) {
		LP_ERR("presence_xml: http: cannot connect to %s port %s", u->host,
				u->port);
		return PXML_HTTP_ECONNECT;
	}
	return fd;
}

static int send_all(int fd, const char *b, size_t n, long long deadline)
{
	ssize_t w;
	int rc;

	while(n > 0) {
		w = send(fd, b, n, MSG_NOSIGNAL);
		if(w > 0) {
			b += w;
			n -= (size_t)w;
			continue;
		}
		if(w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return PXML_HTTP_ECONNECT;
		rc = wait_fd(fd, POLLOUT, deadline, PXML_HTTP_ETIMEOUT);
		if(rc < 0)
			return rc;
	}
	return 0;
}

/* More bytes into the reader: 1, 0 at end of stream, or an error code. */
static int rd_fill(reader_t *r)
{
	ssize_t n;
	int rc;

	if(r->eof)
		return 0;
	for(;;) {
		n = recv(r->fd, r->buf, sizeof(r->buf), 0);
		if(n > 0) {
			r->pos = 0;
			r->len = (int)n;
			return 1;
		}
		if(n == 0) {
			r->eof = 1;
			return 0;
		}
		if(errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return PXML_HTTP_EPROTO;
		rc = wait_fd(r->fd, POLLIN, r->deadline, PXML_HTTP_ETIMEOUT);
		if(rc < 0)
			return rc;
	}
}

/* One line without its CRLF (a bare LF is accepted, RFC 9112 2.2) into
 * line (NUL-terminated). Its length, or an error code. */
static int rd_line(reader_t *r, char *line, int max)
{
	int n = 0, rc;
	char c;

	for(;;) {
		if(r->pos == r->len && (rc = rd_fill(r)) <= 0)
			return rc < 0 ? rc : PXML_HTTP_EPROTO;
		c = r->buf[r->pos++];
		if(c == '\n')
			break;
		if(n + 1 >= max)
			return PXML_HTTP_EPROTO;
		line[n++] = c;
	}
	if(n > 0 && line[n - 1] == '\r')
		n--;
	line[n] = '\0';
	return n;
}

typedef struct body {
	char *s;
	int len, cap, max;
} body_t;

/* Append up to n bytes from the stream (n < 0: until it ends). 0, or an
 * error code (PXML_HTTP_EPROTO when the stream ends before n bytes). */
static int rd_body(reader_t *r, body_t *b, long long n)
{
	int take, rc, ncap;
	char *ns;

	while(n != 0) {
		if(r->pos == r->len && (rc = rd_fill(r)) <= 0) {
			if(rc < 0)
				return rc;
			return n < 0 ? 0 : PXML_HTTP_EPROTO;
		}
		take = r->len - r->pos;
		if(n > 0 && take > n)
			take = (int)n;
		if(b->len + take > b->max)
			return PXML_HTTP_ETOOBIG;
		if(b->len + take + 1 > b->cap) {
			ncap = b->cap ? b->cap : 4096;
			while(ncap < b->len + take + 1)
				ncap *= 2;
			if(!(ns = realloc(b->s, ncap)))
				return PXML_HTTP_ENOMEM;
			b->s = ns;
			b->cap = ncap;
		}
		memcpy(b->s + b->len, r->buf + r->pos, take);
		b->len += take;
		r->pos += take;
		if(n > 0)
			n -= take;
	}
	return 0;
}

/* The chunked transfer coding (RFC 9112 7.1); trailer fields are read and
 * dropped. */
static int rd_chunked(reader_t *r, body_t *b)
{
	char line[LINE_MAX_LEN], *end;
	long long size;
	int rc;

	for(;;) {
		if((rc = rd_line(r, line, sizeof(line))) < 0)
			return rc;
		errno = 0;
		size = strtoll(line, &end, 16);
		if(end == line || errno || size < 0
				|| (*end && *end != ';' && *end != ' ' && *end != '\t'))
			return PXML_HTTP_EPROTO;
		if(size == 0)
			break;
		if(size > b->max - b->len)
			return PXML_HTTP_ETOOBIG;
		if((rc = rd_body(r, b, size)) < 0)
			return rc;
		if((rc = rd_line(r, line, sizeof(line))) != 0)
			return rc < 0 ? rc : PXML_HTTP_EPROTO;
	}
	do /* trailer section, up to its empty line */
		rc = rd_line(r, line, sizeof(line));
	while(rc > 0);
	return rc < 0 ? rc : 0;
}

/* One header field into h. */
static int header_field(char *line, head_t *h)
{
	char *v = strchr(line, ':'), *e;
	size_t vl;

	if(!v || v == line)
		return PXML_HTTP_EPROTO;
	*v++ = '\0';
	v += strspn(v, " \t");
	for(e = v + strlen(v); e > v && (e[-1] == ' ' || e[-1] == '\t'); e--)
		;
	*e = '\0';
	vl = (size_t)(e - v);
	if(strcasecmp(line, "Content-Length") == 0) {
		if(!*v || strspn(v, "0123456789") != vl || vl > 15
				|| (h->clen >= 0 && h->clen != atoll(v)))
			return PXML_HTTP_EPROTO;
		h->clen = atoll(v);
	} else if(strcasecmp(line, "Transfer-Encoding") == 0) {
		/* chunked must be the final coding; another final one: read to
		 * the end (RFC 9112 6.3), which we only accept for identity */
		h->chunked = vl >= 7 && strcasecmp(v + vl - 7, "chunked") == 0;
		if(!h->chunked && strcasecmp(v, "identity") != 0)
			return PXML_HTTP_EPROTO;
	} else if(strcasecmp(line, "ETag") == 0) {
		if(vl < sizeof(h->etag))
			memcpy(h->etag, v, vl + 1);
	}
	return 0;
}

/* Status line and header fields of one response. */
static int read_head(reader_t *r, head_t *h)
{
	char line[LINE_MAX_LEN];
	int rc, total = 0;

	memset(h, 0, sizeof(*h));
	h->clen = -1;
	if((rc = rd_line(r, line, sizeof(line))) < 0)
		return rc;
	if(strncmp(line, "HTTP/1.", 7) != 0 || !line[7] || line[8] != ' '
			|| sscanf(line + 9, "%3d", &h->status) != 1 || h->status < 100
			|| h->status > 599)
		return PXML_HTTP_EPROTO;
	while((rc = rd_line(r, line, sizeof(line))) > 0) {
		total += rc;
		if(total > HEADERS_MAX || (rc = header_field(line, h)) < 0)
			return rc < 0 ? rc : PXML_HTTP_EPROTO;
	}
	return rc;
}

/* The exchange on a connected socket. */
static int exchange(int fd, const url_t *u, const char *inm,
		const pxml_http_limits_t *lim, pxml_http_res_t *res)
{
	reader_t r = {.fd = fd, .deadline = now_ms() + lim->read_ms};
	body_t b = {NULL, 0, 0, lim->max_body};
	head_t h;
	char *req = NULL;
	int n, rc;

	n = asprintf(&req,
			"GET %s HTTP/1.1\r\nHost: %s\r\n"
			"User-Agent: kamailio-presence_xml\r\n"
			"Accept: application/auth-policy+xml, application/xml\r\n"
			"%s%s%sConnection: close\r\n\r\n",
			u->path, u->authority, inm ? "If-None-Match: " : "", inm ? inm : "",
			inm ? "\r\n" : "");
	if(n < 0)
		return PXML_HTTP_ENOMEM;
	rc = send_all(fd, req, (size_t)n, r.deadline);
	free(req);
	if(rc < 0)
		return rc;
	do /* interim 1xx responses precede the final one */
		rc = read_head(&r, &h);
	while(rc == 0 && h.status < 200);
	if(rc < 0)
		return rc;
	if(h.status == 204 || h.status == 304)
		rc = 0;
	else if(h.chunked)
		rc = rd_chunked(&r, &b);
	else if(h.clen > lim->max_body)
		rc = PXML_HTTP_ETOOBIG;
	else
		rc = rd_body(&r, &b, h.clen);
	if(rc < 0) {
		free(b.s);
		return rc;
	}
	if(b.s)
		b.s[b.len] = '\0';
	res->status = h.status;
	res->body = b.s;
	res->body_len = b.len;
	memcpy(res->etag, h.etag, sizeof(res->etag));
	return 0;
}

int pxml_http_get(const char *url, const char *if_none_match,
		const pxml_http_limits_t *lim, pxml_http_res_t *res)
{
	url_t u;
	int fd, rc;

	memset(res, 0, sizeof(*res));
	rc = url_parse(url, &u);
	if(rc == PXML_HTTP_ESCHEME) {
		LP_ERR("presence_xml: http: refusing %s: only http:// is supported"
			   " (no TLS in this client)",
				url);
		return rc;
	}
	if(rc < 0) {
		LP_ERR("presence_xml: http: bad URL '%s'", url);
		return rc;
	}
	if(if_none_match && (!*if_none_match || strpbrk(if_none_match, "\r\n")))
		if_none_match = NULL;
	fd = connect_url(&u, lim->connect_ms);
	if(fd < 0)
		return fd;
	rc = exchange(fd, &u, if_none_match, lim, res);
	close(fd);
	if(rc < 0) {
		LP_ERR("presence_xml: http: GET %s: %s", url, pxml_http_strerror(rc));
		memset(res, 0, sizeof(*res));
	}
	return rc;
}

void pxml_http_res_free(pxml_http_res_t *res)
{
	free(res->body);
	res->body = NULL;
	res->body_len = 0;
}
