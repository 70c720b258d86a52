/* pua's API as modules built for Kamailio 5.6 use it (bind_pua,
 * bind_libxml_api), driven without Kamailio: send_publish with UPDATE_TYPE
 * for a publication pua does not hold (pua_dialoginfo, pua_reginfo), the
 * tuple id of PIDF bodies (pua_usrloc), is_dialog / get_record_id on a
 * caller's struct of exactly Kamailio's size (pua_bla, rls: ASan catches a
 * read beyond it), get_subs_list (rls), callbacks chosen by source flag
 * with the cb_param of their own request (pua_rpc's delayed replies),
 * add_event from a foreign module, and the four libxml helpers. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "lp_log.h"
#include "lp_test.h"
#include "lp_xml.h"
#include "pua_libxml_api.h"
#include "pua_logic.h"

#define T0 1700000000u
#define ALICE "sip:alice@example.com"

static unsigned int fake_now;
static unsigned int fake_clock(void)
{
	return fake_now;
}

/* the requests pua hands to the glue: body, headers and reply token */
#define SENT_MAX 16
static struct {
	char *headers, *body, *call_id, *from_tag, *pres_uri;
	unsigned long long serial;
	unsigned int req_no;
} sent[SENT_MAX];
static int nsent;

static int capture(const pua_req_t *q)
{
	ck_assert_int_lt(nsent, SENT_MAX);
	sent[nsent].headers = strndup(q->headers.s, q->headers.len);
	sent[nsent].body = q->body.s ? strndup(q->body.s, q->body.len) : NULL;
	sent[nsent].call_id = strndup(q->call_id.s, q->call_id.len);
	sent[nsent].from_tag = strndup(q->from_tag.s, q->from_tag.len);
	sent[nsent].pres_uri = strndup(q->pres_uri.s, q->pres_uri.len);
	sent[nsent].serial = q->serial;
	sent[nsent].req_no = q->req_no;
	nsent++;
	return 0;
}

static void sent_reset(void)
{
	int i;

	for(i = 0; i < nsent; i++) {
		free(sent[i].headers);
		free(sent[i].body);
		free(sent[i].call_id);
		free(sent[i].from_tag);
		free(sent[i].pres_uri);
	}
	memset(sent, 0, sizeof(sent));
	nsent = 0;
}

/* callbacks: which ran, with which cb_param and code */
#define CB_MAX 8
static struct {
	int which, flag, code;
	void *param;
} calls[CB_MAX];
static int ncalls;

static int record_call(int which, ua_pres_t *h)
{
	pua_view_t *v = pua_view_of(h);

	ck_assert_int_lt(ncalls, CB_MAX);
	calls[ncalls].which = which;
	calls[ncalls].flag = h->flag;
	calls[ncalls].param = h->cb_param;
	calls[ncalls].code = v ? v->last_code : -1;
	ncalls++;
	return 0;
}
static int cb_dialog(ua_pres_t *h, struct sip_msg *m)
{
	return record_call(1, h);
}
static int cb_ul(ua_pres_t *h, struct sip_msg *m)
{
	return record_call(2, h);
}

static void setup(void)
{
	lp_test_mem_install();
	lp_test_log_install();
	memset(&pua, 0, sizeof(pua));
	pua_cfg_defaults(&pua.cfg);
	pua.table = lp_htable_new(4);
	ck_assert_ptr_nonnull(pua.table);
	ck_assert_int_eq(pua_add_event(PRESENCE_EVENT, "presence",
							 "application/pidf+xml", pua_pidf_process_body), 0);
	ck_assert_int_eq(pua_add_event(DIALOG_EVENT, "dialog",
							 "application/dialog-info+xml", NULL), 0);
	ck_assert_int_eq(pua_add_event(REGINFO_EVENT, "reg",
							 "application/reginfo+xml", NULL), 0);
	fake_now = T0;
	pua.now = fake_clock;
	pua.send = capture;
	sent_reset();
	memset(calls, 0, sizeof(calls));
	ncalls = 0;
}

static void teardown(void)
{
	lp_htable_destroy(pua.table, pua_rec_free_entry);
	pua.table = NULL;
	pua_events_free();
	pua_cbks_free();
	sent_reset();
	ck_assert_int_eq(lp_test_mem_live(), 0);
	lp_log_set(NULL);
}

static lp_str_t alice = LP_STR(ALICE);

static int publish_ev(int event, int source, int flag, const char *body,
		void *cb_param)
{
	lp_str_t b = lp_str_c(body);
	publ_info_t p;

	memset(&p, 0, sizeof(p));
	p.pres_uri = &alice;
	p.body = body ? &b : NULL;
	p.expires = 600;
	p.flag = flag;
	p.event = event;
	p.source_flag = source;
	p.cb_param = cb_param;
	return pua_send_publish(&p);
}

static void answer(int i, int code, const char *etag)
{
	pua_reply_t r;

	memset(&r, 0, sizeof(r));
	r.pres_uri = lp_str_c(sent[i].pres_uri);
	r.serial = sent[i].serial;
	r.req_no = sent[i].req_no;
	r.code = code;
	r.etag = lp_str_c(etag);
	r.expires = code < 300 ? 600 : -1;
	r.min_expires = -1;
	pua_on_reply(&r);
}

static int has_if_match(int i)
{
	return strstr(sent[i].headers, "SIP-If-Match:") != NULL;
}

/* ---- send_publish and UPDATE_TYPE ---- */

#define DLG "<dialog-info xmlns=\"urn:ietf:params:xml:ns:dialog-info\"" \
			" version=\"0\" state=\"full\" entity=\"" ALICE "\"/>"

/* pua_dialoginfo and pua_reginfo send every PUBLISH with UPDATE_TYPE:
 * a publication pua does not hold is stored and published anew. */
START_TEST(test_update_type_inserts)
{
	ck_assert_int_eq(publish_ev(DIALOG_EVENT, DIALOG_PUBLISH, UPDATE_TYPE, DLG,
							 NULL), 0);
	ck_assert_int_eq(nsent, 1);
	ck_assert_int_eq(has_if_match(0), 0);
	ck_assert_str_eq(sent[0].body, DLG);
	answer(0, 200, "E1");
	ck_assert_int_eq(publish_ev(DIALOG_EVENT, DIALOG_PUBLISH, UPDATE_TYPE, DLG,
							 NULL), 0);
	ck_assert_int_eq(nsent, 2);
	ck_assert_int_eq(has_if_match(1), 1); /* now held: a modification */
	/* a refresh (no body) of nothing pua holds cannot be sent */
	ck_assert_int_eq(publish_ev(REGINFO_EVENT, REGINFO_PUBLISH, UPDATE_TYPE,
							 NULL, NULL), ERR_PUBLISH_NO_BODY);
	ck_assert_int_eq(nsent, 2);
}
END_TEST

/* ---- tuple ids of PIDF bodies ---- */

#define PIDF_NOID(note)                                                      \
	"<?xml version=\"1.0\"?><presence xmlns=\"urn:ietf:params:xml:ns:pidf\"" \
	" entity=\"" ALICE "\"><tuple><status><basic>open</basic></status>"     \
	"<note>" note "</note></tuple></presence>"
#define PIDF_ID                                                              \
	"<?xml version=\"1.0\"?><presence xmlns=\"urn:ietf:params:xml:ns:pidf\"" \
	" entity=\"" ALICE "\"><tuple id=\"mine\"><status><basic>open</basic>"  \
	"</status></tuple></presence>"

/* The id attribute of the first tuple of a sent body ("" if none). */
static char *tuple_id_of(const char *body)
{
	static char id[128];
	xmlDocPtr doc = lp_xml_parse(body, strlen(body), NULL);
	xmlNodePtr t;
	xmlChar *v;

	ck_assert_ptr_nonnull(doc);
	t = lp_xml_child(xmlDocGetRootElement(doc), "tuple", PXML_NS_PIDF);
	ck_assert_ptr_nonnull(t);
	v = lp_xml_attr(t, "id");
	snprintf(id, sizeof(id), "%s", v ? (char *)v : "");
	xmlFree(v);
	xmlFreeDoc(doc);
	return id;
}

START_TEST(test_pidf_tuple_id_added_and_kept)
{
	char first[128];

	ck_assert_int_eq(publish_ev(PRESENCE_EVENT, UL_PUBLISH, 0, PIDF_NOID("a"),
							 NULL), 0);
	snprintf(first, sizeof(first), "%s", tuple_id_of(sent[0].body));
	ck_assert_int_gt(strlen(first), 1);
	ck_assert(first[0] >= 'a' && first[0] <= 'z'); /* an XML ID */
	ck_assert_ptr_nonnull(strstr(sent[0].body, "<note>a</note>"));
	answer(0, 200, "E1");
	/* the next body of the publication: the same id */
	publish_ev(PRESENCE_EVENT, UL_PUBLISH, 0, PIDF_NOID("b"), NULL);
	ck_assert_int_eq(nsent, 2);
	ck_assert_str_eq(tuple_id_of(sent[1].body), first);
	ck_assert_ptr_nonnull(strstr(sent[1].body, "<note>b</note>"));
	answer(1, 200, "E2");
	/* a timer refresh carries no body */
	fake_now += 590;
	ck_assert_int_eq(pua_timer_refresh(), 0); /* fully granted: none */
	/* a body whose tuple has an id goes as it is */
	publish_ev(PRESENCE_EVENT, UL_PUBLISH, 0, PIDF_ID, NULL);
	ck_assert_str_eq(sent[2].body, PIDF_ID);
}
END_TEST

/* Another presentity's publication gets another id; a body that is not
 * PIDF goes as it is. */
START_TEST(test_pidf_tuple_id_per_publication)
{
	lp_str_t bob = LP_STR("sip:bob@example.com"), b = LP_STR(PIDF_NOID("x"));
	lp_str_t junk = LP_STR("not xml");
	publ_info_t p;
	char first[128];

	publish_ev(PRESENCE_EVENT, UL_PUBLISH, 0, PIDF_NOID("a"), NULL);
	snprintf(first, sizeof(first), "%s", tuple_id_of(sent[0].body));
	memset(&p, 0, sizeof(p));
	p.pres_uri = &bob;
	p.body = &b;
	p.expires = 60;
	p.event = PRESENCE_EVENT;
	ck_assert_int_eq(pua_send_publish(&p), 0);
	ck_assert_str_ne(tuple_id_of(sent[1].body), first);
	p.id = LP_STR("other");
	p.body = &junk;
	ck_assert_int_eq(pua_send_publish(&p), 0);
	ck_assert_str_eq(sent[2].body, "not xml");
}
END_TEST

/* Several tuples without an id: the first gets the publication's id, the
 * others that id with a suffix (ids are unique in the document). */
START_TEST(test_pidf_tuple_ids_several)
{
	const char *two = "<?xml version=\"1.0\"?><presence xmlns=\"urn:ietf:"
					  "params:xml:ns:pidf\" entity=\"" ALICE "\"><tuple>"
					  "<status><basic>open</basic></status></tuple><tuple "
					  "id=\"\"><status><basic>closed</basic></status></tuple>"
					  "</presence>";
	char first[128], want[160];

	publish_ev(PRESENCE_EVENT, UL_PUBLISH, 0, two, NULL);
	snprintf(first, sizeof(first), "%s", tuple_id_of(sent[0].body));
	snprintf(want, sizeof(want), "id=\"%s-1\"", first);
	ck_assert_ptr_nonnull(strstr(sent[0].body, want));
}
END_TEST

/* Out of memory at every allocation of an initial PIDF PUBLISH and its
 * modification: an error or a complete publication, nothing leaked (the
 * fixture's teardown counts live blocks). */
START_TEST(test_pidf_tuple_id_oom)
{
	int n, rc;

	for(n = 1; n < 30; n++) {
		lp_htable_destroy(pua.table, pua_rec_free_entry);
		pua.table = lp_htable_new(2);
		ck_assert_ptr_nonnull(pua.table);
		sent_reset();
		lp_test_mem_fail_at(n);
		rc = publish_ev(PRESENCE_EVENT, UL_PUBLISH, 0, PIDF_NOID("a"), NULL);
		if(rc == 0 && nsent) {
			answer(nsent - 1, 200, "E1");
			publish_ev(PRESENCE_EVENT, UL_PUBLISH, 0, PIDF_NOID("b"), NULL);
		}
		lp_test_mem_fail_at(0);
		if(nsent)
			ck_assert_ptr_nonnull(sent[0].body);
	}
}
END_TEST

/* A module built for Kamailio re-registering "presence" without body
 * processing or content type does not take pua's away. */
START_TEST(test_foreign_add_event_keeps_own)
{
	const pua_event_t *ev;

	ck_assert_int_eq(pua_add_event_foreign(PRESENCE_EVENT, "presence", NULL,
							 NULL), 0);
	ev = pua_event_get(PRESENCE_EVENT);
	ck_assert_ptr_eq(ev->process_body, pua_pidf_process_body);
	ck_assert_int_eq(ev->foreign, 0);
	ck_assert_str_eq(ev->content_type.s, "application/pidf+xml");
	ck_assert_int_eq(pua_add_event_foreign(XCAPDIFF_EVENT, "xcap-diff",
							 "application/xcap-diff+xml", NULL), 0);
	ck_assert_int_eq(pua_event_get(XCAPDIFF_EVENT)->foreign, 1);
}
END_TEST

/* ---- callbacks ---- */

/* Chosen by the record's source flag as Kamailio does (types & flag), and
 * given the cb_param of the request answered, once per update. */
START_TEST(test_callbacks_by_flag_and_param)
{
	int p1, p2, p3;

	ck_assert_int_eq(pua_register_cb(DIALOG_PUBLISH, cb_dialog, NULL), 0);
	ck_assert_int_eq(pua_register_cb(UL_PUBLISH | RPC_SUBSCRIBE, cb_ul, NULL), 0);
	publish_ev(DIALOG_EVENT, DIALOG_PUBLISH, 0, DLG, &p1);
	/* two updates wait for the reply, each with its own parameter */
	publish_ev(DIALOG_EVENT, DIALOG_PUBLISH, 0, DLG, &p2);
	publish_ev(DIALOG_EVENT, DIALOG_PUBLISH, 0, DLG, &p3);
	ck_assert_int_eq(nsent, 1);
	answer(0, 200, "E1");
	ck_assert_int_eq(ncalls, 1);
	ck_assert_int_eq(calls[0].which, 1);
	ck_assert_int_eq(calls[0].flag, DIALOG_PUBLISH);
	ck_assert_ptr_eq(calls[0].param, &p1);
	ck_assert_int_eq(calls[0].code, 200);
	answer(1, 200, "E2");
	ck_assert_ptr_eq(calls[1].param, &p2);
	/* a 412 is answered by pua itself: the owner hears the final 200 */
	answer(2, 412, NULL);
	ck_assert_int_eq(ncalls, 2);
	ck_assert_int_eq(nsent, 4);
	answer(3, 200, "E4");
	ck_assert_int_eq(ncalls, 3);
	ck_assert_ptr_eq(calls[2].param, &p3);
	ck_assert_int_eq(calls[2].code, 200);
	/* other flags, other callback */
	publish_ev(PRESENCE_EVENT, UL_PUBLISH, 0, PIDF_ID, NULL);
	answer(4, 500, NULL);
	ck_assert_int_eq(ncalls, 4);
	ck_assert_int_eq(calls[3].which, 2);
	ck_assert_int_eq(calls[3].code, 500);
	/* a flag nobody registered: nothing */
	publish_ev(REGINFO_EVENT, REGINFO_PUBLISH, 0, "<reginfo/>", NULL);
	answer(5, 200, "E6");
	ck_assert_int_eq(ncalls, 4);
}
END_TEST

/* A publication that ends by an error with updates still queued: their
 * owners hear that reply too, each with its own cb_param (a pua_rpc
 * caller waiting for its answer is not left hanging). */
START_TEST(test_callbacks_for_queued_on_error)
{
	int p1, p2, p3;

	ck_assert_int_eq(pua_register_cb(DIALOG_PUBLISH, cb_dialog, NULL), 0);
	publish_ev(DIALOG_EVENT, DIALOG_PUBLISH, 0, DLG, &p1);
	publish_ev(DIALOG_EVENT, DIALOG_PUBLISH, 0, DLG, &p2);
	publish_ev(DIALOG_EVENT, DIALOG_PUBLISH, 0, DLG, NULL);
	publish_ev(DIALOG_EVENT, DIALOG_PUBLISH, 0, DLG, &p3);
	answer(0, 403, NULL);
	ck_assert_int_eq(nsent, 1);
	ck_assert_int_eq(ncalls, 3);
	ck_assert_ptr_eq(calls[0].param, &p1);
	ck_assert_ptr_eq(calls[1].param, &p2);
	ck_assert_ptr_eq(calls[2].param, &p3);
	ck_assert_int_eq(calls[2].code, 403);
}
END_TEST

/* ---- is_dialog, get_record_id, get_subs_list ---- */

static int subscribe_id(const char *pres, const char *id)
{
	lp_str_t p = lp_str_c(pres), w = LP_STR("sip:rls@example.com");
	lp_str_t c = LP_STR("sip:rls@10.0.0.1"), i = lp_str_c(id);
	subs_info_t s;

	memset(&s, 0, sizeof(s));
	s.pres_uri = &p;
	s.watcher_uri = &w;
	s.contact = &c;
	s.id = i;
	s.event = PRESENCE_EVENT;
	s.expires = 300;
	s.source_flag = RLS_SUBSCRIBE;
	return pua_send_subscribe(&s);
}

/* The caller's struct is exactly Kamailio's ua_pres_t: in its own heap
 * block, so ASan reports any read past it. */
static ua_pres_t *kam_dialog(int i, lp_str_t *pres)
{
	ua_pres_t *p = calloc(1, sizeof(ua_pres_t));

	ck_assert_ptr_nonnull(p);
	*pres = lp_str_c(sent[i].pres_uri);
	p->pres_uri = pres;
	p->call_id = lp_str_c(sent[i].call_id);
	p->from_tag = lp_str_c(sent[i].from_tag);
	p->event = PRESENCE_EVENT;
	p->flag = RLS_SUBSCRIBE;
	return p;
}

START_TEST(test_record_id_and_is_dialog)
{
	lp_str_t pres, *id = NULL;
	ua_pres_t *p;

	ck_assert_int_eq(subscribe_id("sip:carol@example.com", "rls-did-1"), 0);
	p = kam_dialog(0, &pres);
	ck_assert_int_eq(pua_is_dialog(p), 0);
	ck_assert_int_eq(pua_get_record_id(p, &id), 0);
	ck_assert_ptr_nonnull(id);
	ck_assert_int_eq(id->len, 9);
	ck_assert_str_eq(id->s, "rls-did-1");
	free(id->s);
	free(id);
	p->call_id = LP_STR("unknown");
	ck_assert_int_eq(pua_is_dialog(p), -1);
	ck_assert_int_eq(pua_get_record_id(p, &id), 0);
	ck_assert_ptr_null(id);
	ck_assert_int_eq(pua_get_record_id(NULL, &id), -1);
	free(p);
}
END_TEST

START_TEST(test_subs_list)
{
	list_entry_t *l, *n;
	lp_str_t did = LP_STR("did-A"), none = LP_STR("nothing");

	subscribe_id("sip:zed@example.com", "did-A");
	subscribe_id("sip:amy@example.com", "did-A");
	subscribe_id("sip:bea@example.com", "did-B");
	subscribe_id("sip:max@example.com", "did-A");
	l = pua_get_subs_list(&did);
	ck_assert_ptr_nonnull(l);
	ck_assert_str_eq(l->strng->s, "sip:amy@example.com");
	ck_assert_str_eq(l->next->strng->s, "sip:max@example.com");
	ck_assert_str_eq(l->next->next->strng->s, "sip:zed@example.com");
	ck_assert_ptr_null(l->next->next->next);
	for(; l; l = n) { /* as rls's list_free does, with its allocator */
		n = l->next;
		free(l->strng->s);
		free(l->strng);
		free(l);
	}
	ck_assert_ptr_null(pua_get_subs_list(&none));
	ck_assert_ptr_null(pua_get_subs_list(NULL));
}
END_TEST

/* ---- bind_libxml_api ---- */

#define RL                                                                  \
	"<?xml version=\"1.0\"?><rl:resource-lists xmlns:rl=\"urn:ietf:params:" \
	"xml:ns:resource-lists\" xmlns=\"urn:other\"><rl:list name=\"friends\">"  \
	"<rl:entry uri=\"sip:a@example.com\"><rl:display-name>A <![CDATA[&]]>"   \
	"</rl:display-name></rl:entry></rl:list><list name=\"x\"/>"              \
	"</rl:resource-lists>"

START_TEST(test_libxml_api)
{
	libxml_api_t api;
	xmlDocPtr doc = xmlReadMemory(RL, strlen(RL), NULL, NULL, XML_PARSE_NONET);
	xmlNodePtr list, other;
	char *s;

	ck_assert_int_eq(pua_libxml_bind(NULL), -1);
	ck_assert_int_eq(pua_libxml_bind(&api), 0);
	ck_assert_ptr_nonnull(doc);
	list = api.xmlDocGetNodeByName(doc, "list", "rl");
	ck_assert_ptr_nonnull(list);
	s = api.xmlNodeGetAttrContentByName(list, "name");
	ck_assert_str_eq(s, "friends");
	xmlFree(s);
	/* by namespace URI; without ns the first in document order */
	ck_assert_ptr_eq(api.xmlDocGetNodeByName(doc, "list",
							 "urn:ietf:params:xml:ns:resource-lists"), list);
	other = api.xmlDocGetNodeByName(doc, "list", "urn:other");
	ck_assert_ptr_nonnull(other);
	ck_assert_ptr_ne(other, list);
	ck_assert_ptr_eq(api.xmlDocGetNodeByName(doc, "LIST", NULL), list);
	ck_assert_ptr_null(api.xmlDocGetNodeByName(doc, "list", "nope"));
	ck_assert_ptr_null(api.xmlDocGetNodeByName(NULL, "list", NULL));
	/* below a node (the node itself included) */
	ck_assert_ptr_nonnull(api.xmlNodeGetNodeByName(list, "entry", NULL));
	ck_assert_ptr_null(api.xmlNodeGetNodeByName(other, "entry", NULL));
	ck_assert_ptr_eq(api.xmlNodeGetNodeByName(list, "list", NULL), list);
	s = api.xmlNodeGetNodeContentByName(xmlDocGetRootElement(doc),
			"display-name", "rl");
	ck_assert_str_eq(s, "A &");
	xmlFree(s);
	ck_assert_ptr_null(api.xmlNodeGetNodeContentByName(list, "nope", NULL));
	ck_assert_ptr_null(api.xmlNodeGetAttrContentByName(list, "nope"));
	xmlFreeDoc(doc);
}
END_TEST

/* An entity reference left in a tree (the caller parsed without
 * substitution) is not expanded by the helpers. */
#define ENT                                                                 \
	"<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY e \"EXPANDED\">]>"        \
	"<r a=\"x&e;y\"><n>1&e;2</n></r>"

START_TEST(test_libxml_no_entities)
{
	libxml_api_t api;
	xmlDocPtr doc = xmlReadMemory(ENT, strlen(ENT), NULL, NULL, XML_PARSE_NONET);
	char *s;

	pua_libxml_bind(&api);
	ck_assert_ptr_nonnull(doc);
	s = api.xmlNodeGetNodeContentByName(xmlDocGetRootElement(doc), "n", NULL);
	ck_assert_str_eq(s, "12");
	xmlFree(s);
	s = api.xmlNodeGetAttrContentByName(xmlDocGetRootElement(doc), "a");
	ck_assert_ptr_null(strstr(s, "EXPANDED"));
	xmlFree(s);
	xmlFreeDoc(doc);
}
END_TEST

Suite *pua_api_suite(void)
{
	Suite *s = suite_create("pua_api");
	TCase *tc = tcase_create("api");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_update_type_inserts);
	tcase_add_test(tc, test_pidf_tuple_id_added_and_kept);
	tcase_add_test(tc, test_pidf_tuple_id_per_publication);
	tcase_add_test(tc, test_pidf_tuple_ids_several);
	tcase_add_test(tc, test_pidf_tuple_id_oom);
	tcase_add_test(tc, test_foreign_add_event_keeps_own);
	tcase_add_test(tc, test_callbacks_by_flag_and_param);
	tcase_add_test(tc, test_callbacks_for_queued_on_error);
	tcase_add_test(tc, test_record_id_and_is_dialog);
	tcase_add_test(tc, test_subs_list);
	tcase_add_test(tc, test_libxml_api);
	tcase_add_test(tc, test_libxml_no_entities);
	suite_add_tcase(s, tc);
	return s;
}
