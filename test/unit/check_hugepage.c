/* shm_hugepages (lp_hugepage.h): finding the mapping that holds an address
 * in a maps text, and the MADV_HUGEPAGE request on a real shared anonymous
 * mapping (the shape of Kamailio's shm pool), seen in /proc/self/smaps. */
#include <check.h>
#include <errno.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

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

/* VmFlags of the smaps entry that starts at start: 1 with "hg" among
 * them, 0 without, -1 when the entry is not found. */
static int smaps_has_hg(uintptr_t start)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512], head[32];
	int in = 0, rc = -1;

	if(!f)
		return -1;
	snprintf(head, sizeof(head), "%lx-", (unsigned long)start);
	while(fgets(line, sizeof(line), f)) {
		if(!strncmp(line, head, strlen(head)))
			in = 1;
		else if(in && !strncmp(line, "VmFlags:", 8)) {
			rc = strstr(line, " hg") != NULL;
			break;
		}
	}
	fclose(f);
	return rc;
}

START_TEST(test_advise_shared_mapping)
{
	size_t len = 8 << 20, got = 0;
	char *pool = mmap(NULL, len, PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	ck_assert_ptr_ne(pool, MAP_FAILED);
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
	char *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ck_assert_ptr_ne(p, MAP_FAILED);
	munmap(p, 4096);
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

Suite *hugepage_suite(void)
{
	Suite *s = suite_create("hugepage");
	TCase *tc = tcase_create("maps");

	tcase_add_test(tc, test_maps_find_inside);
	tcase_add_test(tc, test_maps_find_outside);
	tcase_add_test(tc, test_advise_shared_mapping);
	tcase_add_test(tc, test_advise_unmapped);
	tcase_add_test(tc, test_shmem_policy);
	suite_add_tcase(s, tc);
	return s;
}
