/* The pua API's binary layout, pinned: Debian's pua_dialoginfo,
 * pua_usrloc, pua_reginfo, pua_bla, pua_xmpp, pua_rpc and rls are compiled
 * against Kamailio 5.6.3's pua headers (and rls/list.h), so pua_api.h and
 * pua_libxml_api.h must give every type bind_pua and bind_libxml_api hand
 * out or receive the same size, every field the same offset, size and
 * signedness, and every flag the same value. The numbers are what
 * test/abi/probe_pua.c printed against the Kamailio tree (x86_64;
 * `make -C test/abi check-pua` compares the two probes directly). */
#include <check.h>
#include <stddef.h>

#include "lp_test.h"

#include "pua_api.h"
#include "pua_libxml_api.h"

#define OFF LP_T_OFF
#define UNSIGNED LP_T_UNSIGNED
#define SIGNED LP_T_SIGNED

START_TEST(test_abi_pua_str)
{
	ck_assert_uint_eq(sizeof(lp_str_t), 16);
	ck_assert_uint_eq(_Alignof(lp_str_t), 8);
	OFF(lp_str_t, s, 0, 8);
	OFF(lp_str_t, len, 8, 4);
	SIGNED(lp_str_t, len);
}
END_TEST

START_TEST(test_abi_pua_publ_info)
{
	ck_assert_uint_eq(sizeof(publ_info_t), 96);
	ck_assert_uint_eq(_Alignof(publ_info_t), 8);
	OFF(publ_info_t, id, 0, 16);
	OFF(publ_info_t, pres_uri, 16, 8);
	OFF(publ_info_t, body, 24, 8);
	OFF(publ_info_t, expires, 32, 4);
	OFF(publ_info_t, flag, 36, 4);
	OFF(publ_info_t, source_flag, 40, 4);
	OFF(publ_info_t, event, 44, 4);
	OFF(publ_info_t, content_type, 48, 16);
	OFF(publ_info_t, etag, 64, 8);
	OFF(publ_info_t, outbound_proxy, 72, 8);
	OFF(publ_info_t, extra_headers, 80, 8);
	OFF(publ_info_t, cb_param, 88, 8);
	SIGNED(publ_info_t, expires);
	SIGNED(publ_info_t, flag);
	SIGNED(publ_info_t, source_flag);
	SIGNED(publ_info_t, event);
}
END_TEST

START_TEST(test_abi_pua_subs_info)
{
	ck_assert_uint_eq(sizeof(subs_info_t), 104);
	ck_assert_uint_eq(_Alignof(subs_info_t), 8);
	OFF(subs_info_t, id, 0, 16);
	OFF(subs_info_t, pres_uri, 16, 8);
	OFF(subs_info_t, watcher_uri, 24, 8);
	OFF(subs_info_t, contact, 32, 8);
	OFF(subs_info_t, remote_target, 40, 8);
	OFF(subs_info_t, outbound_proxy, 48, 8);
	OFF(subs_info_t, event, 56, 4);
	OFF(subs_info_t, extra_headers, 64, 8);
	OFF(subs_info_t, expires, 72, 4);
	OFF(subs_info_t, source_flag, 76, 4);
	OFF(subs_info_t, flag, 80, 4);
	OFF(subs_info_t, cb_param, 88, 8);
	OFF(subs_info_t, internal_update_flag, 96, 4);
	SIGNED(subs_info_t, event);
	SIGNED(subs_info_t, expires);
	SIGNED(subs_info_t, source_flag);
	SIGNED(subs_info_t, flag);
	SIGNED(subs_info_t, internal_update_flag);
}
END_TEST

START_TEST(test_abi_pua_ua_pres)
{
	ck_assert_uint_eq(sizeof(ua_pres_t), 256);
	ck_assert_uint_eq(_Alignof(ua_pres_t), 8);
	OFF(ua_pres_t, id, 0, 16);
	OFF(ua_pres_t, pres_uri, 16, 8);
	OFF(ua_pres_t, event, 24, 4);
	OFF(ua_pres_t, expires, 28, 4);
	OFF(ua_pres_t, desired_expires, 32, 4);
	OFF(ua_pres_t, flag, 36, 4);
	OFF(ua_pres_t, db_flag, 40, 4);
	OFF(ua_pres_t, cb_param, 48, 8);
	OFF(ua_pres_t, next, 56, 8);
	OFF(ua_pres_t, ua_flag, 64, 4);
	OFF(ua_pres_t, outbound_proxy, 72, 8);
	OFF(ua_pres_t, etag, 80, 16);
	OFF(ua_pres_t, tuple_id, 96, 16);
	OFF(ua_pres_t, body, 112, 8);
	OFF(ua_pres_t, content_type, 120, 16);
	OFF(ua_pres_t, watcher_uri, 136, 8);
	OFF(ua_pres_t, call_id, 144, 16);
	OFF(ua_pres_t, to_tag, 160, 16);
	OFF(ua_pres_t, from_tag, 176, 16);
	OFF(ua_pres_t, cseq, 192, 4);
	OFF(ua_pres_t, version, 196, 4);
	OFF(ua_pres_t, extra_headers, 200, 8);
	OFF(ua_pres_t, record_route, 208, 16);
	OFF(ua_pres_t, remote_contact, 224, 16);
	OFF(ua_pres_t, contact, 240, 16);
	SIGNED(ua_pres_t, event);
	UNSIGNED(ua_pres_t, expires);
	UNSIGNED(ua_pres_t, desired_expires);
	SIGNED(ua_pres_t, flag);
	SIGNED(ua_pres_t, db_flag);
	SIGNED(ua_pres_t, ua_flag);
	SIGNED(ua_pres_t, cseq);
	SIGNED(ua_pres_t, version);
}
END_TEST

START_TEST(test_abi_pua_pua_api)
{
	ck_assert_uint_eq(sizeof(pua_api_t), 56);
	ck_assert_uint_eq(_Alignof(pua_api_t), 8);
	OFF(pua_api_t, send_subscribe, 0, 8);
	OFF(pua_api_t, send_publish, 8, 8);
	OFF(pua_api_t, register_puacb, 16, 8);
	OFF(pua_api_t, is_dialog, 24, 8);
	OFF(pua_api_t, get_record_id, 32, 8);
	OFF(pua_api_t, add_event, 40, 8);
	OFF(pua_api_t, get_subs_list, 48, 8);
}
END_TEST

START_TEST(test_abi_pua_libxml_api)
{
	ck_assert_uint_eq(sizeof(libxml_api_t), 32);
	ck_assert_uint_eq(_Alignof(libxml_api_t), 8);
	OFF(libxml_api_t, xmlDocGetNodeByName, 0, 8);
	OFF(libxml_api_t, xmlNodeGetNodeByName, 8, 8);
	OFF(libxml_api_t, xmlNodeGetNodeContentByName, 16, 8);
	OFF(libxml_api_t, xmlNodeGetAttrContentByName, 24, 8);
}
END_TEST

START_TEST(test_abi_pua_list_entry)
{
	ck_assert_uint_eq(sizeof(list_entry_t), 16);
	ck_assert_uint_eq(_Alignof(list_entry_t), 8);
	OFF(list_entry_t, strng, 0, 8);
	OFF(list_entry_t, next, 8, 8);
}
END_TEST

START_TEST(test_abi_pua_consts)
{
	ck_assert_int_eq(PRESENCE_EVENT, 1);
	ck_assert_int_eq(PWINFO_EVENT, 2);
	ck_assert_int_eq(BLA_EVENT, 4);
	ck_assert_int_eq(MSGSUM_EVENT, 8);
	ck_assert_int_eq(CONFERENCE_EVENT, 16);
	ck_assert_int_eq(DIALOG_EVENT, 32);
	ck_assert_int_eq(REGINFO_EVENT, 64);
	ck_assert_int_eq(XCAPDIFF_EVENT, 128);
	ck_assert_int_eq(UL_PUBLISH, 1);
	ck_assert_int_eq(BLA_PUBLISH, 2);
	ck_assert_int_eq(BLA_SUBSCRIBE, 4);
	ck_assert_int_eq(XMPP_PUBLISH, 8);
	ck_assert_int_eq(XMPP_SUBSCRIBE, 16);
	ck_assert_int_eq(XMPP_INITIAL_SUBS, 32);
	ck_assert_int_eq(RPC_PUBLISH, 64);
	ck_assert_int_eq(RPC_ASYN_PUBLISH, 128);
	ck_assert_int_eq(RPC_SUBSCRIBE, 256);
	ck_assert_int_eq(RLS_SUBSCRIBE, 512);
	ck_assert_int_eq(DIALOG_PUBLISH, 1024);
	ck_assert_int_eq(PURPLE_PUBLISH, 2048);
	ck_assert_int_eq(REGINFO_PUBLISH, 4096);
	ck_assert_int_eq(REGINFO_SUBSCRIBE, 8192);
	ck_assert_int_eq(XCAPDIFF_PUBLISH, 16384);
	ck_assert_int_eq(XCAPDIFF_SUBSCRIBE, 32768);
	ck_assert_int_eq(NO_UPDATEDB_FLAG, 1);
	ck_assert_int_eq(UPDATEDB_FLAG, 2);
	ck_assert_int_eq(INSERTDB_FLAG, 4);
	ck_assert_int_eq(WTHROUGHDB_FLAG, 8);
	ck_assert_int_eq(INSERT_TYPE, 2);
	ck_assert_int_eq(UPDATE_TYPE, 4);
	ck_assert_int_eq(REQ_OTHER, 0);
	ck_assert_int_eq(REQ_ME, 1);
	ck_assert_int_eq(ERR_PUBLISH_NO_BODY, -10);
	ck_assert_int_eq(PUACB_MAX, 512);
	ck_assert_int_eq(MAX_FORWARD, 70);
}
END_TEST

Suite *abi_pua_suite(void)
{
	Suite *s = suite_create("abi_pua");
	TCase *tc = tcase_create("layout");

	tcase_add_test(tc, test_abi_pua_str);
	tcase_add_test(tc, test_abi_pua_publ_info);
	tcase_add_test(tc, test_abi_pua_subs_info);
	tcase_add_test(tc, test_abi_pua_ua_pres);
	tcase_add_test(tc, test_abi_pua_pua_api);
	tcase_add_test(tc, test_abi_pua_libxml_api);
	tcase_add_test(tc, test_abi_pua_list_entry);
	tcase_add_test(tc, test_abi_pua_consts);
	suite_add_tcase(s, tc);
	return s;
}
