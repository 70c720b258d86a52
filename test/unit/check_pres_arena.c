/* The NOTIFY callback blocks (pres_arena.h): carved one after the other
 * from a chunk, one allocation per chunk; a chunk is freed once every
 * block carved from it is and it is no process's current chunk, in
 * whatever order the blocks come back; a big block has a chunk of its
 * own; out of memory is NULL; a forked child carves its own chunk. */
#include <check.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lp_test.h"
#include "pres_arena.h"

static long live0;

static void setup(void)
{
	lp_test_mem_install();
	pres_arena_release();
	live0 = lp_test_mem_live();
}

static void teardown(void)
{
	pres_arena_release();
}

/* n blocks of size bytes, each filled with its index */
static void alloc_n(void **b, int n, size_t size)
{
	int i;

	for(i = 0; i < n; i++) {
		b[i] = pres_arena_alloc(size);
		ck_assert_ptr_nonnull(b[i]);
		ck_assert_uint_eq((uintptr_t)b[i] % 16, 0);
		memset(b[i], i & 0xff, size);
	}
}

START_TEST(test_one_allocation_per_chunk)
{
	enum { N = 1000, SIZE = 500 };
	static void *b[N];
	long made0 = pres_arena_chunks_made(), calls0 = lp_test_mem_calls();
	int i, j;

	alloc_n(b, N, SIZE);
	/* 528 bytes a block with its head: 31 in a 16 kB chunk, 33 chunks
	 * for 1000, one allocation each */
	ck_assert_int_eq(PRES_ARENA_CHUNK, 16384);
	ck_assert_int_eq(pres_arena_chunks_made() - made0, 33);
	ck_assert_int_eq(lp_test_mem_calls() - calls0, 33);
	for(i = 0; i < N; i++) /* no block overlaps another */
		for(j = 0; j < SIZE; j += 97)
			ck_assert_int_eq(((unsigned char *)b[i])[j], i & 0xff);
	for(i = 0; i < N; i++)
		pres_arena_free(b[i]);
	/* every chunk but the current one is gone */
	ck_assert_int_eq(lp_test_mem_live(), live0 + 1);
	pres_arena_release();
	ck_assert_int_eq(lp_test_mem_live(), live0);
}
END_TEST

/* blocks come back in any order, from the middle of a chunk, while new
 * ones are carved: a chunk goes when its last block does, not before */
START_TEST(test_any_order)
{
	enum { N = 600 };
	static void *b[N];
	long freed0;
	int i;

	alloc_n(b, N, 1008); /* 1024 with the head: blocks 0-15 in the first
							 chunk, 16-31 in the second ... */
	freed0 = pres_arena_chunks_freed();
	for(i = 1; i < 16; i++) /* all of the first chunk but block 0 */
		pres_arena_free(b[i]);
	ck_assert_int_eq(pres_arena_chunks_freed(), freed0);
	ck_assert_int_eq(((unsigned char *)b[0])[1007], 0); /* still intact */
	pres_arena_free(b[0]);
	ck_assert_int_eq(pres_arena_chunks_freed(), freed0 + 1);
	for(i = N - 1; i >= 16; i -= 2)
		pres_arena_free(b[i]);
	for(i = N - 2; i >= 16; i -= 2)
		pres_arena_free(b[i]);
	pres_arena_release();
	ck_assert_int_eq(lp_test_mem_live(), live0);
	ck_assert_int_eq(pres_arena_chunks_made(), pres_arena_chunks_freed());
}
END_TEST

/* the current chunk survives its blocks; a later block still fits in it */
START_TEST(test_current_chunk_kept)
{
	void *a = pres_arena_alloc(100), *b;
	long made = pres_arena_chunks_made();

	pres_arena_free(a);
	ck_assert_int_eq(lp_test_mem_live(), live0 + 1);
	b = pres_arena_alloc(100);
	ck_assert_int_eq(pres_arena_chunks_made(), made);
	ck_assert_ptr_ne(a, b); /* carved further, never reused */
	pres_arena_free(b);
}
END_TEST

START_TEST(test_big_block_own_chunk)
{
	void *small = pres_arena_alloc(64), *big, *small2;
	long made = pres_arena_chunks_made(), freed = pres_arena_chunks_freed();

	big = pres_arena_alloc(PRES_ARENA_CHUNK / 4 + 1);
	ck_assert_ptr_nonnull(big);
	memset(big, 7, PRES_ARENA_CHUNK / 4 + 1);
	ck_assert_int_eq(pres_arena_chunks_made(), made + 1);
	pres_arena_free(big);
	ck_assert_int_eq(pres_arena_chunks_freed(), freed + 1);
	/* the small block's chunk is still the current one */
	small2 = pres_arena_alloc(64);
	ck_assert_ptr_nonnull(small2);
	ck_assert_int_eq(pres_arena_chunks_made(), made + 1);
	pres_arena_free(small);
	pres_arena_release();
	/* the second small block's reference keeps its chunk */
	ck_assert_int_eq(lp_test_mem_live(), live0 + 1);
	pres_arena_free(small2);
	ck_assert_int_eq(lp_test_mem_live(), live0);
}
END_TEST

START_TEST(test_out_of_memory)
{
	void *a;

	lp_test_mem_fail_at(1);
	ck_assert_ptr_null(pres_arena_alloc(100));
	ck_assert_int_eq(lp_test_mem_live(), live0);
	a = pres_arena_alloc(100); /* works again */
	ck_assert_ptr_nonnull(a);
	pres_arena_free(a);
	pres_arena_free(NULL);
}
END_TEST

/* a child forked while the parent carves a chunk carves its own */
START_TEST(test_fork_child_own_chunk)
{
	char *a = pres_arena_alloc(100);
	pid_t pid;
	int status;

	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_eq(pres_arena_alloc(100), a + 128); /* the next slot */
	pres_arena_free(a + 128);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if(pid == 0) {
		char *c = pres_arena_alloc(100);
		/* not the parent's next slot (two blocks of 100, 128 bytes each
		 * with the head, were carved), but a chunk of its own */
		int ok = c && pres_arena_chunks_made() == 1 && c != a + 256;
		_exit(ok ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	pres_arena_free(a);
}
END_TEST

Suite *pres_arena_suite(void)
{
	Suite *s = suite_create("pres_arena");
	TCase *tc = tcase_create("chunks");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_one_allocation_per_chunk);
	tcase_add_test(tc, test_any_order);
	tcase_add_test(tc, test_current_chunk_kept);
	tcase_add_test(tc, test_big_block_own_chunk);
	tcase_add_test(tc, test_out_of_memory);
	tcase_add_test(tc, test_fork_child_own_chunk);
	suite_add_tcase(s, tc);
	return s;
}
