/* Huge pages and pre-faulting for a shared-memory pool: see
 * lp_hugepage.h. */
#include "lp_hugepage.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

#define SHMEM_ENABLED "/sys/kernel/mm/transparent_hugepage/shmem_enabled"

/* A hex number at *p (at most end), advancing *p past it; -1 if none. */
static int hex_at(const char **p, const char *end, uintptr_t *out)
{
	uintptr_t v = 0;
	int digits = 0;

	for(; *p < end; (*p)++, digits++) {
		char c = **p;
		int d;
		if(c >= '0' && c <= '9')
			d = c - '0';
		else if(c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if(c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			break;
		if(digits >= (int)(2 * sizeof(uintptr_t)))
			return -1;
		v = v * 16 + (uintptr_t)d;
	}
	if(digits == 0)
		return -1;
	*out = v;
	return 0;
}

/* One line "start-end ..." of maps ([p, eol)) into *start, *end; -1 if it
 * does not begin so. */
static int parse_range(const char *p, const char *eol, uintptr_t *start,
		uintptr_t *end)
{
	if(hex_at(&p, eol, start) < 0 || p >= eol || *p != '-')
		return -1;
	p++;
	if(hex_at(&p, eol, end) < 0 || *end <= *start)
		return -1;
	return 0;
}

int lp_maps_find(const char *maps, size_t len, uintptr_t addr,
		uintptr_t *start, uintptr_t *end)
{
	const char *p = maps, *stop = maps + len;

	while(p < stop) {
		const char *eol = memchr(p, '\n', (size_t)(stop - p));
		uintptr_t s, e;
		if(!eol)
			eol = stop;
		if(parse_range(p, eol, &s, &e) == 0 && addr >= s && addr < e) {
			*start = s;
			*end = e;
			return 0;
		}
		p = eol + 1;
	}
	return -1;
}

/* The whole of a small /proc or /sys file into a malloc'd buffer (*len
 * bytes); NULL on error (errno set). */
static char *read_all(const char *path, size_t *len)
{
	size_t cap = 8192, n = 0;
	char *buf = malloc(cap), *grown;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r;

	if(!buf || fd < 0)
		goto fail;
	while((r = read(fd, buf + n, cap - n)) != 0) {
		if(r < 0) {
			if(errno == EINTR)
				continue;
			goto fail;
		}
		n += (size_t)r;
		if(n == cap) {
			grown = realloc(buf, cap * 2);
			if(!grown)
				goto fail;
			buf = grown;
			cap *= 2;
		}
	}
	close(fd);
	*len = n;
	return buf;
fail:
	if(fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

/* The mapping of this process that holds addr, from /proc/self/maps. */
static int self_mapping(const void *addr, uintptr_t *s, uintptr_t *e)
{
	size_t len;
	char *maps = read_all("/proc/self/maps", &len);
	int rc;

	if(!maps)
		return -1;
	rc = lp_maps_find(maps, len, (uintptr_t)addr, s, e);
	free(maps);
	if(rc < 0)
		errno = ENOENT;
	return rc;
}

int lp_hugepage_advise(const void *addr, size_t *bytes)
{
	uintptr_t s, e;

	if(self_mapping(addr, &s, &e) < 0)
		return -1;
	if(madvise((void *)s, (size_t)(e - s), MADV_HUGEPAGE) < 0)
		return -1;
	*bytes = (size_t)(e - s);
	return 0;
}

void lp_mem_touch_pages(const void *start, size_t len)
{
	const volatile char *p = start;
	size_t page = (size_t)sysconf(_SC_PAGESIZE), off;

	for(off = 0; off < len; off += page)
		(void)p[off];
}

int lp_pool_populate(const void *addr, size_t max_bytes, size_t *bytes)
{
	uintptr_t s, e;
	size_t len;

	if(self_mapping(addr, &s, &e) < 0)
		return -1;
	len = (size_t)(e - s) < max_bytes ? (size_t)(e - s) : max_bytes;
	if(madvise((void *)s, len, MADV_POPULATE_WRITE) < 0) {
		if(errno != EINVAL)
			return -1;
		lp_mem_touch_pages((const void *)s, len); /* before Linux 5.14 */
	}
	*bytes = len;
	return 0;
}

int lp_hugepage_shmem_policy(char *buf, size_t size)
{
	size_t len;
	char *text, *open_b, *close_b;
	int rc = -1;

	if(size == 0)
		return -1;
	buf[0] = '\0';
	text = read_all(SHMEM_ENABLED, &len);
	if(!text)
		return -1;
	open_b = memchr(text, '[', len);
	close_b = open_b ? memchr(open_b, ']', len - (size_t)(open_b - text)) : NULL;
	if(close_b && (size_t)(close_b - open_b - 1) < size) {
		memcpy(buf, open_b + 1, (size_t)(close_b - open_b - 1));
		buf[close_b - open_b - 1] = '\0';
		rc = 0;
	}
	free(text);
	return rc;
}
