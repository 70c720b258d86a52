/* Event packages: parsing Event header values (good and malformed), the
 * RFC 6665 comparison of two values, and the registry a server answers
 * SUBSCRIBE and Allow-Events from, with every allocation failing. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "lp_event.h"
#include "lp_test.h"

static void setup(void)
{
	lp_test_mem_install();
	lp_test_log_install();
}

static int parse(const char *text, lp_event_hdr_t *h)
{
	lp_str_t v = lp_str_c(text);
	return lp_event_parse(&v, h);
}

static void assert_str(lp_str_t got, const char *want)
{
	ck_assert_int_eq(got.len, (int)strlen(want));
	ck_assert(memcmp(got.s, want, got.len) == 0);
}

static const lp_event_param_t *param(const lp_event_hdr_t *h, const char *n)
{
	lp_str_t name = lp_str_c(n);
	return lp_event_get_param(h, &name);
}

START_TEST(test_parse_plain)
{
	lp_event_hdr_t h;

	ck_assert_int_eq(parse("presence", &h), 0);
	assert_str(h.name, "presence");
	assert_str(h.package, "presence");
	ck_assert_ptr_null(h.id.s);
	ck_assert_int_eq(h.nparams, 0);

	ck_assert_int_eq(parse("presence.winfo", &h), 0);
	assert_str(h.name, "presence.winfo");
	assert_str(h.package, "presence");

	ck_assert_int_eq(parse("message-summary", &h), 0);
	assert_str(h.package, "message-summary");
}
END_TEST

START_TEST(test_parse_params)
{
	lp_event_hdr_t h;
	const lp_event_param_t *p;

	ck_assert_int_eq(parse("dialog;sla", &h), 0);
	assert_str(h.name, "dialog");
	ck_assert_int_eq(h.nparams, 1);
	assert_str(h.params[0].name, "sla");
	ck_assert_ptr_null(h.params[0].value.s);
	ck_assert_ptr_null(h.id.s);

	ck_assert_int_eq(parse("dialog ; sla", &h), 0);
	assert_str(h.name, "dialog");
	ck_assert_int_eq(h.nparams, 1);
	assert_str(h.params[0].name, "sla");

	ck_assert_int_eq(parse("presence;id=abc", &h), 0);
	assert_str(h.id, "abc");
	ck_assert_int_eq(h.nparams, 1);

	/* quoted values are kept as written, quotes included */
	ck_assert_int_eq(parse("presence;id=\"quoted\"", &h), 0);
	assert_str(h.id, "\"quoted\"");
	ck_assert_int_eq(parse("x;p=\"a;b \\\" c\"", &h), 0);
	assert_str(h.params[0].value, "\"a;b \\\" c\"");

	ck_assert_int_eq(parse("dialog;sla;call-id=ab.host;ID = 7 ;x=\"\"", &h), 0);
	ck_assert_int_eq(h.nparams, 4);
	assert_str(h.id, "7");
	p = param(&h, "CALL-ID");
	ck_assert_ptr_nonnull(p);
	assert_str(p->value, "ab.host");
	ck_assert_ptr_null(param(&h, "call"));
	ck_assert_int_eq(parse("presence;id=a@b", &h), -1); /* '@' is no token */
}
END_TEST

START_TEST(test_parse_trim)
{
	lp_event_hdr_t h;

	ck_assert_int_eq(parse(" \t presence;id=1 \r\n", &h), 0);
	assert_str(h.name, "presence");
	assert_str(h.id, "1");
	ck_assert_int_eq(parse("\r\ndialog\t;\tsla\t=\tyes\t\r\n", &h), 0);
	assert_str(h.params[0].value, "yes");
	ck_assert_ptr_null(param(&h, "nope"));
}
END_TEST

START_TEST(test_parse_malformed)
{
	static const char *bad[] = {"", " \r\n ", ";sla", "pres ence",
			"presence;", "presence;id=", "presence;id", "presence; =1",
			"presence;id=\"open", "presence;id=\"a\\", "presence.", ".winfo",
			"presence..winfo", "pres@ence", "presence,dialog", "presence;a=b=c",
			"presence;id=1;id=2", "presence;a=1 b", "<presence>",
			"pres\x01ence", "presence;id=a\x7f", "presence;x=\"a\x07\"",
			"presence;x=\"a\r\nb\"", "presence\r\n;sla", "presence;\xc3\xa9",
			"presence;a;b;c;d;e;f;g;h;i"};
	lp_event_hdr_t h;
	lp_str_t nul = {"presence\0;sla", 13};
	size_t i;

	for(i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(parse(bad[i], &h) == -1, "accepted '%s'", bad[i]);
	ck_assert_int_eq(lp_event_parse(&nul, &h), -1);
	/* eight parameters is the limit, not an error */
	ck_assert_int_eq(parse("presence;a;b;c;d;e;f;g;h", &h), 0);
	ck_assert_int_eq(h.nparams, LP_EVENT_MAX_PARAMS);
}
END_TEST

START_TEST(test_parse_huge)
{
	enum { N = 10 * 1024 };
	char *text = malloc(N + 32);
	lp_event_hdr_t h;

	strcpy(text, "presence;id=");
	memset(text + 12, 'a', N);
	text[12 + N] = '\0';
	ck_assert_int_eq(parse(text, &h), -1);
	free(text);
}
END_TEST

START_TEST(test_same)
{
	lp_event_hdr_t a, b;

	ck_assert_int_eq(parse("presence", &a), 0);
	ck_assert_int_eq(parse(" presence ;sla", &b), 0);
	ck_assert_int_eq(lp_event_same(&a, &b), 1); /* other params ignored */
	ck_assert_int_eq(parse("presence;id=1", &b), 0);
	ck_assert_int_eq(lp_event_same(&a, &b), 0); /* id vs none */
	ck_assert_int_eq(lp_event_same(&b, &a), 0);
	ck_assert_int_eq(parse("presence;p=abcd;id=1", &a), 0);
	ck_assert_int_eq(lp_event_same(&a, &b), 1);
	ck_assert_int_eq(parse("presence;id=2", &a), 0);
	ck_assert_int_eq(lp_event_same(&a, &b), 0);
	/* RFC 6665 8.2.1: compared byte by byte, so case matters */
	ck_assert_int_eq(parse("Presence;id=1", &a), 0);
	ck_assert_int_eq(lp_event_same(&a, &b), 0);
	ck_assert_int_eq(parse("presence;ID=1", &a), 0);
	ck_assert_int_eq(lp_event_same(&a, &b), 1); /* param names are not */
	ck_assert_int_eq(parse("presence.winfo;id=1", &a), 0);
	ck_assert_int_eq(lp_event_same(&a, &b), 0);
}
END_TEST

static lp_event_t *reg_add(lp_event_registry_t *r, const char *name)
{
	lp_str_t n = lp_str_c(name);
	return lp_event_register(r, &n, (void *)name);
}

static lp_event_t *lookup(const lp_event_registry_t *r, const char *text)
{
	lp_event_hdr_t h;

	ck_assert_int_eq(parse(text, &h), 0);
	return lp_event_lookup(r, &h);
}

static void fill(lp_event_registry_t *r)
{
	memset(r, 0, sizeof(*r));
	ck_assert_ptr_nonnull(reg_add(r, "presence"));
	ck_assert_ptr_nonnull(reg_add(r, "presence.winfo"));
	ck_assert_ptr_nonnull(reg_add(r, "dialog;sla"));
	ck_assert_int_eq(r->count, 3);
}

START_TEST(test_registry_lookup)
{
	lp_event_registry_t r;
	lp_event_t *ev;

	fill(&r);
	ev = lookup(&r, "dialog;sla");
	ck_assert_ptr_nonnull(ev);
	assert_str(ev->name, "dialog;sla");
	ck_assert_str_eq((const char *)ev->data, "dialog;sla");
	ck_assert_ptr_null(lookup(&r, "dialog"));
	ck_assert_ptr_eq(lookup(&r, "dialog;sla;id=3"), ev);
	ck_assert_ptr_eq(lookup(&r, " dialog ; SLA "), ev);
	ck_assert_ptr_null(lookup(&r, "dialog;sla=1"));
	assert_str(lookup(&r, "presence.winfo")->name, "presence.winfo");
	assert_str(lookup(&r, "presence;id=9")->name, "presence");
	ck_assert_ptr_null(lookup(&r, "Presence"));
	ck_assert_ptr_null(lookup(&r, "presence.winfo.x"));

	/* the most specific registration wins, whatever the order */
	ck_assert_ptr_nonnull(reg_add(&r, "dialog"));
	ck_assert_ptr_eq(lookup(&r, "dialog;sla"), ev);
	assert_str(lookup(&r, "dialog")->name, "dialog");
	lp_event_registry_free(&r);
	ck_assert_int_eq(r.count, 0);

	/* and with the general one registered first */
	ck_assert_ptr_nonnull(reg_add(&r, "dialog"));
	ev = reg_add(&r, "dialog;sla");
	ck_assert_ptr_eq(lookup(&r, "dialog;id=1;sla"), ev);
	assert_str(lookup(&r, "dialog;id=1")->name, "dialog");
	lp_event_registry_free(&r);
	ck_assert_int_eq(lp_test_mem_live(), 0);
}
END_TEST

START_TEST(test_registry_reject)
{
	lp_event_registry_t r;
	long live;

	fill(&r);
	live = lp_test_mem_live();
	ck_assert_ptr_null(reg_add(&r, "presence"));
	ck_assert_ptr_null(reg_add(&r, " presence\r\n"));
	ck_assert_ptr_null(reg_add(&r, "dialog ; sla"));
	ck_assert_ptr_null(reg_add(&r, "dialog;SLA"));
	ck_assert_ptr_null(reg_add(&r, "pres ence"));
	ck_assert_ptr_null(reg_add(&r, "presence;id=1"));
	ck_assert_ptr_null(reg_add(&r, ""));
	ck_assert_int_eq(r.count, 3);
	ck_assert_int_eq(lp_test_mem_live(), live);
	ck_assert_int_gt(lp_test_log_count(), 0);
	/* Presence is another package: names are case-sensitive */
	ck_assert_ptr_nonnull(reg_add(&r, "Presence"));
	ck_assert_ptr_nonnull(reg_add(&r, "dialog;sla;x=1"));
	ck_assert_int_eq(r.count, 5);
	lp_event_registry_free(&r);
	ck_assert_int_eq(lp_test_mem_live(), 0);
}
END_TEST

START_TEST(test_allow_list)
{
	static const char want[] = "presence, presence.winfo, dialog;sla";
	lp_event_registry_t r = {NULL, 0};
	char buf[64];
	int n = (int)sizeof(want) - 1;

	ck_assert_int_eq(lp_event_allow_list(&r, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "");
	fill(&r);
	ck_assert_int_eq(lp_event_allow_list(&r, buf, sizeof(buf)), n);
	ck_assert_str_eq(buf, want);
	/* exact fit needs room for the closing NUL */
	ck_assert_int_eq(lp_event_allow_list(&r, buf, n + 1), n);
	ck_assert_str_eq(buf, want);
	ck_assert_int_eq(lp_event_allow_list(&r, buf, n), -1);
	ck_assert_int_eq(lp_event_allow_list(&r, buf, 10), -1);
	ck_assert_int_eq(lp_event_allow_list(&r, buf, 0), -1);
	lp_event_registry_free(&r);
	ck_assert_int_eq(lp_test_mem_live(), 0);
}
END_TEST

START_TEST(test_registry_alloc_failure)
{
	static const char *names[] = {"presence", "presence.winfo", "dialog;sla"};
	lp_event_registry_t r = {NULL, 0};
	long base = lp_test_mem_live();
	lp_event_t *ev;
	size_t i;
	int n, before;
	long live;

	for(i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		before = r.count;
		live = lp_test_mem_live();
		for(n = 1;; n++) {
			ck_assert_int_lt(n, 64);
			lp_test_mem_fail_at(n);
			ev = reg_add(&r, names[i]);
			lp_test_mem_fail_at(0);
			if(ev)
				break;
			ck_assert_int_eq(r.count, before);
			ck_assert_int_eq(lp_test_mem_live(), live);
			ck_assert_ptr_null(lookup(&r, names[i]));
		}
		ck_assert_int_eq(r.count, before + 1);
		ck_assert_ptr_eq(lookup(&r, names[i]), ev);
	}
	lp_event_registry_free(&r);
	ck_assert_int_eq(lp_test_mem_live(), base);
}
END_TEST

Suite *event_suite(void)
{
	Suite *s = suite_create("event");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_parse_plain);
	tcase_add_test(tc, test_parse_params);
	tcase_add_test(tc, test_parse_trim);
	tcase_add_test(tc, test_parse_malformed);
	tcase_add_test(tc, test_parse_huge);
	tcase_add_test(tc, test_same);
	tcase_add_test(tc, test_registry_lookup);
	tcase_add_test(tc, test_registry_reject);
	tcase_add_test(tc, test_allow_list);
	tcase_add_test(tc, test_registry_alloc_failure);
	suite_add_tcase(s, tc);
	return s;
}
