/* The presence API's binary layout, pinned: Debian's event modules
 * (presence_dialoginfo, presence_mwi, presence_reginfo, presence_profile,
 * rls) are compiled against Kamailio 5.6.3's presence headers, so our
 * presence_api.h must give every shared type the same size, every field the
 * same offset and size, and every constant the same value. The numbers are
 * what test/abi/probe_presence.c printed against the Kamailio tree
 * (x86_64, `make -C test/abi check` compares the two probes directly). */
#include <check.h>
#include <stddef.h>

#include "lp_test.h"

#include "presence_api.h"

#define OFF LP_T_OFF
#define UNSIGNED LP_T_UNSIGNED
#define SIGNED LP_T_SIGNED

START_TEST(test_abi_pres_ev)
{
	ck_assert_uint_eq(sizeof(pres_ev_t), 152);
	ck_assert_uint_eq(_Alignof(pres_ev_t), 8);
	OFF(pres_ev_t, name, 0, 16);
	OFF(pres_ev_t, evp, 16, 8);
	OFF(pres_ev_t, content_type, 24, 16);
	OFF(pres_ev_t, default_expires, 40, 4);
	OFF(pres_ev_t, type, 44, 4);
	OFF(pres_ev_t, etag_not_new, 48, 4);
	OFF(pres_ev_t, req_auth, 52, 4);
	OFF(pres_ev_t, get_rules_doc, 56, 8);
	OFF(pres_ev_t, get_pidf_doc, 64, 8);
	OFF(pres_ev_t, apply_auth_nbody, 72, 8);
	OFF(pres_ev_t, get_auth_status, 80, 8);
	OFF(pres_ev_t, agg_nbody, 88, 8);
	OFF(pres_ev_t, evs_publ_handl, 96, 8);
	OFF(pres_ev_t, evs_subs_handl, 104, 8);
	OFF(pres_ev_t, free_body, 112, 8);
	OFF(pres_ev_t, aux_body_processing, 120, 8);
	OFF(pres_ev_t, aux_free_body, 128, 8);
	OFF(pres_ev_t, wipeer, 136, 8);
	OFF(pres_ev_t, next, 144, 8);
	UNSIGNED(pres_ev_t, default_expires);
	SIGNED(pres_ev_t, type);
}
END_TEST

START_TEST(test_abi_subs)
{
	ck_assert_uint_eq(sizeof(subs_t), 352);
	ck_assert_uint_eq(_Alignof(subs_t), 8);
	OFF(subs_t, pres_uri, 0, 16);
	OFF(subs_t, to_user, 16, 16);
	OFF(subs_t, to_domain, 32, 16);
	OFF(subs_t, from_user, 48, 16);
	OFF(subs_t, from_domain, 64, 16);
	OFF(subs_t, watcher_user, 80, 16);
	OFF(subs_t, watcher_domain, 96, 16);
	OFF(subs_t, event, 112, 8);
	OFF(subs_t, event_id, 120, 16);
	OFF(subs_t, to_tag, 136, 16);
	OFF(subs_t, from_tag, 152, 16);
	OFF(subs_t, callid, 168, 16);
	OFF(subs_t, sockinfo_str, 184, 16);
	OFF(subs_t, remote_cseq, 200, 4);
	OFF(subs_t, local_cseq, 204, 4);
	OFF(subs_t, contact, 208, 16);
	OFF(subs_t, local_contact, 224, 16);
	OFF(subs_t, record_route, 240, 16);
	OFF(subs_t, expires, 256, 4);
	OFF(subs_t, status, 260, 4);
	OFF(subs_t, reason, 264, 16);
	OFF(subs_t, version, 280, 4);
	OFF(subs_t, send_on_cback, 284, 4);
	OFF(subs_t, db_flag, 288, 4);
	OFF(subs_t, auth_rules_doc, 296, 8);
	OFF(subs_t, recv_event, 304, 4);
	OFF(subs_t, internal_update_flag, 308, 4);
	OFF(subs_t, updated, 312, 4);
	OFF(subs_t, updated_winfo, 316, 4);
	OFF(subs_t, flags, 320, 4);
	OFF(subs_t, user_agent, 328, 16);
	OFF(subs_t, next, 344, 8);
	UNSIGNED(subs_t, status);
	UNSIGNED(subs_t, flags);
	UNSIGNED(subs_t, expires);
	SIGNED(subs_t, db_flag);
	SIGNED(subs_t, version);
}
END_TEST

START_TEST(test_abi_api)
{
	ck_assert_uint_eq(sizeof(presence_api_t), 184);
	OFF(presence_api_t, add_event, 0, 8);
	OFF(presence_api_t, contains_event, 8, 8);
	OFF(presence_api_t, search_event, 16, 8);
	OFF(presence_api_t, get_event_list, 24, 8);
	OFF(presence_api_t, update_watchers_status, 32, 8);
	OFF(presence_api_t, new_shtable, 40, 8);
	OFF(presence_api_t, destroy_shtable, 48, 8);
	OFF(presence_api_t, insert_shtable, 56, 8);
	OFF(presence_api_t, search_shtable, 64, 8);
	OFF(presence_api_t, delete_shtable, 72, 8);
	OFF(presence_api_t, update_shtable, 80, 8);
	OFF(presence_api_t, mem_copy_subs, 88, 8);
	OFF(presence_api_t, update_db_subs_timer, 96, 8);
	OFF(presence_api_t, extract_sdialog_info, 104, 8);
	OFF(presence_api_t, get_sphere, 112, 8);
	OFF(presence_api_t, get_presentity, 120, 8);
	OFF(presence_api_t, free_presentity, 128, 8);
	OFF(presence_api_t, pres_auth_status, 136, 8);
	OFF(presence_api_t, handle_publish, 144, 8);
	OFF(presence_api_t, handle_subscribe0, 152, 8);
	OFF(presence_api_t, handle_subscribe, 160, 8);
	OFF(presence_api_t, update_presentity, 168, 8);
	OFF(presence_api_t, pres_refresh_watchers, 176, 8);
}
END_TEST

START_TEST(test_abi_shtable)
{
	ck_assert_uint_eq(sizeof(subs_entry_t), 16);
	ck_assert_uint_eq(_Alignof(subs_entry_t), 8);
	ck_assert_uint_eq(_Alignof(((subs_entry_t *)0)->lock), 4);
	OFF(subs_entry_t, entries, 0, 8);
	OFF(subs_entry_t, lock, 8, 4);
	ck_assert_uint_eq(sizeof(shtable_t), 8);
}
END_TEST

START_TEST(test_abi_constants)
{
	ck_assert_int_eq(WINFO_TYPE, 1);
	ck_assert_int_eq(PUBL_TYPE, 2);
	ck_assert_int_eq(ACTIVE_STATUS, 1);
	ck_assert_int_eq(PENDING_STATUS, 2);
	ck_assert_int_eq(TERMINATED_STATUS, 3);
	ck_assert_int_eq(WAITING_STATUS, 4);
	ck_assert_int_eq(POLITE_BLOCK_STATUS, 5);
	ck_assert_int_eq(PRES_SUBSCRIBE_RECV, 1);
	ck_assert_int_eq(INTERNAL_UPDATE_FALSE, 0);
	ck_assert_int_eq(INTERNAL_UPDATE_TRUE, 1);
	ck_assert_int_eq(PKG_MEM_TYPE, 2);
	ck_assert_int_eq(SHM_MEM_TYPE, 4);
	ck_assert_int_eq(REMOTE_TYPE, 2);
	ck_assert_int_eq(LOCAL_TYPE, 4);
	/* unparenthesised in Kamailio; ours must survive an expression */
	ck_assert_int_eq(~WINFO_TYPE & 3, PUBL_TYPE);
}
END_TEST

Suite *abi_presence_suite(void)
{
	Suite *s = suite_create("abi_presence");
	TCase *tc = tcase_create("layout");

	tcase_add_test(tc, test_abi_pres_ev);
	tcase_add_test(tc, test_abi_subs);
	tcase_add_test(tc, test_abi_api);
	tcase_add_test(tc, test_abi_shtable);
	tcase_add_test(tc, test_abi_constants);
	suite_add_tcase(s, tc);
	return s;
}
