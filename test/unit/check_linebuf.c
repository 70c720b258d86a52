/* lp_linebuf: lines held back and written later, in order; the bound on
 * the bytes held (the held lines written first); a line that cannot be
 * held is refused, so the caller writes it itself. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "lp_linebuf.h"
#include "lp_test.h"

static char written[64][64];
static int nwritten;

static void out(const char *line, size_t len, void *ctx)
{
	ck_assert_int_lt(nwritten, 64);
	ck_assert_uint_lt(len, sizeof(written[0]));
	memcpy(written[nwritten], line, len);
	written[nwritten][len] = '\0';
	nwritten++;
	if(ctx)
		(*(int *)ctx)++;
}

START_TEST(test_linebuf_order)
{
	lp_linebuf_t b = LP_LINEBUF_INIT;
	int i, calls = 0;

	nwritten = 0;
	for(i = 0; i < 10; i++)
		ck_assert_int_eq(lp_linebuf_printf(&b, 1 << 20, out, &calls,
								 "line %d of %s\n", i, "ten"),
				0);
	ck_assert_int_eq(nwritten, 0); /* held, nothing written yet */
	lp_linebuf_flush(&b, out, &calls);
	ck_assert_int_eq(nwritten, 10);
	ck_assert_int_eq(calls, 10);
	ck_assert_str_eq(written[0], "line 0 of ten\n");
	ck_assert_str_eq(written[9], "line 9 of ten\n");
	ck_assert_uint_eq(b.len, 0);
	/* the block is kept for the next batch; an empty flush writes nothing */
	ck_assert_ptr_nonnull(b.buf);
	lp_linebuf_flush(&b, out, &calls);
	ck_assert_int_eq(nwritten, 10);
	lp_linebuf_free(&b);
	ck_assert_ptr_null(b.buf);
	ck_assert_uint_eq(b.cap, 0);
}
END_TEST

/* max 40 bytes: each line is 11 bytes with its NUL, so the fourth line
 * first sends the three held ones to the writer. */
START_TEST(test_linebuf_bound)
{
	lp_linebuf_t b = LP_LINEBUF_INIT;
	int i;

	nwritten = 0;
	for(i = 0; i < 3; i++)
		ck_assert_int_eq(lp_linebuf_printf(&b, 40, out, NULL, "line-%05d", i), 0);
	ck_assert_int_eq(nwritten, 0);
	ck_assert_uint_le(b.cap, 40);
	ck_assert_int_eq(lp_linebuf_printf(&b, 40, out, NULL, "line-%05d", 3), 0);
	ck_assert_int_eq(nwritten, 3);
	ck_assert_str_eq(written[2], "line-00002");
	ck_assert_uint_eq(b.len, 11);
	lp_linebuf_flush(&b, out, NULL);
	ck_assert_int_eq(nwritten, 4);
	ck_assert_str_eq(written[3], "line-00003");
	lp_linebuf_free(&b);
}
END_TEST

/* A line longer than max alone is refused and nothing held is lost. */
START_TEST(test_linebuf_too_long)
{
	lp_linebuf_t b = LP_LINEBUF_INIT;

	nwritten = 0;
	ck_assert_int_eq(lp_linebuf_printf(&b, 16, out, NULL, "short"), 0);
	ck_assert_int_eq(lp_linebuf_printf(&b, 16, out, NULL, "%s",
							 "far longer than sixteen bytes"),
			-1);
	ck_assert_int_eq(nwritten, 0);
	lp_linebuf_flush(&b, out, NULL);
	ck_assert_int_eq(nwritten, 1);
	ck_assert_str_eq(written[0], "short");
	lp_linebuf_free(&b);
}
END_TEST

/* Growth past the first block: every line intact. */
START_TEST(test_linebuf_grows)
{
	lp_linebuf_t b = LP_LINEBUF_INIT;
	char line[40];
	int i;

	for(i = 0; i < 20000; i++)
		ck_assert_int_eq(lp_linebuf_printf(&b, 4 << 20, out, NULL,
								 "%031d", i),
				0);
	ck_assert_uint_eq(b.len, 20000 * 32);
	ck_assert_uint_ge(b.cap, b.len);
	snprintf(line, sizeof(line), "%031d", 12345);
	ck_assert_mem_eq(b.buf + 12345 * 32, line, 32);
	lp_linebuf_free(&b);
}
END_TEST

Suite *linebuf_suite(void)
{
	Suite *s = suite_create("linebuf");
	TCase *tc = tcase_create("lines");

	tcase_add_test(tc, test_linebuf_order);
	tcase_add_test(tc, test_linebuf_bound);
	tcase_add_test(tc, test_linebuf_too_long);
	tcase_add_test(tc, test_linebuf_grows);
	suite_add_tcase(s, tc);
	return s;
}
