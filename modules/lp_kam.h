/* Kamailio side of libpresence's host hooks, shared by every module of the
 * suite (header-only, so each module gets its own static copy): shm_malloc
 * for the allocator, gen_lock_t for locks, LM_* for the log. A module calls
 * lp_kam_install() in mod_init, before anything allocates and before the
 * workers fork. It also holds the small SIP helpers every module's glue
 * needs (str conversions, a request body, joined header values). */
#ifndef LP_KAM_H
#define LP_KAM_H

#include <time.h>

#include "core/dprint.h"
#include "core/ip_addr.h"
#include "core/locking.h"
#include "core/mem/mem.h"
#include "core/mem/shm_mem.h"
#include "core/parser/msg_parser.h"
#include "core/parser/parse_content.h"
#include "core/str.h"

#include "lp_frame.h"
#include "lp_log.h"
#include "lp_mem.h"
#include "lp_siphdr.h"

static inline void *lp_kam_malloc(size_t size)
{
	return shm_malloc(size);
}
static inline void *lp_kam_realloc(void *p, size_t size)
{
	return shm_realloc(p, size);
}
static inline void lp_kam_free(void *p)
{
	shm_free(p);
}
static inline int lp_kam_lock_init(void *l)
{
	return lock_init((gen_lock_t *)l) ? 0 : -1;
}
static inline void lp_kam_lock_get(void *l)
{
	lock_get((gen_lock_t *)l);
}
static inline void lp_kam_lock_release(void *l)
{
	lock_release((gen_lock_t *)l);
}
static inline void lp_kam_lock_destroy(void *l)
{
	lock_destroy((gen_lock_t *)l);
}

static inline void lp_kam_log(int level, const char *msg)
{
	switch(level) {
		case LP_L_ERR:
			LM_ERR("%s\n", msg);
			break;
		case LP_L_WARN:
			LM_WARN("%s\n", msg);
			break;
		case LP_L_INFO:
			LM_INFO("%s\n", msg);
			break;
		default:
			LM_DBG("%s\n", msg);
	}
}

static inline void lp_kam_install(void)
{
	static const lp_alloc_ops_t lp_kam_alloc = {
			"shm", lp_kam_malloc, lp_kam_realloc, lp_kam_free};
	static const lp_lock_ops_t lp_kam_lock = {"gen_lock", sizeof(gen_lock_t),
			lp_kam_lock_init, lp_kam_lock_get, lp_kam_lock_release,
			lp_kam_lock_destroy};

	lp_mem_set_ops(&lp_kam_alloc, &lp_kam_lock);
	lp_log_set(lp_kam_log);
}

/* The clock the logic is given (seconds since the epoch). */
static inline unsigned int lp_kam_now(void)
{
	return (unsigned int)time(NULL);
}

/* A string module parameter, or NULL when unset or empty. */
static inline char *lp_kam_str_param(str *s)
{
	return (s->s && s->len > 0) ? s->s : NULL;
}

/* Kamailio str <-> lp_str_t (same layout; by value, no type punning). */
static inline lp_str_t lps(str x)
{
	lp_str_t r = {x.s, x.len};
	return r;
}

static inline str kstr(lp_str_t x)
{
	str r = {x.s, x.len};
	return r;
}

/* A rate-limited log site in glue code, through a Kamailio log macro
 * (LM_INFO, LM_NOTICE, or a wrapper of LM_GEN*): at most burst lines per
 * period seconds per process (lp_log_rl_allow), the number of lines left
 * out before appended. fmt has no trailing newline. */
#define LP_KAM_LOG_RL(burst, period, LOG, fmt, ...)                           \
	do {                                                                      \
		static lp_log_rl_t lp_kam_rl_;                                        \
		unsigned int lp_kam_missed_;                                          \
		if(lp_log_rl_allow(&lp_kam_rl_, lp_log_now(), (burst), (period),      \
				   &lp_kam_missed_))                                          \
			LOG(fmt " (%u similar lines suppressed before)\n", __VA_ARGS__,   \
					lp_kam_missed_);                                          \
	} while(0)
/* The rate of per-request reports (rejections, unmatched NOTIFYs). */
#define LP_KAM_LOG_REQ(LOG, fmt, ...) \
	LP_KAM_LOG_RL(LP_LOG_REQ_PER_SEC, 1, LOG, fmt, __VA_ARGS__)

/* The body of msg into *body ({NULL,0} when none), framed by
 * lp_frame_body against the bytes actually received: UDP may omit
 * Content-Length (the rest of the datagram is the body); a Content-Length
 * beyond the received bytes returns -1 with *body {NULL,0}: the caller
 * answers 400 (RFC 3261 s18.3) and must not use the body. The framing
 * error is logged at NOTICE, at most 10 lines a second per process and
 * module (lp_log_rl_allow). */
static inline int lp_kam_body(struct sip_msg *msg, lp_str_t *body)
{
	static lp_log_rl_t rate;
	char *start = get_body(msg);
	long avail;
	unsigned int dropped;

	*body = LP_STR_NULL;
	if(!start)
		return 0;
	avail = (long)(msg->buf + msg->len - start);
	if(lp_frame_body(start, avail, msg->content_length != NULL,
			   msg->content_length ? get_content_length(msg) : 0, body)
			< 0) {
		if(lp_log_rl_allow(&rate, lp_log_now(), LP_LOG_REQ_PER_SEC, 1, &dropped))
			LM_NOTICE("body shorter than its Content-Length (%ld bytes"
					  " received) from %s (%u earlier lines suppressed)\n",
					avail, ip_addr2a(&msg->rcv.src_ip), dropped);
		return -1;
	}
	return 0;
}

/* Values of every header of `type`, joined by ','; pkg memory (the caller
 * pkg_free()s it) or NULL when there is none or memory runs out. */
static inline char *lp_kam_join_headers(
		struct sip_msg *msg, hdr_types_t type, int *len)
{
	struct hdr_field *h;
	char *buf = NULL, *nb;
	int n = 0;

	for(h = msg->headers; h; h = h->next) {
		if(h->type != type)
			continue;
		nb = pkg_realloc(buf, n + h->body.len + 2);
		if(!nb) {
			pkg_free(buf);
			*len = 0;
			return NULL;
		}
		buf = nb;
		if(n)
			buf[n++] = ',';
		memcpy(buf + n, h->body.s, h->body.len);
		n += h->body.len;
	}
	*len = n;
	return buf;
}

#endif
