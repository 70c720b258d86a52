/* presence_xml's HTTP GET (libcurl) and XCAP fetching, against a small
 * HTTP server this file runs in a thread on 127.0.0.1 (no network beyond
 * loopback): Content-Length, chunked and read-to-close bodies, 1xx, 404,
 * 304 with If-None-Match, the size limit, a server that never answers, a
 * refused connection, schemes other than http(s) refused, redirects not
 * followed, one connection for several requests; then the pres-rules URI
 * of RFC 4825 / 5025, the xcap_server list, and the shared cache: lookups
 * that never wait, the XCAP process's refresh rounds (fallback, TTL,
 * conditional revalidation, change callback), the back-off of a dead
 * server, the RPC's fetch at once. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lp_test.h"
#include "lp_xml.h"
#include "pxml_auth.h"
#include "pxml_http.h"
#include "pxml_xcap.h"

/* ------------------------------------------------------------ server */

/* What the server does with one request. */
typedef enum {
	SRV_CANNED, /* write canned as it is, close */
	SRV_SILENT, /* read the request, answer nothing until stopped */
	SRV_XCAP,	/* serve doc at doc_path with etag, honour If-None-Match */
	SRV_KEEP	/* SRV_XCAP, several requests per connection */
} srv_mode_t;

static struct srv {
	int lfd, port, stop, requests, accepts;
	pthread_t th;
	pthread_mutex_t mu;
	srv_mode_t mode;
	char canned[200 * 1024];
	char last_req[4096];
	char doc_path[512], doc[2048], etag[64];
} S;

static void srv_xcap(int fd, const char *req)
{
	char head[512], path[600] = "", inm[128] = "";
	const char *h;
	int n;

	sscanf(req, "GET %599s", path);
	h = strcasestr(req, "\r\nIf-None-Match: ");
	if(h)
		sscanf(h + 17, "%127[^\r]", inm);
	pthread_mutex_lock(&S.mu);
	if(strncmp(path, "/busy/", 6) == 0)
		n = snprintf(head, sizeof(head),
				"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n");
	else if(strcmp(path, S.doc_path) != 0 || !S.doc[0])
		n = snprintf(head, sizeof(head),
				"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found");
	else if(inm[0] && strcmp(inm, S.etag) == 0)
		n = snprintf(head, sizeof(head),
				"HTTP/1.1 304 Not Modified\r\nETag: %s\r\n\r\n", S.etag);
	else
		n = snprintf(head, sizeof(head),
				"HTTP/1.1 200 OK\r\nContent-Type: application/auth-policy+xml"
				"\r\nETag: %s\r\nContent-Length: %zu\r\n%s\r\n",
				S.etag, strlen(S.doc),
				S.mode == SRV_KEEP ? "" : "Connection: close\r\n");
	if(write(fd, head, n) < 0 || (n > 0 && strncmp(head + 9, "200", 3) == 0
			&& write(fd, S.doc, strlen(S.doc)) < 0))
		n = -1;
	pthread_mutex_unlock(&S.mu);
}

/* Read one request head (up to the empty line). */
static void srv_read(int fd, char *buf, int size)
{
	int n = 0, r;
	struct pollfd p = {fd, POLLIN, 0};

	buf[0] = '\0';
	while(n < size - 1 && !strstr(buf, "\r\n\r\n") && poll(&p, 1, 2000) > 0) {
		r = (int)read(fd, buf + n, size - 1 - n);
		if(r <= 0)
			break;
		n += r;
		buf[n] = '\0';
	}
}

static void *srv_main(void *arg)
{
	struct pollfd p = {S.lfd, POLLIN, 0};
	char req[4096];
	int fd;

	while(!__atomic_load_n(&S.stop, __ATOMIC_ACQUIRE)) {
		if(poll(&p, 1, 20) <= 0 || (fd = accept(S.lfd, NULL, NULL)) < 0)
			continue;
		pthread_mutex_lock(&S.mu);
		S.accepts++;
		pthread_mutex_unlock(&S.mu);
	again:
		srv_read(fd, req, sizeof(req));
		if(!req[0]) {
			close(fd);
			continue;
		}
		pthread_mutex_lock(&S.mu);
		S.requests++;
		snprintf(S.last_req, sizeof(S.last_req), "%s", req);
		pthread_mutex_unlock(&S.mu);
		if(S.mode == SRV_KEEP) {
			srv_xcap(fd, req);
			goto again;
		} else if(S.mode == SRV_CANNED) {
			if(write(fd, S.canned, strlen(S.canned)) < 0)
				S.requests += 0;
		} else if(S.mode == SRV_XCAP) {
			srv_xcap(fd, req);
		} else {
			while(!__atomic_load_n(&S.stop, __ATOMIC_ACQUIRE))
				usleep(10000);
		}
		close(fd);
	}
	return arg;
}

static void srv_start(srv_mode_t mode, const char *canned)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	int one = 1;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	S.mode = mode;
	snprintf(S.canned, sizeof(S.canned), "%s", canned ? canned : "");
	S.lfd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(S.lfd, 0);
	setsockopt(S.lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	ck_assert_int_eq(bind(S.lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(S.lfd, 8), 0);
	getsockname(S.lfd, (struct sockaddr *)&a, &al);
	S.port = ntohs(a.sin_port);
	ck_assert_int_eq(pthread_create(&S.th, NULL, srv_main, NULL), 0);
}

static void srv_set_doc(const char *doc, const char *etag)
{
	pthread_mutex_lock(&S.mu);
	snprintf(S.doc, sizeof(S.doc), "%s", doc);
	snprintf(S.etag, sizeof(S.etag), "%s", etag);
	pthread_mutex_unlock(&S.mu);
}

static int srv_requests(void)
{
	int n;

	pthread_mutex_lock(&S.mu);
	n = S.requests;
	pthread_mutex_unlock(&S.mu);
	return n;
}

/* A port on 127.0.0.1 nothing listens on (bound, then closed). */
static int closed_port(void)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	getsockname(fd, (struct sockaddr *)&a, &al);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static time_t fake_now;
static time_t clock_fake(void)
{
	return fake_now;
}

/* pxml.xcap_changed calls */
static int changed_n;
static char changed_last[128];
static void on_changed(const lp_str_t *user, const lp_str_t *domain)
{
	changed_n++;
	snprintf(changed_last, sizeof(changed_last), "%.*s@%.*s", user->len,
			user->s, domain->len, domain->s);
}

static void setup(void)
{
	memset(&S, 0, sizeof(S));
	pthread_mutex_init(&S.mu, NULL);
	S.lfd = -1;
	lp_test_mem_install();
	lp_test_log_install();
	fake_now = 1000000;
	changed_n = 0;
	changed_last[0] = '\0';
	pxml.now = clock_fake;
	pxml.xcap_cache_ttl = 60;
	pxml.xcap_cache_size = 1024;
	pxml.xcap_cache_bytes = PXML_XCAP_MAX_BYTES;
	pxml.xcap_connect_ms = 1000;
	pxml.xcap_timeout_ms = 1000;
	pxml.xcap_backoff_failures = 3;
	pxml.xcap_backoff_time = 30;
	pxml.xcap_fetch_here = 0;
	pxml.xcap_changed = on_changed;
	pxml.force_active = 0;
	pxml.integrated_xcap_server = 0;
}

static void teardown(void)
{
	if(S.lfd >= 0) {
		__atomic_store_n(&S.stop, 1, __ATOMIC_RELEASE);
		pthread_join(S.th, NULL);
		close(S.lfd);
	}
	pxml_xcap_destroy();
	ck_assert_int_eq(lp_test_mem_live(), 0);
	pxml.xcap_changed = NULL;
	pxml.now = NULL;
}

static const pxml_http_limits_t LIM = {1000, 2000, LP_XML_MAX_BODY};

static int get(const char *path, const char *inm, pxml_http_res_t *r)
{
	char url[256];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", S.port, path);
	return pxml_http_get(url, inm, &LIM, r);
}

/* ------------------------------------------------------------ HTTP */

START_TEST(http_content_length)
{
	pxml_http_res_t r;

	srv_start(SRV_CANNED, "HTTP/1.1 200 OK\r\nETag: \"abc\"\r\n"
						  "Content-Length: 5\r\n\r\nhello");
	ck_assert_int_eq(get("/xcap-root/x", NULL, &r), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(r.body_len, 5);
	ck_assert_str_eq(r.body, "hello");
	ck_assert_str_eq(r.etag, "\"abc\"");
	ck_assert_ptr_nonnull(strstr(S.last_req, "GET /xcap-root/x HTTP/1.1\r\n"));
	ck_assert_ptr_nonnull(strcasestr(S.last_req, "\r\nHost: 127.0.0.1:"));
	ck_assert_ptr_null(strcasestr(S.last_req, "If-None-Match"));
	pxml_http_res_free(&r);
}
END_TEST

START_TEST(http_chunked)
{
	pxml_http_res_t r;

	srv_start(SRV_CANNED, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
						  "\r\n4\r\n<ru>\r\nA;name=v\r\n0123456789\r\n"
						  "5\r\n</ru>\r\n0\r\nX-Trailer: 1\r\n\r\n");
	ck_assert_int_eq(get("/", NULL, &r), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "<ru>0123456789</ru>");
	ck_assert_int_eq(r.body_len, 19);
	ck_assert_str_eq(r.etag, "");
	pxml_http_res_free(&r);
}
END_TEST

START_TEST(http_read_to_close_and_interim)
{
	pxml_http_res_t r;

	srv_start(SRV_CANNED, "HTTP/1.1 100 Continue\r\n\r\n"
						  "HTTP/1.0 200 OK\r\nETag: W/\"w1\"\r\n\r\nuntil close");
	ck_assert_int_eq(get("/", NULL, &r), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "until close");
	ck_assert_str_eq(r.etag, "W/\"w1\"");
	pxml_http_res_free(&r);
}
END_TEST

START_TEST(http_404)
{
	pxml_http_res_t r;

	srv_start(SRV_CANNED, "HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n"
						  "\r\nno!");
	ck_assert_int_eq(get("/missing", NULL, &r), 0);
	ck_assert_int_eq(r.status, 404);
	pxml_http_res_free(&r);
}
END_TEST

START_TEST(http_304_if_none_match)
{
	pxml_http_res_t r;

	srv_start(SRV_XCAP, NULL);
	snprintf(S.doc_path, sizeof(S.doc_path), "/d");
	srv_set_doc("<doc/>", "\"v1\"");
	ck_assert_int_eq(get("/d", "\"v1\"", &r), 0);
	ck_assert_int_eq(r.status, 304);
	ck_assert_ptr_null(r.body);
	ck_assert_ptr_nonnull(strstr(S.last_req, "\r\nIf-None-Match: \"v1\"\r\n"));
	ck_assert_int_eq(get("/d", "\"v0\"", &r), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "<doc/>");
	ck_assert_str_eq(r.etag, "\"v1\"");
	pxml_http_res_free(&r);
}
END_TEST

START_TEST(http_oversize)
{
	pxml_http_res_t r;
	static char big[LP_XML_MAX_BODY + 200];
	int n;

	/* announced too big: refused before reading */
	n = snprintf(big, sizeof(big), "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n"
								   "\r\n",
			LP_XML_MAX_BODY + 1);
	memset(big + n, 'x', sizeof(big) - n - 1);
	srv_start(SRV_CANNED, big);
	ck_assert_int_eq(get("/", NULL, &r), PXML_HTTP_ETOOBIG);
	ck_assert_ptr_null(r.body);
	/* no length, more than the limit until close */
	n = snprintf(big, sizeof(big), "HTTP/1.1 200 OK\r\n\r\n");
	memset(big + n, 'y', sizeof(big) - n - 1);
	snprintf(S.canned, sizeof(S.canned), "%s", big);
	ck_assert_int_eq(get("/", NULL, &r), PXML_HTTP_ETOOBIG);
	/* a chunk over the limit */
	n = snprintf(big, sizeof(big), "HTTP/1.1 200 OK\r\nTransfer-Encoding:"
								   " chunked\r\n\r\n%x\r\n",
			LP_XML_MAX_BODY + 1);
	memset(big + n, 'z', LP_XML_MAX_BODY + 1);
	big[n + LP_XML_MAX_BODY + 1] = '\0';
	snprintf(S.canned, sizeof(S.canned), "%s\r\n0\r\n\r\n", big);
	ck_assert_int_eq(get("/", NULL, &r), PXML_HTTP_ETOOBIG);
}
END_TEST

START_TEST(http_timeout)
{
	pxml_http_limits_t lim = {1000, 300, 4096};
	pxml_http_res_t r;
	struct timespec t0, t1;
	char url[64];
	long ms;

	srv_start(SRV_SILENT, NULL);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", S.port);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(pxml_http_get(url, NULL, &lim, &r), PXML_HTTP_ETIMEOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	ck_assert_int_ge(ms, 250);
	ck_assert_int_lt(ms, 1500);
}
END_TEST

START_TEST(http_refused_and_bad_urls)
{
	pxml_http_res_t r;
	char url[64];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/x", closed_port());
	ck_assert_int_eq(pxml_http_get(url, NULL, &LIM, &r), PXML_HTTP_ECONNECT);
	ck_assert_ptr_nonnull(strstr(lp_test_log_last(), "cannot connect"));
	/* https is spoken (nothing listens there either) */
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/x", closed_port());
	ck_assert_int_eq(pxml_http_get(url, NULL, &LIM, &r), PXML_HTTP_ECONNECT);
	ck_assert_int_eq(pxml_http_get("ftp://h/x", NULL, &LIM, &r),
			PXML_HTTP_ESCHEME);
	ck_assert_int_eq(pxml_http_get("file:///etc/passwd", NULL, &LIM, &r),
			PXML_HTTP_ESCHEME);
	ck_assert_int_eq(pxml_http_get("127.0.0.1/x", NULL, &LIM, &r),
			PXML_HTTP_EURL);
	ck_assert_int_eq(pxml_http_get("http://:80/x", NULL, &LIM, &r),
			PXML_HTTP_EURL);
	ck_assert_int_eq(pxml_http_get("http://u@h/x", NULL, &LIM, &r),
			PXML_HTTP_EURL);
	ck_assert_int_eq(pxml_http_get("http://h:99999999/x", NULL, &LIM, &r),
			PXML_HTTP_EURL);
}
END_TEST

/* A redirect is an answer like any other: never followed (to file:// or
 * anywhere else). */
START_TEST(http_redirect_not_followed)
{
	pxml_http_res_t r;

	srv_start(SRV_CANNED, "HTTP/1.1 302 Found\r\nLocation: file:///etc/passwd"
						  "\r\nContent-Length: 0\r\n\r\n");
	ck_assert_int_eq(get("/", NULL, &r), 0);
	ck_assert_int_eq(r.status, 302);
	ck_assert_int_eq(r.body_len, 0);
	ck_assert_int_eq(srv_requests(), 1);
	pxml_http_res_free(&r);
}
END_TEST

/* The process's handle keeps the connection: three GETs, one accept. */
START_TEST(http_connection_reused)
{
	pxml_http_res_t r;
	int i;

	srv_start(SRV_KEEP, NULL);
	snprintf(S.doc_path, sizeof(S.doc_path), "/d");
	srv_set_doc("<doc/>", "\"v1\"");
	for(i = 0; i < 3; i++) {
		ck_assert_int_eq(get("/d", NULL, &r), 0);
		ck_assert_int_eq(r.status, 200);
		pxml_http_res_free(&r);
	}
	ck_assert_int_eq(srv_requests(), 3);
	pthread_mutex_lock(&S.mu);
	ck_assert_int_eq(S.accepts, 1);
	pthread_mutex_unlock(&S.mu);
	pxml_http_close();
}
END_TEST

START_TEST(http_hostname_and_malformed)
{
	pxml_http_res_t r;
	char url[64];

	srv_start(SRV_CANNED, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	/* localhost may resolve to ::1 first, where nothing listens */
	snprintf(url, sizeof(url), "http://localhost:%d", S.port);
	ck_assert_int_eq(pxml_http_get(url, NULL, &LIM, &r), 0);
	ck_assert_str_eq(r.body, "ok");
	ck_assert_ptr_nonnull(strstr(S.last_req, "GET / HTTP/1.1\r\n"));
	pxml_http_res_free(&r);
	snprintf(S.canned, sizeof(S.canned), "SIP/2.0 200 OK\r\n\r\n");
	ck_assert_int_eq(get("/", NULL, &r), PXML_HTTP_EPROTO);
	snprintf(S.canned, sizeof(S.canned),
			"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort");
	ck_assert_int_eq(get("/", NULL, &r), PXML_HTTP_EPROTO);
}
END_TEST

/* The ETag kept from the header lines: trimmed, the last response's only,
 * never one with a CR, LF or NUL inside or too long for the buffer. */
START_TEST(http_etag_line)
{
	char e[8] = "old";
	const char l1[] = "ETag:  \"v1\" \r\n", l2[] = "etag:\t\"a\rb\"\r\n";
	const char l3[] = "ETag: \"0123456789\"\r\n", l4[] = "ETag: \"a\0b\"";

	ck_assert_int_eq(pxml_http_etag_line(l1, sizeof(l1) - 1, e, sizeof(e)), 1);
	ck_assert_str_eq(e, "\"v1\"");
	ck_assert_int_eq(pxml_http_etag_line(l2, sizeof(l2) - 1, e, sizeof(e)), 0);
	ck_assert_int_eq(pxml_http_etag_line(l3, sizeof(l3) - 1, e, sizeof(e)), 0);
	ck_assert_int_eq(pxml_http_etag_line(l4, sizeof(l4) - 1, e, sizeof(e)), 0);
	ck_assert_str_eq(e, "\"v1\"");
	ck_assert_int_eq(pxml_http_etag_line("Server: x\r\n", 11, e, sizeof(e)), 0);
	ck_assert_str_eq(e, "\"v1\"");
	ck_assert_int_eq(pxml_http_etag_line("HTTP/1.1 200 OK\r\n", 17, e, sizeof(e)),
			0);
	ck_assert_str_eq(e, "");
}
END_TEST

/* ------------------------------------------------------------ XCAP */

#define RULES_V1 "<cr:ruleset xmlns:cr=\"urn:ietf:params:xml:ns:common-policy\"/>"
#define RULES_V2 \
	"<cr:ruleset xmlns:cr=\"urn:ietf:params:xml:ns:common-policy\"><cr:rule" \
	" id=\"a\"/></cr:ruleset>"
#define ALICE_PATH "/xcap-root/pres-rules/users/sip:alice@example.com/index"

static lp_str_t U = {"alice", 5}, D = {"example.com", 11};

/* Serve RULES_V1 for alice. */
static void xcap_start(void)
{
	srv_start(SRV_XCAP, NULL);
	snprintf(S.doc_path, sizeof(S.doc_path), ALICE_PATH);
	srv_set_doc(RULES_V1, "\"v1\"");
}

static void add_root(int port)
{
	char v[128];

	snprintf(v, sizeof(v), "127.0.0.1:%d/xcap-root", port);
	ck_assert_int_eq(pxml_xcap_add_server(v), 0);
}

/* The document as a string ("" for none, "?" when nothing is known). */
static char *doc_of(int fresh)
{
	static char buf[2048];
	lp_str_t *d = NULL;

	if(pxml_xcap_rules_doc(&U, &D, fresh, &d) < 0) {
		ck_assert_ptr_null(d);
		return "?";
	}
	buf[0] = '\0';
	if(d) {
		snprintf(buf, sizeof(buf), "%.*s", d->len, d->s);
		free(d->s);
		free(d);
	}
	return buf;
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000
		   + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

START_TEST(xcap_uri)
{
	char b[256];
	lp_str_t u = {"a b/c?#%", 8}, d = {"ex.com", 6};

	ck_assert_int_eq(pxml_xcap_uri("http://xcap.example.com/xcap-root", &U, &D,
							 b, sizeof(b)),
			(int)strlen("http://xcap.example.com/xcap-root"
						"/pres-rules/users/sip:alice@example.com/index"));
	ck_assert_str_eq(b, "http://xcap.example.com/xcap-root/pres-rules/users/"
						"sip:alice@example.com/index");
	ck_assert_int_gt(pxml_xcap_uri("http://h", &u, &d, b, sizeof(b)), 0);
	ck_assert_str_eq(b, "http://h/pres-rules/users/sip:a%20b%2Fc%3F%23%25"
						"@ex.com/index");
	ck_assert_int_eq(pxml_xcap_uri("http://h", &U, &D, b, 20), -1);
}
END_TEST

START_TEST(xcap_server_list)
{
	ck_assert_int_eq(pxml_xcap_add_server("127.0.0.1:8080/xcap-root"), 0);
	ck_assert_int_eq(pxml_xcap_add_server("http://xcap.example.com/root/"), 0);
	ck_assert_int_eq(pxml_xcap_add_server("https://secure.example.com/"), 0);
	ck_assert_int_eq(pxml_xcap_add_server("ftp://xcap.example.com/"), -1);
	ck_assert_int_eq(pxml_xcap_add_server(""), -1);
	ck_assert_int_eq(pxml.xcap_nroots, 3);
	ck_assert_str_eq(pxml.xcap_roots[0], "http://127.0.0.1:8080/xcap-root");
	ck_assert_str_eq(pxml.xcap_roots[1], "http://xcap.example.com/root");
	ck_assert_str_eq(pxml.xcap_roots[2], "https://secure.example.com");
}
END_TEST

/* A lookup never asks a server: nothing known -> -1 (the default policy)
 * and the entry is wanted; the XCAP process's round fetches it (the first
 * server refused, the second answers), says it changed; then lookups are
 * answered from the cache. */
START_TEST(xcap_miss_then_round)
{
	pxml_xcap_stats_t st;

	xcap_start();
	add_root(closed_port());
	add_root(S.port);
	ck_assert_int_eq(pxml_xcap_init(), 0);
	ck_assert_str_eq(doc_of(1), "?");
	ck_assert_str_eq(doc_of(0), "?");
	ck_assert_int_eq(srv_requests(), 0);
	ck_assert_int_eq(pxml_xcap_refresh(), 1);
	ck_assert_int_eq(srv_requests(), 1);
	ck_assert_ptr_nonnull(strstr(S.last_req, "GET " ALICE_PATH " HTTP/1.1"));
	ck_assert_int_eq(changed_n, 1);
	ck_assert_str_eq(changed_last, "alice@example.com");
	ck_assert_str_eq(doc_of(0), RULES_V1);
	ck_assert_int_eq(pxml_xcap_refresh(), 0); /* nothing to do */
	pxml_xcap_stats(&st);
	ck_assert_int_eq(st.requests, 2); /* the refused one and ours */
	ck_assert_int_eq(st.misses, 2);
	ck_assert_int_eq(st.hits, 1);
	ck_assert_int_eq(st.entries, 1);
	/* nobody has bob's: no document (404), not "unknown" */
	lp_str_t bob = {"bob", 3};
	lp_str_t *d = NULL;
	ck_assert_int_eq(pxml_xcap_rules_doc(&bob, &D, 0, &d), -1);
	ck_assert_int_eq(pxml_xcap_refresh(), 1);
	ck_assert_int_eq(pxml_xcap_rules_doc(&bob, &D, 0, &d), 0);
	ck_assert_ptr_null(d);
}
END_TEST

/* A server that accepts and never answers: the lookups (the SIP path)
 * return at once, every time; the round waits xcap_timeout, no more. */
START_TEST(xcap_silent_server_never_blocks_lookups)
{
	struct timespec t0;
	int i;

	srv_start(SRV_SILENT, NULL);
	add_root(S.port);
	pxml.xcap_timeout_ms = 300;
	ck_assert_int_eq(pxml_xcap_init(), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for(i = 0; i < 50; i++)
		ck_assert_str_eq(doc_of(1), "?");
	ck_assert_int_lt(ms_since(&t0), 100);
	ck_assert_int_eq(srv_requests(), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(pxml_xcap_refresh(), 1);
	ck_assert_int_ge(ms_since(&t0), 250);
	ck_assert_int_lt(ms_since(&t0), 1500);
	ck_assert_ptr_nonnull(strstr(lp_test_log_last(), "no server answered"));
	ck_assert_str_eq(doc_of(0), "?");
	ck_assert_int_eq(changed_n, 0);
}
END_TEST

START_TEST(xcap_5xx_then_next)
{
	char v[128];

	xcap_start();
	snprintf(v, sizeof(v), "http://127.0.0.1:%d/busy", S.port);
	ck_assert_int_eq(pxml_xcap_add_server(v), 0);
	add_root(S.port);
	ck_assert_int_eq(pxml_xcap_init(), 0);
	doc_of(0);
	pxml_xcap_refresh();
	ck_assert_str_eq(doc_of(0), RULES_V1);
	ck_assert_int_eq(srv_requests(), 2);
}
END_TEST

/* Used unchecked for the TTL; then served as it is and revalidated by the
 * next round (If-None-Match -> 304); a change is stored and announced; a
 * 404 is "none". */
START_TEST(xcap_ttl_revalidate)
{
	pxml_xcap_stats_t st;

	xcap_start();
	add_root(S.port);
	ck_assert_int_eq(pxml_xcap_init(), 0);
	doc_of(0);
	pxml_xcap_refresh();
	fake_now += 59;
	ck_assert_str_eq(doc_of(0), RULES_V1);
	ck_assert_int_eq(pxml_xcap_refresh(), 0);
	fake_now += 1;
	ck_assert_str_eq(doc_of(0), RULES_V1); /* served, marked */
	ck_assert_int_eq(pxml_xcap_refresh(), 1);
	ck_assert_int_eq(srv_requests(), 2);
	ck_assert_ptr_nonnull(strstr(S.last_req, "\r\nIf-None-Match: \"v1\"\r\n"));
	pxml_xcap_stats(&st);
	ck_assert_int_eq(st.not_modified, 1);
	ck_assert_int_eq(changed_n, 1);
	srv_set_doc(RULES_V2, "\"v2\"");
	fake_now += 60;
	ck_assert_str_eq(doc_of(0), RULES_V1);
	pxml_xcap_refresh();
	ck_assert_str_eq(doc_of(0), RULES_V2);
	ck_assert_int_eq(changed_n, 2);
	srv_set_doc("", "");
	fake_now += 60;
	doc_of(0);
	pxml_xcap_refresh();
	ck_assert_str_eq(doc_of(0), "");
	ck_assert_int_eq(changed_n, 3);
	pxml_xcap_stats(&st);
	ck_assert_int_eq(st.bytes, 0);
	/* still none: not a change (the 404's own body is not a document) */
	fake_now += 60;
	doc_of(0);
	ck_assert_int_eq(pxml_xcap_refresh(), 1);
	ck_assert_int_eq(changed_n, 3);
}
END_TEST

/* The documents together stay under xcap_cache_bytes: one that does not
 * fit is not stored (the others are dropped first when they can be). */
START_TEST(xcap_cache_bytes)
{
	pxml_xcap_stats_t st;

	xcap_start();
	add_root(S.port);
	pxml.xcap_cache_bytes = (long)strlen(RULES_V1);
	ck_assert_int_eq(pxml_xcap_init(), 0);
	doc_of(0);
	ck_assert_int_eq(pxml_xcap_refresh(), 1);
	ck_assert_str_eq(doc_of(0), RULES_V1);
	pxml_xcap_stats(&st);
	ck_assert_int_eq(st.bytes, (long)strlen(RULES_V1));
	srv_set_doc(RULES_V2, "\"v2\""); /* longer than the cap */
	fake_now += 60;
	doc_of(0);
	ck_assert_int_eq(pxml_xcap_refresh(), 1);
	ck_assert_str_eq(doc_of(0), RULES_V1);
	pxml_xcap_stats(&st);
	ck_assert_int_eq(st.bytes, (long)strlen(RULES_V1));
	ck_assert_int_eq(changed_n, 1);
}
END_TEST

/* A fresh lookup (an authorization) marks a document for the next round;
 * not within the second it was fetched (the re-evaluation the change
 * triggered); xcap_cache_ttl 0 marks every use. */
START_TEST(xcap_fresh_and_ttl_zero)
{
	xcap_start();
	add_root(S.port);
	ck_assert_int_eq(pxml_xcap_init(), 0);
	doc_of(0);
	pxml_xcap_refresh();
	ck_assert_str_eq(doc_of(1), RULES_V1);
	ck_assert_int_eq(pxml_xcap_refresh(), 0);
	fake_now += 1;
	ck_assert_str_eq(doc_of(1), RULES_V1);
	ck_assert_int_eq(pxml_xcap_refresh(), 1);
	ck_assert_int_eq(srv_requests(), 2);
	pxml.xcap_cache_ttl = 0;
	doc_of(0);
	ck_assert_int_eq(pxml_xcap_refresh(), 1);
	ck_assert_int_eq(srv_requests(), 3);
}
END_TEST

/* A dead server: after xcap_backoff_failures failures in a row it is not
 * asked for xcap_backoff_time seconds, then asked again; a document
 * fetched before stays in use meanwhile. */
START_TEST(xcap_backoff)
{
	pxml_xcap_stats_t st;
	int fails, i;
	long until;

	add_root(closed_port());
	ck_assert_int_eq(pxml_xcap_init(), 0);
	doc_of(0);
	for(i = 0; i < 3; i++) {
		ck_assert_int_eq(pxml_xcap_refresh(), 1);
		ck_assert_int_eq(pxml_xcap_refresh(), 0); /* retried later */
		fake_now += PXML_XCAP_RETRY;
	}
	ck_assert_int_eq(pxml_xcap_server_state(0, &fails, &until), 0);
	ck_assert_int_eq(until, fake_now - PXML_XCAP_RETRY + 30);
	ck_assert_int_eq(fails, 0);
	for(i = 0; i < 10; i++) {
		ck_assert_int_eq(pxml_xcap_refresh(), 1);
		fake_now += PXML_XCAP_RETRY;
	}
	pxml_xcap_stats(&st);
	ck_assert_int_eq(st.requests, 3);
	ck_assert_int_eq(st.skipped, 10);
	fake_now = until - 1;
	pxml_xcap_refresh();
	pxml_xcap_stats(&st);
	ck_assert_int_eq(st.requests, 3);
	fake_now = until + PXML_XCAP_RETRY; /* the entry's retry is due too */
	ck_assert_int_eq(pxml_xcap_refresh(), 1);
	pxml_xcap_stats(&st);
	ck_assert_int_eq(st.requests, 4);
	ck_assert_int_eq(pxml_xcap_server_state(1, &fails, &until), -1);
}
END_TEST

/* "no server answered" once a second at most, whatever the entries: a
 * round of three failures logs three "cannot connect" lines and one
 * "no server answered". */
START_TEST(xcap_no_answer_log_limited)
{
	lp_str_t *d, u = {"u1", 2};
	int i, n0;

	add_root(closed_port());
	pxml.xcap_backoff_failures = 100;
	ck_assert_int_eq(pxml_xcap_init(), 0);
	for(i = 0; i < 3; i++) {
		u.s = (char[]){'u', (char)('0' + i)};
		ck_assert_int_eq(pxml_xcap_rules_doc(&u, &D, 0, &d), -1);
	}
	n0 = lp_test_log_count();
	ck_assert_int_eq(pxml_xcap_refresh(), 3);
	ck_assert_int_eq(lp_test_log_count() - n0, 4);
	ck_assert_ptr_nonnull(strstr(lp_test_log_last(), "cannot connect"));
	fake_now += PXML_XCAP_RETRY;
	n0 = lp_test_log_count();
	ck_assert_int_eq(pxml_xcap_refresh(), 3);
	ck_assert_int_eq(lp_test_log_count() - n0, 4);
}
END_TEST

START_TEST(xcap_known_doc_kept_while_down)
{
	xcap_start();
	add_root(S.port);
	ck_assert_int_eq(pxml_xcap_init(), 0);
	doc_of(0);
	pxml_xcap_refresh();
	__atomic_store_n(&S.stop, 1, __ATOMIC_RELEASE);
	pthread_join(S.th, NULL);
	close(S.lfd);
	S.lfd = -1;
	fake_now += 61;
	ck_assert_str_eq(doc_of(0), RULES_V1);
	ck_assert_int_eq(pxml_xcap_refresh(), 1); /* fails */
	ck_assert_str_eq(doc_of(0), RULES_V1);
	ck_assert_int_eq(changed_n, 1);
}
END_TEST

/* The RPC process (xcap_fetch_here) fetches a fresh lookup at once. */
START_TEST(xcap_fetch_here)
{
	xcap_start();
	add_root(S.port);
	ck_assert_int_eq(pxml_xcap_init(), 0);
	pxml.xcap_fetch_here = 1;
	ck_assert_str_eq(doc_of(1), RULES_V1);
	ck_assert_int_eq(srv_requests(), 1);
	srv_set_doc(RULES_V2, "\"v2\"");
	ck_assert_str_eq(doc_of(1), RULES_V2);
	ck_assert_ptr_nonnull(strstr(S.last_req, "If-None-Match: \"v1\""));
	ck_assert_int_eq(changed_n, 0); /* the RPC re-evaluates by itself */
	pxml.xcap_fetch_here = 0;
	ck_assert_str_eq(doc_of(1), RULES_V2); /* in the shared cache */
}
END_TEST

START_TEST(xcap_cache_size)
{
	pxml_xcap_stats_t st;
	lp_str_t *d, u = {"u1", 2};
	int i;

	add_root(closed_port());
	pxml.xcap_cache_size = 2;
	ck_assert_int_eq(pxml_xcap_init(), 0);
	for(i = 0; i < 5; i++) {
		u.s = (char[]){'u', (char)('0' + i)};
		fake_now++;
		ck_assert_int_eq(pxml_xcap_rules_doc(&u, &D, 0, &d), -1);
	}
	pxml_xcap_stats(&st);
	ck_assert_int_eq(st.entries, 2);
}
END_TEST

START_TEST(xcap_source_choice)
{
	lp_str_t *d = (lp_str_t *)1;

	xcap_start();
	add_root(S.port);
	ck_assert_int_eq(pxml_xcap_init(), 0);
	pxml.force_active = 1; /* nothing is read */
	ck_assert_int_eq(pxml_get_rules_doc(&U, &D, &d), 0);
	ck_assert_ptr_null(d);
	pxml.force_active = 0; /* over HTTP: from the cache */
	ck_assert_int_eq(pxml_get_rules_doc(&U, &D, &d), -1);
	pxml_xcap_refresh();
	ck_assert_int_eq(pxml_get_rules_doc(&U, &D, &d), 0);
	ck_assert_ptr_nonnull(d);
	ck_assert_str_eq(d->s, RULES_V1);
	pxml_free_body(d->s);
	pxml_free_body((char *)d);
	ck_assert_int_eq(srv_requests(), 1);
}
END_TEST

Suite *pxml_http_suite(void)
{
	Suite *s = suite_create("pxml_http");
	TCase *h = tcase_create("http"), *x = tcase_create("xcap");

	tcase_add_checked_fixture(h, setup, teardown);
	tcase_add_test(h, http_content_length);
	tcase_add_test(h, http_chunked);
	tcase_add_test(h, http_read_to_close_and_interim);
	tcase_add_test(h, http_404);
	tcase_add_test(h, http_304_if_none_match);
	tcase_add_test(h, http_oversize);
	tcase_add_test(h, http_timeout);
	tcase_add_test(h, http_refused_and_bad_urls);
	tcase_add_test(h, http_redirect_not_followed);
	tcase_add_test(h, http_connection_reused);
	tcase_add_test(h, http_hostname_and_malformed);
	tcase_add_test(h, http_etag_line);
	suite_add_tcase(s, h);
	tcase_add_checked_fixture(x, setup, teardown);
	tcase_add_test(x, xcap_uri);
	tcase_add_test(x, xcap_server_list);
	tcase_add_test(x, xcap_miss_then_round);
	tcase_add_test(x, xcap_silent_server_never_blocks_lookups);
	tcase_add_test(x, xcap_5xx_then_next);
	tcase_add_test(x, xcap_ttl_revalidate);
	tcase_add_test(x, xcap_fresh_and_ttl_zero);
	tcase_add_test(x, xcap_backoff);
	tcase_add_test(x, xcap_no_answer_log_limited);
	tcase_add_test(x, xcap_known_doc_kept_while_down);
	tcase_add_test(x, xcap_fetch_here);
	tcase_add_test(x, xcap_cache_size);
	tcase_add_test(x, xcap_cache_bytes);
	tcase_add_test(x, xcap_source_choice);
	suite_add_tcase(s, x);
	return s;
}
