/* Hash tables: bucket sizing, link/find/unlink, bucket versions and table
 * ids, destroy with a free function, concurrent use from threads, and
 * every allocation failing. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>

#include "lp_hash.h"
#include "lp_test.h"

typedef struct rec {
	lp_hentry_t e;
	lp_str_t key;
} rec_t;

static int match_key(const lp_hentry_t *e, const void *key)
{
	return lp_str_eq(&((const rec_t *)e)->key, (const lp_str_t *)key);
}

static rec_t *rec_new(const char *k)
{
	rec_t *r = lp_zalloc(sizeof(*r));
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(lp_str_dup(&r->key, &(lp_str_t){(char *)k, (int)strlen(k)}), 0);
	r->e.hash = lp_hash_str(&r->key);
	return r;
}

static void rec_free(lp_hentry_t *e)
{
	rec_t *r = (rec_t *)e;
	lp_free(r->key.s);
	lp_free(r);
}

static void setup(void)
{
	lp_test_mem_install();
}

START_TEST(test_size_is_power_of_two)
{
	lp_htable_t *t = lp_htable_new(9);
	ck_assert_uint_eq(t->size, 512);
	lp_htable_destroy(t, NULL);
	t = lp_htable_new(0);
	ck_assert_uint_eq(t->size, 2);
	lp_htable_destroy(t, NULL);
	t = lp_htable_new(99);
	ck_assert_uint_eq(t->size, 1u << LP_HTABLE_MAX_POWER);
	lp_htable_destroy(t, NULL);
	ck_assert_int_eq(lp_test_mem_live(), 0);
}
END_TEST

START_TEST(test_link_find_unlink)
{
	lp_htable_t *t = lp_htable_new(2); /* 4 buckets: collisions certain */
	char k[32];
	int i;
	rec_t *r;

	for(i = 0; i < 100; i++) {
		snprintf(k, sizeof(k), "sip:user%d@example.com", i);
		r = rec_new(k);
		lp_htable_lock(t, lp_htable_slot(t, r->e.hash));
		lp_htable_link(t, &r->e);
		lp_htable_unlock(t, lp_htable_slot(t, r->e.hash));
	}
	for(i = 0; i < 100; i++) {
		lp_str_t key;
		snprintf(k, sizeof(k), "sip:user%d@example.com", i);
		key = lp_str_c(k);
		r = (rec_t *)lp_htable_find(t, lp_hash_str(&key), match_key, &key);
		ck_assert_ptr_nonnull(r);
		ck_assert(lp_str_eq(&r->key, &key));
		if(i % 2 == 0) {
			ck_assert_int_eq(lp_htable_unlink(t, &r->e), 0);
			ck_assert_int_eq(lp_htable_unlink(t, &r->e), -1);
			rec_free(&r->e);
		}
	}
	{
		lp_str_t key = LP_STR("sip:user2@example.com");
		ck_assert_ptr_null(lp_htable_find(t, lp_hash_str(&key), match_key, &key));
		key = LP_STR("sip:user3@example.com");
		ck_assert_ptr_nonnull(lp_htable_find(t, lp_hash_str(&key), match_key, &key));
	}
	lp_htable_destroy(t, rec_free);
	ck_assert_int_eq(lp_test_mem_live(), 0);
}
END_TEST

static lp_htable_t *shared;

static void *worker(void *arg)
{
	int base = (int)(long)arg, i;
	char k[32];

	for(i = 0; i < 2000; i++) {
		rec_t *r;
		unsigned int slot;
		snprintf(k, sizeof(k), "w%d-%d", base, i);
		r = rec_new(k);
		slot = lp_htable_slot(shared, r->e.hash);
		lp_htable_lock(shared, slot);
		lp_htable_link(shared, &r->e);
		lp_htable_unlock(shared, slot);
	}
	return NULL;
}

START_TEST(test_threads)
{
	pthread_t th[4];
	unsigned int i, total = 0;

	lp_mem_set_ops(&lp_alloc_libc, &lp_lock_pthread); /* counters are not atomic */
	shared = lp_htable_new(3);
	for(i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, worker, (void *)(long)i);
	for(i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	for(i = 0; i < shared->size; i++)
		total += shared->buckets[i].count;
	ck_assert_uint_eq(total, 8000);
	lp_htable_destroy(shared, rec_free);
}
END_TEST

/* A bucket's version moves with every link, unlink and
 * lp_htable_changed, and only that bucket's; an unlink of an entry the
 * bucket does not hold leaves it. Two tables have different ids. */
START_TEST(test_versions)
{
	lp_htable_t *t = lp_htable_new(2), *u = lp_htable_new(2);
	rec_t *r = rec_new("sip:alice@example.com"), *stray;
	unsigned int slot = lp_htable_slot(t, r->e.hash), other = (slot + 1) & t->mask;
	unsigned int v0 = lp_htable_version(t, slot), o0 = lp_htable_version(t, other);

	ck_assert_uint_ne(t->id, u->id);
	lp_htable_lock(t, slot);
	lp_htable_link(t, &r->e);
	ck_assert_uint_ne(lp_htable_version(t, slot), v0);
	v0 = lp_htable_version(t, slot);
	lp_htable_changed(t, slot);
	ck_assert_uint_ne(lp_htable_version(t, slot), v0);
	v0 = lp_htable_version(t, slot);
	stray = rec_new("sip:alice@example.com"); /* same slot, never linked */
	ck_assert_int_eq(lp_htable_unlink(t, &stray->e), -1);
	ck_assert_uint_eq(lp_htable_version(t, slot), v0);
	ck_assert_int_eq(lp_htable_unlink(t, &r->e), 0);
	ck_assert_uint_ne(lp_htable_version(t, slot), v0);
	lp_htable_unlock(t, slot);
	ck_assert_uint_eq(lp_htable_version(t, other), o0);
	rec_free(&r->e);
	rec_free(&stray->e);
	lp_htable_destroy(t, NULL);
	lp_htable_destroy(u, NULL);
	ck_assert_int_eq(lp_test_mem_live(), 0);
}
END_TEST

START_TEST(test_alloc_failure)
{
	int n;

	for(n = 1; n < 64; n++) {
		lp_htable_t *t;
		lp_test_mem_install();
		lp_test_mem_fail_at(n);
		t = lp_htable_new(4);
		if(t) {
			ck_assert_int_gt(n, 17); /* 1 table + 1 array + 16 locks */
			lp_htable_destroy(t, NULL);
		}
		ck_assert_int_eq(lp_test_mem_live(), 0);
	}
}
END_TEST

Suite *hash_suite(void)
{
	Suite *s = suite_create("hash");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_size_is_power_of_two);
	tcase_add_test(tc, test_link_find_unlink);
	tcase_add_test(tc, test_versions);
	tcase_add_test(tc, test_threads);
	tcase_add_test(tc, test_alloc_failure);
	suite_add_tcase(s, tc);
	return s;
}
