/* update_db_subs_timer's walk over a consumer's table (rls) never holds a
 * slot lock while it calls the DB or the consumer's expiry handler, and the
 * unlocked window cannot bring a removed dialog back nor lose a failed
 * write. The default slot lock is a spin lock on the int in
 * subs_entry_t.lock, so the callbacks read it to see whether it is held. */
#include <check.h>
#include <string.h>

#include "pres_logic.h"
#include "pres_shtable.h"

#define NOW 1700000000u

static shtable_t tab;
static int locked_calls; /* callbacks that ran with their slot locked */
static int fail_writes;	 /* write returns -1 while set */
static int writes, removes;
static const char *drop_in_write; /* callid removed by "rls" mid-write */

static unsigned int fake_clock(void)
{
	return NOW;
}

static void note_lock(unsigned int slot)
{
	if(__atomic_load_n((int *)&tab[slot].lock, __ATOMIC_ACQUIRE))
		locked_calls++;
}

static int cb_write(subs_t *s, void *ctx)
{
	note_lock(0);
	writes++;
	if(drop_in_write && s->callid.len == (int)strlen(drop_in_write)
			&& !memcmp(s->callid.s, drop_in_write, s->callid.len))
		ck_assert_int_eq(pres_shtable_delete(tab, 0, s), 0);
	return fail_writes ? -1 : 0;
}

static void cb_remove(subs_t *s, void *ctx)
{
	note_lock(0);
	removes++;
}

static int cb_expired(subs_t *s)
{
	note_lock(0);
	return 0;
}

static const pres_shtable_sync_ops_t ops = {cb_write, cb_remove, NULL};

static subs_t *add(const char *callid, unsigned int expires, int flag)
{
	subs_t s;

	memset(&s, 0, sizeof(s));
	s.pres_uri = LP_STR("sip:list@example.com");
	s.to_tag = LP_STR("tt");
	s.from_tag = LP_STR("ft");
	s.callid.s = (char *)callid;
	s.callid.len = strlen(callid);
	s.expires = expires;
	s.db_flag = flag;
	ck_assert_int_eq(pres_shtable_insert(tab, 0, &s), 0);
	return pres_shtable_search(tab, s.callid, s.to_tag, s.from_tag, 0);
}

static void setup(void)
{
	pres.now = fake_clock;
	tab = pres_shtable_new(1);
	ck_assert_ptr_nonnull(tab);
	locked_calls = fail_writes = writes = removes = 0;
	drop_in_write = NULL;
}

static void teardown(void)
{
	pres_shtable_destroy(tab, 1);
	pres.now = NULL;
}

START_TEST(test_sync_unlocked)
{
	add("new", 100, INSERTDB_FLAG);
	add("changed", 100, UPDATEDB_FLAG);
	add("old", 0, NO_UPDATEDB_FLAG);
	pres_shtable_sync(tab, 1, 0, NOW + 50, cb_expired, &ops);
	ck_assert_int_eq(writes, 2);
	ck_assert_int_eq(removes, 1);
	ck_assert_int_eq(locked_calls, 0);
}
END_TEST

START_TEST(test_sync_failed_write_marks_again)
{
	subs_t *n = add("new", 100, INSERTDB_FLAG);
	subs_t *c = add("changed", 100, UPDATEDB_FLAG);

	fail_writes = 1;
	pres_shtable_sync(tab, 1, 0, NOW, NULL, &ops);
	ck_assert_int_eq(n->db_flag, INSERTDB_FLAG);
	ck_assert_int_eq(c->db_flag, UPDATEDB_FLAG);
	fail_writes = 0;
	pres_shtable_sync(tab, 1, 0, NOW, NULL, &ops);
	ck_assert_int_eq(writes, 4);
	ck_assert_int_eq(n->db_flag, NO_UPDATEDB_FLAG);
	ck_assert_int_eq(c->db_flag, NO_UPDATEDB_FLAG);
	pres_shtable_sync(tab, 1, 0, NOW, NULL, &ops);
	ck_assert_int_eq(writes, 4); /* nothing more to write */
}
END_TEST

/* the consumer removes the dialog while its row is being inserted: the row
 * the write created is deleted again */
START_TEST(test_sync_removed_meanwhile)
{
	add("gone", 100, INSERTDB_FLAG);
	drop_in_write = "gone";
	pres_shtable_sync(tab, 1, 0, NOW, NULL, &ops);
	ck_assert_int_eq(writes, 1);
	ck_assert_int_eq(removes, 1);
	ck_assert_ptr_null(tab[0].entries->next);
}
END_TEST

Suite *shtable_sync_suite(void)
{
	Suite *s = suite_create("shtable_sync");
	TCase *tc = tcase_create("sync");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_sync_unlocked);
	tcase_add_test(tc, test_sync_failed_write_marks_again);
	tcase_add_test(tc, test_sync_removed_meanwhile);
	suite_add_tcase(s, tc);
	return s;
}
