/* The presence fixtures of t_pres_fixture.c that need the module's types:
 * the start and stop shared by the Check files that run the module on a
 * database (check_pres_persist, _pend, _shareddb), a TCase per engine, and
 * a watcher's SUBSCRIBE dialog through the request handler. One fixture at
 * a time: the state is process-global (the module's `pres`). */
#ifndef T_PRES_FIXTURE_H
#define T_PRES_FIXTURE_H

#include <check.h>

#include "lp_test.h"
#include "pres_logic.h"

#define LP_TEST_T0 1700000000u /* the fake clock's start */

/* The engine of the running TCase (lp_test_pres_tcases sets it before the
 * file's own setup runs). */
const lp_test_eng_t *lp_test_pres_eng(void);

/* Start the module on a fresh database of lp_test_pres_eng() (a temp
 * SQLite file named after tag): pres zeroed with its defaults, db_url set,
 * the SQL built, the tables (tables 1), the "presence" event with PUBLISH
 * handler publ (may be NULL), the fake clock at LP_TEST_T0. Call
 * lp_test_mem_install() and set the log first. Returns the URL (the
 * fixture's). */
const char *lp_test_pres_start(
		const char *tag, int tables, int (*publ)(struct sip_msg *));
/* Undo lp_test_pres_start: the tables (if any), pres.db and the events,
 * the temp file; the default log back; fails when memory is left. */
void lp_test_pres_stop(void);

/* Add to s a TCase "sqlite" filled by add_sqlite, then one per server
 * engine (PostgreSQL, MariaDB) whose URL variable is set, 60 s timeout,
 * filled by add_server (one left out is reported on stderr, under the
 * suite's name; none when add_server is NULL). Each runs setup and teardown as a checked fixture, with
 * lp_test_pres_eng() its engine. */
void lp_test_pres_tcases(Suite *s, const char *name, void (*setup)(void),
		void (*teardown)(void), void (*add_sqlite)(TCase *),
		void (*add_server)(TCase *));

/* The first column of the first row of sql on a connection of the test's
 * own to url, as text ("" without a row, "NULL" for NULL; static storage). */
const char *lp_test_sql_q1(const char *url, const char *sql);
/* Run sql on a connection of the test's own to url (asserted). */
void lp_test_sql_run(const char *url, const char *sql);

/* A watcher's SUBSCRIBE dialog: bob's to alice (lp_test_pres_sub_req),
 * Call-ID copied into callid; each NOTIFY made goes to on_notify (may be
 * NULL). */
typedef struct lp_test_sub
{
	pres_subscribe_req_t r;
	char callid[64], to_tag[128];
	int (*on_notify)(const pres_notify_t *);
} lp_test_sub_t;

/* The initial SUBSCRIBE of s (zeroed first), answered 2xx (asserted). */
void lp_test_sub_ok(lp_test_sub_t *s, const char *callid,
		int (*on_notify)(const pres_notify_t *));
/* The in-dialog un-SUBSCRIBE (Expires: 0) of s, answered 2xx (asserted). */
void lp_test_sub_end(lp_test_sub_t *s);

#endif
