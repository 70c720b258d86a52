/* The DB-only store of subscriptions (subs_db_mode 3, pres_subs_db.c) as
 * several instances sharing one database see it: the NOTIFY CSeq bump and
 * the expiry touch the rows they are about and nothing else, so a row
 * locked by another instance's transaction (a watcher of another
 * presentity) neither blocks nor deadlocks them; a real deadlock between
 * two connections is classified LP_DB_EBUSY and logged as a warning, not an
 * error. Runs on a temp SQLite file and, when LP_TEST_PG_URL /
 * LP_TEST_MY_URL are set (test/db/run.sh), on PostgreSQL and MariaDB. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lp_db.h"
#include "lp_log.h"
#include "lp_test.h"
#include "pres_logic.h"
#include "pres_sql.h"
#include "pres_subs.h"
#include "t_pres_fixture.h"


static const lp_test_eng_t *eng;
static const char *url; /* the fixture's (t_pres_fixture.c) */
static int log_err, log_warn, log_deadlock;

/* the log is written by the test's two threads in test_deadlock_*: counts
 * only, under a mutex */
static pthread_mutex_t log_mx = PTHREAD_MUTEX_INITIALIZER;

static void cap_log(int level, const char *msg)
{
	pthread_mutex_lock(&log_mx);
	log_err += level == LP_L_ERR;
	log_warn += level == LP_L_WARN;
	log_deadlock += strstr(msg, "eadlock") != NULL;
	pthread_mutex_unlock(&log_mx);
}

static void log_reset(void)
{
	log_err = log_warn = log_deadlock = 0;
}

static void setup(void)
{
	eng = lp_test_pres_eng();
	lp_test_mem_install();
	log_reset();
	lp_log_set(cap_log);
	url = lp_test_pres_start("shareddb", 0, NULL);
	pres.cfg.subs_db_mode = PRES_SUBS_DB_ONLY;
	pres.cfg.publ_cache = 0;
	log_reset();
}

/* Store watcher's subscription to presentity user@example.com, dialog
 * callid, expiring in `ttl` s. */
static void store(const char *user, const char *watcher, const char *callid,
		unsigned int ttl)
{
	char uri[64];
	subs_t s;

	snprintf(uri, sizeof(uri), "sip:%s@example.com", user);
	lp_test_pres_subs_rec(&s, uri, user, watcher, callid, lp_test_now + ttl);
	ck_assert_ptr_nonnull(s.event);
	ck_assert_int_eq(pres_subs_insert(&s), 0);
}

/* NOTIFY fan-out read of user's watchers: their count; *cseq the local
 * CSeq of the first. */
static int collect(const char *user, unsigned int *cseq)
{
	char uri[64];
	lp_str_t u;
	subs_t **v = NULL;
	int n, i;

	snprintf(uri, sizeof(uri), "sip:%s@example.com", user);
	u = lp_str_c(uri);
	n = pres_subs_collect(&u, pres_event_by_hdr(&LP_STR("presence")), NULL, &v);
	if(n > 0 && cseq)
		*cseq = v[0]->local_cseq;
	for(i = 0; i < n; i++)
		free(v[i]);
	free(v);
	return n;
}

/* A second connection, as another instance, that waits at most about a
 * second for a row lock (the test fails fast instead of hanging). */
static lp_db_t *other_instance(void)
{
	lp_db_t *db = lp_db_open(url);

	ck_assert_ptr_nonnull(db);
	ck_assert_int_ge(lp_db_exec(db,
							 eng == &lp_test_eng_pg ? "SET lock_timeout = '1s'"
											: "SET SESSION "
											  "innodb_lock_wait_timeout=1",
							 NULL, 0, NULL, NULL),
			0);
	return db;
}

/* Our process's connection (pres_db) waits at most a second as well. */
static void short_lock_wait(void)
{
	ck_assert_int_ge(lp_db_exec(pres_db(),
							 eng == &lp_test_eng_pg ? "SET lock_timeout = '1s'"
											: "SET SESSION "
											  "innodb_lock_wait_timeout=1",
							 NULL, 0, NULL, NULL),
			0);
}

static void count_expired(subs_t *copy)
{
	free(copy);
}

/* Each fan-out bumps the CSeq of its presentity's live watchers once, and
 * the expiry hands over the expired rows with the CSeq advanced; rows of
 * other presentities and live rows stay as they were. */
START_TEST(test_bump_and_expire_by_id)
{
	unsigned int c = 0;

	store("alice", "w1", "c1", 3600);
	store("alice", "w2", "c2", 3600);
	store("bob", "w3", "c3", 10);
	ck_assert_int_eq(collect("alice", &c), 2);
	ck_assert_uint_eq(c, 2);
	ck_assert_int_eq(collect("alice", &c), 2);
	ck_assert_uint_eq(c, 3);
	ck_assert_int_eq(collect("bob", &c), 1);
	ck_assert_uint_eq(c, 2);
	lp_test_now += 20;
	pres_subs_expire(lp_test_now, count_expired);
	ck_assert_int_eq(collect("bob", NULL), 0);
	ck_assert_int_eq(collect("alice", &c), 2);
	ck_assert_uint_eq(c, 4);
	ck_assert_int_eq(pres_subs_count(), 2);
	ck_assert_int_eq(log_err + log_warn, 0);
}
END_TEST

/* Another instance holds the row of bob's watcher locked (its transaction
 * is still open): the fan-out to alice's watchers, a refresh of one of them,
 * a new subscription, an unsubscribe and the expiry neither wait for that
 * lock nor fail. (Before, the CSeq bump ran a range UPDATE through the
 * expires index on MariaDB, which waited for every live row it scanned.) */
START_TEST(test_locked_row_of_other_presentity)
{
	lp_db_t *other;
	unsigned int c = 0;
	char callid[16];
	int i;

	/* alice's expired rows not yet deleted make "expires > now" the more
	 * selective condition: the range UPDATE went through the expires
	 * index, over every live row, bob's locked one too */
	for(i = 0; i < 40; i++) {
		snprintf(callid, sizeof(callid), "old%d", i);
		store("alice", "old", callid, 10);
	}
	lp_test_now += 20;
	store("alice", "w1", "c1", 3600);
	store("bob", "w2", "c2", 3600);
	store("alice", "w3", "c3", 3600);
	short_lock_wait();
	other = other_instance();
	ck_assert_int_eq(lp_db_begin(other), 0);
	ck_assert_int_eq(lp_db_exec(other,
							 "UPDATE active_watchers SET version=version+1"
							 " WHERE callid='c2'",
							 NULL, 0, NULL, NULL),
			1);
	log_reset();
	ck_assert_int_eq(collect("alice", &c), 2);
	store("alice", "w4", "c4", 3600);
	ck_assert_int_eq(collect("alice", &c), 3);
	ck_assert_int_eq(pres_subs_remove(&LP_STR("sip:alice@example.com"),
							 &(pres_dlg_key_t){&LP_STR("c3"), &LP_STR("tt"),
									 &LP_STR("ft")}),
			0);
	pres_subs_expire(lp_test_now, count_expired);
	ck_assert_int_eq(collect("alice", &c), 2);
	ck_assert_int_eq(pres_subs_count(), 3);
	ck_assert_int_eq(log_err + log_warn, 0);
	lp_db_rollback(other);
	lp_db_close(other);
}
END_TEST

typedef struct lock_job
{
	lp_db_t *db;
	const char *sql;
	int rc;
} lock_job_t;

static void *lock_thread(void *arg)
{
	lock_job_t *j = arg;

	j->rc = lp_db_exec(j->db, j->sql, NULL, 0, NULL, NULL);
	if(j->rc == LP_DB_EBUSY) /* PostgreSQL keeps the locks until then */
		lp_db_rollback(j->db);
	return NULL;
}

/* Two connections each hold one row and ask for the other's: whichever
 * statement comes second closes the cycle, the server refuses one of them,
 * and that refusal is LP_DB_EBUSY, logged as a warning naming the deadlock
 * (inside a transaction: not retried here, no error). */
START_TEST(test_deadlock_is_warning)
{
	const char *u1 = "UPDATE active_watchers SET version=version+1"
					 " WHERE callid='c1'";
	const char *u2 = "UPDATE active_watchers SET version=version+1"
					 " WHERE callid='c2'";
	lp_db_t *a, *b;
	lock_job_t ja, jb;
	pthread_t t;

	store("alice", "w1", "c1", 3600);
	store("alice", "w2", "c2", 3600);
	a = lp_db_open(url);
	b = lp_db_open(url);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(lp_db_begin(a), 0);
	ck_assert_int_eq(lp_db_begin(b), 0);
	ck_assert_int_eq(lp_db_exec(a, u1, NULL, 0, NULL, NULL), 1);
	ck_assert_int_eq(lp_db_exec(b, u2, NULL, 0, NULL, NULL), 1);
	log_reset();
	ja = (lock_job_t){a, u2, 0};
	jb = (lock_job_t){b, u1, 0};
	ck_assert_int_eq(pthread_create(&t, NULL, lock_thread, &ja), 0);
	lock_thread(&jb);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_msg((ja.rc == LP_DB_EBUSY) != (jb.rc == LP_DB_EBUSY),
			"exactly one refused: %d %d", ja.rc, jb.rc);
	ck_assert_int_eq(ja.rc == LP_DB_EBUSY ? jb.rc : ja.rc, 1);
	ck_assert_int_eq(log_warn, 1);
	ck_assert_int_eq(log_deadlock, 1);
	ck_assert_int_eq(log_err, 0);
	lp_db_rollback(a);
	lp_db_rollback(b);
	lp_db_close(a);
	lp_db_close(b);
}
END_TEST

static void add_sqlite_tests(TCase *tc)
{
	tcase_add_test(tc, test_bump_and_expire_by_id);
}

static void add_server_tests(TCase *tc)
{
	tcase_add_test(tc, test_bump_and_expire_by_id);
	tcase_add_test(tc, test_locked_row_of_other_presentity);
	tcase_add_test(tc, test_deadlock_is_warning);
}

Suite *pres_shareddb_suite(void)
{
	Suite *s = suite_create("pres_shareddb");

	lp_test_pres_tcases(s, "pres_shareddb", setup, lp_test_pres_stop,
			add_sqlite_tests, add_server_tests);
	return s;
}
