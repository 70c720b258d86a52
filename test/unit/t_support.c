/* Test support: counting / failing allocator, log capture, SQLite schema
 * loading. */
#include <check.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lp_log.h"
#include "lp_test.h"

/* atomic: lp_mem may be used from several threads (check_wq) */
static long mem_live, mem_calls;
#define MEM_ADD(v, n) __atomic_add_fetch(&(v), (n), __ATOMIC_RELAXED)
static int mem_fail_at;

static int should_fail(void)
{
	MEM_ADD(mem_calls, 1);
	if(mem_fail_at > 0 && --mem_fail_at == 0)
		return 1;
	return 0;
}

static void *t_malloc(size_t size)
{
	void *p;

	if(should_fail())
		return NULL;
	p = malloc(size);
	if(p)
		MEM_ADD(mem_live, 1);
	return p;
}

static void *t_realloc(void *ptr, size_t size)
{
	void *p;

	if(should_fail())
		return NULL;
	p = realloc(ptr, size);
	if(p && !ptr)
		MEM_ADD(mem_live, 1);
	return p;
}

static void t_free(void *ptr)
{
	if(ptr)
		MEM_ADD(mem_live, -1);
	free(ptr);
}

static const lp_alloc_ops_t t_alloc = {"test", t_malloc, t_realloc, t_free};

void lp_test_mem_install(void)
{
	mem_live = mem_calls = 0;
	mem_fail_at = 0;
	lp_mem_set_ops(&t_alloc, &lp_lock_pthread);
}

void lp_test_mem_fail_at(int nth)
{
	mem_fail_at = nth;
}

long lp_test_mem_live(void)
{
	return __atomic_load_n(&mem_live, __ATOMIC_RELAXED);
}

long lp_test_mem_calls(void)
{
	return mem_calls;
}

static char log_last[512];
static int log_count;

static void t_log(int level, const char *msg)
{
	strncpy(log_last, msg, sizeof(log_last) - 1);
	log_count++;
}

void lp_test_log_install(void)
{
	log_last[0] = '\0';
	log_count = 0;
	lp_log_set(t_log);
}

const char *lp_test_log_last(void)
{
	return log_last;
}

int lp_test_log_count(void)
{
	return log_count;
}

void lp_test_sqlite_schema(const char *db_path, const char *schema_path)
{
	FILE *f = fopen(schema_path, "r");
	char *sql, *err = NULL;
	sqlite3 *h;
	long n;

	ck_assert_msg(f != NULL, "cannot open %s", schema_path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	sql = malloc(n + 1);
	ck_assert_ptr_nonnull(sql);
	ck_assert_int_eq(fread(sql, 1, n, f), n);
	sql[n] = '\0';
	fclose(f);
	ck_assert_int_eq(sqlite3_open(db_path, &h), SQLITE_OK);
	ck_assert_msg(sqlite3_exec(h, sql, NULL, NULL, &err) == SQLITE_OK, "%s",
			err ? err : "?");
	sqlite3_close(h);
	free(sql);
}
