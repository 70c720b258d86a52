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
