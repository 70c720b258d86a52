/* shm_hugepages and shm_prefault (lp_hugepage.h): finding the mapping that
 * holds an address in a maps text, the MADV_HUGEPAGE request and the
 * populating of a real shared anonymous mapping (the shape of Kamailio's shm
 * pool), in this process and in a forked child, seen in /proc/self/smaps. */
#include <check.h>
#include <errno.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "lp_hugepage.h"
#include "lp_test.h"

static const char MAPS[] =
		"55d0c0a00000-55d0c0a2b000 r--p 00000000 fe:01 1 /usr/sbin/kamailio\n"
		"7f1200000000-7f1240000000 rw-s 00000000 00:01 2 /dev/zero (deleted)\n"
		"garbage line without a range\n"
		"7f1300000000-7f12ff000000 rw-p 00000000 00:00 0\n" /* end < start */
		"7fff10000000-7fff10021000 rw-p 00000000 00:00 0 [stack]";

START_TEST(test_maps_find_inside)
{
	uintptr_t s = 0, e = 0;

	ck_assert_int_eq(lp_maps_find(MAPS, strlen(MAPS), 0x7f1210000000, &s, &e), 0);
	ck_assert_uint_eq(s, 0x7f1200000000);
	ck_assert_uint_eq(e, 0x7f1240000000);
	/* the first and the last byte; the last line has no newline */
	ck_assert_int_eq(lp_maps_find(MAPS, strlen(MAPS), 0x7f1200000000, &s, &e), 0);
	ck_assert_int_eq(lp_maps_find(MAPS, strlen(MAPS), 0x7fff10020fff, &s, &e), 0);
	ck_assert_uint_eq(s, 0x7fff10000000);
}
END_TEST

START_TEST(test_maps_find_outside)
{
	uintptr_t s = 1, e = 2;

	/* the end is exclusive; a reversed range is no mapping */
	ck_assert_int_eq(lp_maps_find(MAPS, strlen(MAPS), 0x7f1240000000, &s, &e), -1);
	ck_assert_int_eq(lp_maps_find(MAPS, strlen(MAPS), 0x7f1300000001, &s, &e), -1);
	ck_assert_int_eq(lp_maps_find(MAPS, strlen(MAPS), 0x10, &s, &e), -1);
	ck_assert_uint_eq(s, 1);
	ck_assert_uint_eq(e, 2);
	/* cut inside a line: the text's length bounds the parse */
	ck_assert_int_eq(lp_maps_find(MAPS, 70, 0x7f1210000000, &s, &e), -1);
	ck_assert_int_eq(lp_maps_find("", 0, 0x7f1210000000, &s, &e), -1);
	/* a number with more digits than an address holds */
	ck_assert_int_eq(lp_maps_find("100000000000000000-200000000000000000 x\n",
							 40, 0x1000, &s, &e),
			-1);
}
END_TEST

/* The line "key..." of the smaps entry that starts at start into line;
 * 0, or -1 when the entry or the key is not found. */
static int smaps_line(uintptr_t start, const char *key, char *line, int size)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char head[32];
	int in = 0, rc = -1;

	if(!f)
		return -1;
	snprintf(head, sizeof(head), "%lx-", (unsigned long)start);
	while(fgets(line, size, f)) {
		if(!strncmp(line, head, strlen(head)))
			in = 1;
		else if(in && !strncmp(line, key, strlen(key))) {
			rc = 0;
			break;
		}
	}
	fclose(f);
	return rc;
}

/* VmFlags of the smaps entry that starts at start: 1 with "hg" among
 * them, 0 without, -1 when the entry is not found. */
static int smaps_has_hg(uintptr_t start)
{
	char line[512];

	if(smaps_line(start, "VmFlags:", line, sizeof(line)) < 0)
		return -1;
	return strstr(line, " hg") != NULL;
}

/* Rss of the mapping that starts at start, in this process, kB; -1 if not
 * found. */
static long smaps_rss_kb(uintptr_t start)
{
	char line[512];

	if(smaps_line(start, "Rss:", line, sizeof(line)) < 0)
		return -1;
	return strtol(line + 4, NULL, 10);
}

/* A shared anonymous mapping of len bytes, the shape of Kamailio's pool. */
static char *shared_map(size_t len)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
			-1, 0);

	ck_assert_ptr_ne(p, MAP_FAILED);
	return p;
}

/* An address no mapping holds any more. */
static char *unmapped_page(void)
{
	char *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ck_assert_ptr_ne(p, MAP_FAILED);
	munmap(p, 4096);
	return p;
}

START_TEST(test_advise_shared_mapping)
{
	size_t len = 8 << 20, got = 0;
	char *pool = shared_map(len);

	ck_assert_int_eq(smaps_has_hg((uintptr_t)pool), 0);
	if(access("/sys/kernel/mm/transparent_hugepage", F_OK) != 0) {
		/* a kernel without THP refuses the advice */
		ck_assert_int_eq(lp_hugepage_advise(pool, &got), -1);
		ck_assert_int_eq(errno, EINVAL);
		munmap(pool, len);
		return;
	}
	/* any address inside the pool names the whole mapping */
	ck_assert_int_eq(lp_hugepage_advise(pool + 12345, &got), 0);
	ck_assert_uint_eq(got, len);
	ck_assert_int_eq(smaps_has_hg((uintptr_t)pool), 1);
	munmap(pool, len);
}
END_TEST

START_TEST(test_advise_unmapped)
{
	size_t got = 7;
	char *p = unmapped_page();

	ck_assert_int_eq(lp_hugepage_advise(p, &got), -1);
	ck_assert_uint_eq(got, 7);
}
END_TEST

START_TEST(test_shmem_policy)
{
	char buf[32], tiny[2];
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/shmem_enabled", "r");

	if(!f) { /* no THP in this kernel: the call says so */
		ck_assert_int_eq(lp_hugepage_shmem_policy(buf, sizeof(buf)), -1);
		ck_assert_str_eq(buf, "");
		return;
	}
	fclose(f);
	ck_assert_int_eq(lp_hugepage_shmem_policy(buf, sizeof(buf)), 0);
	ck_assert(!strcmp(buf, "always") || !strcmp(buf, "within_size")
			  || !strcmp(buf, "advise") || !strcmp(buf, "never")
			  || !strcmp(buf, "deny") || !strcmp(buf, "force"));
	/* no room for the word: refused, buffer empty */
	ck_assert_int_eq(lp_hugepage_shmem_policy(tiny, sizeof(tiny)), -1);
	ck_assert_str_eq(tiny, "");
}
END_TEST

/* Populating: allocated and mapped in the caller, contents unchanged, at
 * most max_bytes; a forked child, which inherits no page table of a shared
 * mapping, maps the same pages with its own call. */
START_TEST(test_populate_parent_and_child)
{
	size_t len = 8 << 20, got = 0;
	char *pool = shared_map(len);
	pid_t pid;
	int status;

	ck_assert_int_eq(smaps_rss_kb((uintptr_t)pool), 0);
	pool[5000] = 'x';
	ck_assert_int_eq(lp_pool_populate(pool + 100, 4 << 20, &got), 0);
	ck_assert_uint_eq(got, 4 << 20);
	ck_assert_int_eq(smaps_rss_kb((uintptr_t)pool), 4096);
	ck_assert_int_eq(pool[5000], 'x');
	ck_assert_int_eq(pool[0], 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if(pid == 0) {
		size_t n = 0;
		int ok = smaps_rss_kb((uintptr_t)pool) == 0
				 && lp_pool_populate(pool, 4 << 20, &n) == 0
				 && n == (4 << 20)
				 && smaps_rss_kb((uintptr_t)pool) == 4096
				 && pool[5000] == 'x';
		_exit(ok ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* more than the mapping: the whole mapping */
	ck_assert_int_eq(lp_pool_populate(pool, (size_t)1 << 40, &got), 0);
	ck_assert_uint_eq(got, len);
	ck_assert_int_eq(smaps_rss_kb((uintptr_t)pool), 8192);
	munmap(pool, len);
}
END_TEST

START_TEST(test_populate_unmapped)
{
	size_t got = 7;
	char *p = unmapped_page();

	errno = 0;
	ck_assert_int_eq(lp_pool_populate(p, 4096, &got), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_uint_eq(got, 7);
}
END_TEST

/* The fallback of kernels before 5.14: reads map the pages, change
 * nothing. */
START_TEST(test_touch_pages)
{
	size_t len = 4 << 20, i;
	char *pool = shared_map(len);

	lp_mem_touch_pages(pool, 1 << 20);
	ck_assert_int_eq(smaps_rss_kb((uintptr_t)pool), 1024);
	for(i = 0; i < len; i += 4096)
		ck_assert_int_eq(pool[i], 0);
	munmap(pool, len);
}
END_TEST

Suite *hugepage_suite(void)
{
	Suite *s = suite_create("hugepage");
	TCase *tc = tcase_create("maps");

	tcase_add_test(tc, test_maps_find_inside);
	tcase_add_test(tc, test_maps_find_outside);
	tcase_add_test(tc, test_advise_shared_mapping);
	tcase_add_test(tc, test_advise_unmapped);
	tcase_add_test(tc, test_shmem_policy);
	tcase_add_test(tc, test_populate_parent_and_child);
	tcase_add_test(tc, test_populate_unmapped);
	tcase_add_test(tc, test_touch_pages);
	suite_add_tcase(s, tc);
	return s;
}
