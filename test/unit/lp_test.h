/* Test support: a counting allocator that can be told to fail its Nth
 * allocation, so every out-of-memory path can be walked and leaks counted,
 * and a log capture. */
#ifndef LP_TEST_H
#define LP_TEST_H

#include <stddef.h>

#include "lp_mem.h"

/* Install the counting allocator (and pthread locks); resets the counters
 * and disables failure injection. */
void lp_test_mem_install(void);
/* Fail the nth allocation from now (1 = the next one); 0 disables. */
void lp_test_mem_fail_at(int nth);
/* Blocks currently allocated through the counting allocator. */
long lp_test_mem_live(void);
/* Allocations attempted since install (failed ones included). */
long lp_test_mem_calls(void);

/* Capture libpresence log lines; lp_test_log_last() returns the last one
 * ("" if none), lp_test_log_count() how many since install. */
void lp_test_log_install(void);
const char *lp_test_log_last(void);
int lp_test_log_count(void);

/* Run the SQL file schema_path on the SQLite database at db_path (created
 * when missing); fails the test on any error. */
void lp_test_sqlite_schema(const char *db_path, const char *schema_path);

/* ---- presence module fixtures (t_pres_fixture.c); the state they keep is
 * process-global, one fixture at a time ---- */

struct lp_db;
struct sip_msg;

/* A database engine to run on: env names the variable holding a server's
 * URL (NULL: a temp SQLite file), schema the project's create script. */
typedef struct lp_test_eng
{
	const char *name, *env, *schema;
} lp_test_eng_t;
extern const lp_test_eng_t lp_test_eng_sqlite, lp_test_eng_pg, lp_test_eng_my;

/* The fake clock: lp_test_clock() returns lp_test_now (set by the test). */
extern unsigned int lp_test_now;
unsigned int lp_test_clock(void);

/* Run a schema file statement by statement through the driver on db (the
 * caller's connection), after dropping the project's tables. */
void lp_test_server_schema(struct lp_db *db, const char *path);
/* A fresh presence database on engine e: a temp SQLite file named after
 * tag with e's schema, or the server's tables recreated. Returns its URL,
 * owned by the fixture (valid until the next call). */
const char *lp_test_pres_db_new(const lp_test_eng_t *e, const char *tag);
/* An empty temp SQLite file named after tag (the caller loads a schema);
 * returns its path, owned by the fixture; lp_test_pres_db_path() gives it
 * again. The URL is returned by neither: "sqlite://" + path. */
const char *lp_test_pres_db_file(const char *tag);
const char *lp_test_pres_db_path(void);
/* Remove the temp SQLite file and its -wal/-shm (nothing for a server). */
void lp_test_pres_db_drop(void);

/* Register the "presence" event (PUBL_TYPE, content type ct, expires 3600,
 * PUBLISH handler publ or NULL) in the presence module's registry. */
void lp_test_pres_add_presence(const char *ct, int (*publ)(struct sip_msg *));
/* Create / destroy the module's pubs, subs and dlgs tables (4 buckets);
 * the tables are the module's (pres.*), the free resets the pointers. */
void lp_test_pres_tables_new(void);
void lp_test_pres_tables_free(void);
/* Close pres.db and free the event registry with each event's data. */
void lp_test_pres_db_close_events(void);
/* Fill r (zeroed first) as bob@example.com's initial SUBSCRIBE to
 * alice@example.com's presence, Call-ID callid (borrowed: must outlive r),
 * from-tag "bobtag", Expires 3600. */
struct pres_subscribe_req;
void lp_test_pres_sub_req(struct pres_subscribe_req *r, const char *callid);
/* Fill r (zeroed first) as a PUBLISH of alice@domain's presence, Expires
 * expires, with an application/pidf+xml body when body is not NULL and
 * SIP-If-Match when if_match is not NULL (strings borrowed). */
struct pres_publish_req;
void lp_test_pres_pub_req(struct pres_publish_req *r, const char *domain,
		int expires, const char *body, const char *if_match);
/* The SIP-ETag of a 200 reply's headers into etag (size bytes; asserted
 * present and fitting). */
void lp_test_pres_reply_etag(const char *hdrs, char *etag, int size);
/* Fill s (zeroed first) as an active "presence" subscription of
 * watcher@example.com to user@example.com (presentity URI uri), Call-ID
 * callid, tags tt/ft, CSeq 1, contact sip:w@192.0.2.1, expiring at expires;
 * the strings are borrowed (must outlive s); s->event NULL if "presence" is
 * not registered. */
struct subscription;
struct pres_reply;
struct pres_notify;
void lp_test_pres_subs_rec(struct subscription *s, const char *uri,
		const char *user, const char *watcher, const char *callid,
		unsigned int expires);
/* Hand r to pres_handle_subscribe with the caller's *rep (zeroed first);
 * an initial request answered 2xx copies its To-tag into to_tag (size
 * to_tag_size); a NOTIFY made is passed to on_notify (may be NULL), then
 * freed here. Returns the reply code. */
int lp_test_pres_subscribe(struct pres_subscribe_req *r, struct pres_reply *rep,
		char *to_tag, size_t to_tag_size,
		int (*on_notify)(const struct pres_notify *));

/* Binary layout assertions (the ABI tests against Kamailio's headers):
 * field f of T at byte offset off with size size; its type unsigned or
 * signed. */
#define LP_T_OFF(T, f, off, size)                            \
	do {                                                     \
		ck_assert_uint_eq(offsetof(T, f), off);              \
		ck_assert_uint_eq(sizeof(((T *)0)->f), size);        \
	} while(0)
#define LP_T_UNSIGNED(T, f) ck_assert((__typeof__(((T *)0)->f))-1 > 0)
#define LP_T_SIGNED(T, f) ck_assert((__typeof__(((T *)0)->f))-1 < 0)

#endif
