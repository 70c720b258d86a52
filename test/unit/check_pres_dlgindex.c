/* The subscription table's dialog index at scale: with many watchers of one
 * presentity (all in one pres.subs bucket) a refresh, an un-SUBSCRIBE and
 * the flush's look-ups find their dialog through pres.dlgs and leave the
 * bucket through the record's back link, so handling every watcher once
 * costs O(watchers) dialog comparisons, not O(watchers^2). Comparisons are
 * counted (pres_subs_match_calls), not timed. The bucket's links are
 * checked after each kind of removal (head, middle, tail, delete_same_subs,
 * expiry). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lp_test.h"
#include "pres_subs.h"

#define T0 1700000000u
#define NW 10000
#define URI "sip:popular@example.com"

static pres_ev_t ev_pres = {.name = {"presence", 8}};
static unsigned int fake_now;
static char ids[NW][3][24]; /* Call-ID, To tag, From tag of watcher i */

static unsigned int fake_clock(void)
{
	return fake_now;
}

static void setup(void)
{
	int i;

	lp_test_mem_install();
	memset(&pres, 0, sizeof(pres));
	pres_cfg_defaults(&pres.cfg);
	pres.cfg.subs_db_mode = PRES_SUBS_DB_NONE;
	pres.subs = lp_htable_new(4);
	pres.dlgs = lp_htable_new(14);
	ck_assert_ptr_nonnull(pres.subs);
	ck_assert_ptr_nonnull(pres.dlgs);
	fake_now = T0;
	pres.now = fake_clock;
	for(i = 0; i < NW; i++) {
		snprintf(ids[i][0], sizeof(ids[i][0]), "call-%d", i);
		snprintf(ids[i][1], sizeof(ids[i][1]), "tt-%d", i);
		snprintf(ids[i][2], sizeof(ids[i][2]), "ft-%d", i);
	}
}

static void teardown(void)
{
	lp_htable_destroy(pres.subs, pres_subs_free_entry);
	lp_htable_destroy(pres.dlgs, NULL);
	pres.subs = pres.dlgs = NULL;
	ck_assert_int_eq(lp_test_mem_live(), 0);
}

static pres_dlg_key_t key_of(int i, lp_str_t k[3])
{
	k[0] = lp_str_c(ids[i][0]);
	k[1] = lp_str_c(ids[i][1]);
	k[2] = lp_str_c(ids[i][2]);
	return (pres_dlg_key_t){&k[0], &k[1], &k[2]};
}

static void add(int i, const char *callid, unsigned int expires)
{
	subs_t s;

	memset(&s, 0, sizeof(s));
	s.pres_uri = LP_STR(URI);
	s.watcher_user = s.from_user = lp_str_c(ids[i][1]);
	s.watcher_domain = s.from_domain = LP_STR("example.com");
	s.callid = lp_str_c(callid ? callid : ids[i][0]);
	s.to_tag = lp_str_c(ids[i][1]);
	s.from_tag = lp_str_c(ids[i][2]);
	s.event = &ev_pres;
	s.status = ACTIVE_STATUS;
	s.expires = expires;
	ck_assert_int_eq(pres_subs_insert(&s), 0);
}

static int remove_w(int i)
{
	lp_str_t k[3];
	pres_dlg_key_t dk = key_of(i, k);

	return pres_subs_remove(&LP_STR(URI), &dk);
}

/* Walks every bucket forwards checking each back link and the count;
 * returns the records. */
static int check_links(void)
{
	unsigned int i, n;
	lp_hentry_t **pp, *e;
	int total = 0;

	for(i = 0; i < pres.subs->size; i++) {
		n = 0;
		for(pp = &pres.subs->buckets[i].first; (e = *pp) != NULL;
				pp = &e->next, n++)
			ck_assert_ptr_eq(((pres_srec_t *)e)->pprev, pp);
		ck_assert_uint_eq(n, pres.subs->buckets[i].count);
		total += (int)n;
	}
	ck_assert_int_eq(total, pres_subs_count());
	return total;
}

static int bump_cseq(subs_t *stored, void *ctx, subs_t **replace)
{
	stored->remote_cseq++;
	return 0;
}

static int new_contact(subs_t *stored, void *ctx, subs_t **replace)
{
	static subs_t copy;

	copy = *stored;
	copy.contact = LP_STR("sip:moved@192.0.2.7");
	*replace = &copy;
	return 1;
}

START_TEST(test_refresh_and_remove_linear)
{
	int i, rc;
	unsigned long before;
	lp_str_t k[3];
	pres_dlg_key_t dk;

	pres.cfg.subs_remove_match = _i; /* 0: To tag alone; 1: whole dialog */
	for(i = 0; i < NW; i++)
		add(i, NULL, T0 + 600);
	ck_assert_int_eq(check_links(), NW);
	before = pres_subs_match_calls;
	/* a refresh of every watcher, in insertion order (the first is at the
	 * far end of the bucket); every tenth one replaces its record */
	for(i = 0; i < NW; i++) {
		dk = key_of(i, k);
		rc = pres_subs_apply(
				&LP_STR(URI), &dk, i % 10 ? bump_cseq : new_contact, NULL);
		ck_assert_int_eq(rc, 0);
	}
	ck_assert_int_eq(check_links(), NW);
	/* each watcher gone once, in insertion order too */
	for(i = 0; i < NW; i++)
		ck_assert_int_eq(remove_w(i), 0);
	ck_assert_msg(pres_subs_match_calls - before <= 8ul * NW,
			"%lu dialog comparisons for %d refreshes and removals",
			pres_subs_match_calls - before, 2 * NW);
	ck_assert_int_eq(check_links(), 0);
	ck_assert_int_eq(remove_w(0), -2);
}
END_TEST

/* Head, middle and tail of the bucket, delete_same_subs and expiry keep
 * the links whole, and the others stay findable. */
START_TEST(test_links_survive_every_removal)
{
	lp_str_t k[3];
	pres_dlg_key_t dk;
	int i;

	for(i = 0; i < 10; i++)
		add(i, i >= 4 && i < 6 ? "shared-call" : NULL,
				i == 7 ? T0 + 5 : T0 + 600);
	ck_assert_int_eq(remove_w(9), 0); /* head: inserted last */
	ck_assert_int_eq(remove_w(0), 0); /* tail */
	ck_assert_int_eq(remove_w(2), 0); /* middle */
	ck_assert_int_eq(check_links(), 7);
	ck_assert_int_eq(
			pres_subs_remove_same(&LP_STR(URI), &LP_STR("shared-call")), 2);
	ck_assert_int_eq(check_links(), 5);
	fake_now = T0 + 10;
	pres_subs_expire(fake_now, NULL);
	ck_assert_int_eq(check_links(), 4);
	for(i = 0; i < 10; i++) {
		dk = key_of(i, k);
		ck_assert_int_eq(pres_subs_apply(&LP_STR(URI), &dk, bump_cseq, NULL),
				i == 1 || i == 3 || i == 6 || i == 8 ? 0 : -2);
	}
	for(i = 0; i < 10; i++)
		remove_w(i);
	ck_assert_int_eq(check_links(), 0);
}
END_TEST

Suite *pres_dlgindex_suite(void)
{
	Suite *s = suite_create("pres_dlgindex");
	TCase *tc = tcase_create("dlgindex");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_refresh_and_remove_linear, 0, 2);
	tcase_add_test(tc, test_links_survive_every_removal);
	suite_add_tcase(s, tc);
	return s;
}
