/* Unguessable identifiers from the kernel's CSPRNG (see lp_rand.h). Tokens
 * are cut from a per-thread pool of kernel random bytes, refilled by one
 * getrandom() every LP_RAND_POOL / 16 tokens instead of one system call per
 * ETag or To-tag; a byte is used once and wiped. A forked child starts with
 * an empty pool (pthread_atfork), so a parent and its workers never hand
 * out the same bytes. */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/random.h>

#include "lp_rand.h"

#define LP_RAND_POOL 512

static __thread struct rand_pool {
	unsigned char b[LP_RAND_POOL];
	size_t left; /* unused bytes at the end of b */
} pool;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
static unsigned long refills;

/* In the child, only the forking thread exists: its pool is dropped. */
static void pool_forget(void)
{
	memset(pool.b, 0, sizeof(pool.b));
	pool.left = 0;
}

static void register_atfork(void)
{
	pthread_atfork(NULL, NULL, pool_forget);
}

/* n (<= LP_RAND_POOL) bytes from the pool into out; 0 / -1. */
static int pool_take(unsigned char *out, size_t n)
{
	unsigned char *p;

	pthread_once(&atfork_once, register_atfork);
	if(pool.left < n) {
		if(lp_rand_bytes(pool.b, sizeof(pool.b)) < 0)
			return -1;
		pool.left = sizeof(pool.b);
		refills++;
	}
	p = pool.b + sizeof(pool.b) - pool.left;
	memcpy(out, p, n);
	memset(p, 0, n);
	pool.left -= n;
	return 0;
}

unsigned long lp_rand_refills(void)
{
	return refills;
}

int lp_rand_bytes(void *buf, size_t n)
{
	unsigned char *p = buf;
	ssize_t got;

	while(n > 0) {
		got = getrandom(p, n, 0);
		if(got < 0) {
			if(errno == EINTR)
				continue;
			return -1;
		}
		p += got;
		n -= (size_t)got;
	}
	return 0;
}

int lp_rand_token(char *buf, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[LP_TOKEN_BITS / 8];
	size_t i;

	if(size <= LP_TOKEN_LEN) {
		if(size > 0)
			buf[0] = '\0';
		return -1;
	}
	if(pool_take(raw, sizeof(raw)) < 0) {
		buf[0] = '\0';
		return -1;
	}
	for(i = 0; i < sizeof(raw); i++) {
		buf[2 * i] = hex[raw[i] >> 4];
		buf[2 * i + 1] = hex[raw[i] & 15];
	}
	buf[LP_TOKEN_LEN] = '\0';
	memset(raw, 0, sizeof(raw));
	return LP_TOKEN_LEN;
}
