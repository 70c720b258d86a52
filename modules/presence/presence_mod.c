/* presence module: Kamailio exports (parameters, script functions, RPC,
 * KEMI), start-up and the periodic jobs; bind_presence is pres_api_kam.c. The work itself is in the
 * host-neutral pres_*.c files; pres_kam.c adapts SIP messages to them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/dprint.h"
#include "core/mod_fix.h"
#include "core/parser/parse_event.h"
#include "core/rpc.h"
#include "core/rpc_lookup.h"
#include "core/sr_module.h"
#include "core/kemi.h"
#include "core/timer.h"
#include "core/timer_proc.h"
#include "core/ut.h"

#include "lp_hugepage.h"
#include "lp_kam.h"
#include "pres_dmq_kam.h"
#include "pres_kam.h"
#include "pres_nlog_kam.h"
#include "pres_limits.h"
#include "pres_stats_kam.h"
#include "pres_rpc_kam.h"
#include "pres_script_kam.h"
#include "pres_pub.h"
#include "pres_dbq.h"
#include "pres_pubsync.h"
#include "pres_shtable.h"
#include "pres_sql.h"
#include "pres_subs.h"
#include "pres_writer_kam.h"
#include "pres_api_kam.h"
#include "pres_fanout_kam.h"
#include "pres_subs_pend.h"

MODULE_VERSION

static int mod_init(void);
static int child_init(int rank);
static void mod_destroy(void);
static int w_handle_publish(struct sip_msg *msg, char *sender, char *p2);
static int w_handle_subscribe(struct sip_msg *msg, char *p1, char *p2);
static int w_handle_subscribe1(struct sip_msg *msg, char *wuri, char *p2);
static int w_pres_auth_status(struct sip_msg *msg, char *wuri, char *puri);
static int w_pres_refresh_watchers(struct sip_msg *msg, char *uri, char *ev, char *type);
static int w_pres_refresh_watchers5(struct sip_msg *msg, char *uri, char *ev,
		char *type, char *furi, char *fname);
static int fixup_refresh5(void **param, int param_no);
static int w_pres_update_watchers(struct sip_msg *msg, char *uri, char *ev);
static int w_pres_has_subscribers(struct sip_msg *msg, char *uri, char *ev);
static int w_pres_check_overload(struct sip_msg *msg, char *p1, char *p2);

static str db_url_p = STR_NULL;
static str server_address_p = STR_NULL;
static char *local_log_facility_p = NULL; /* "LOG_LOCAL3" */
/* Kamailio 6.1's DMQ switches (check_dmq_params) */
static struct {
	int enable_pres_dmq, enable_pres_sync_dmq;
	int enable_subs_dmq, enable_subs_sync_dmq, skip_notify_dmq;
} dmq_subs_params = {-1, 1, 0, 1, 0};
static str default_socket_p = STR_NULL;
static int local_log_facility_i = -1;	  /* or its number */

static cmd_export_t cmds[] = {
	{"handle_publish", (cmd_function)w_handle_publish, 0, 0, 0, REQUEST_ROUTE},
	{"handle_publish", (cmd_function)w_handle_publish, 1, fixup_spve_null,
			fixup_free_spve_null, REQUEST_ROUTE},
	{"handle_subscribe", (cmd_function)w_handle_subscribe, 0, 0, 0, REQUEST_ROUTE},
	{"handle_subscribe", (cmd_function)w_handle_subscribe1, 1, fixup_spve_null,
			fixup_free_spve_null, REQUEST_ROUTE},
	{"pres_auth_status", (cmd_function)w_pres_auth_status, 2, fixup_spve_spve,
			fixup_free_spve_spve, REQUEST_ROUTE},
	{"pres_refresh_watchers", (cmd_function)w_pres_refresh_watchers, 3,
			fixup_spve_spve_igp, fixup_free_spve_spve_igp, ANY_ROUTE},
	{"pres_refresh_watchers", (cmd_function)w_pres_refresh_watchers5, 5,
			fixup_refresh5, 0, ANY_ROUTE},
	{"pres_update_watchers", (cmd_function)w_pres_update_watchers, 2,
			fixup_spve_spve, fixup_free_spve_spve, ANY_ROUTE},
	{"pres_has_subscribers", (cmd_function)w_pres_has_subscribers, 2,
			fixup_spve_spve, fixup_free_spve_spve, ANY_ROUTE},
	{"pres_check_overload", (cmd_function)w_pres_check_overload, 0, 0, 0,
			REQUEST_ROUTE},
	{"bind_presence", (cmd_function)pres_api_bind, 1, 0, 0, 0},
	/* ours only: PRES_FANOUT_LISTEN of presence_ext.h (doc/presence.md) */
	{"pres_fanout_listen", (cmd_function)pres_fanout_listen, 1, 0, 0, 0},
	{0, 0, 0, 0, 0, 0}
};

static param_export_t params[] = {
	{"db_url", PARAM_STR, &db_url_p},
	{"presentity_table", PARAM_STRING, &pres.cfg.presentity_table},
	{"active_watchers_table", PARAM_STRING, &pres.cfg.active_watchers_table},
	{"watchers_table", PARAM_STRING, &pres.cfg.watchers_table},
	{"clean_period", PARAM_INT, &pres.cfg.clean_period},
	{"db_update_period", PARAM_INT, &pres.cfg.db_update_period},
	{"to_tag_pref", PARAM_STRING, &pres.cfg.to_tag_pref},
	{"expires_offset", PARAM_INT, &pres.cfg.expires_offset},
	{"max_expires", PARAM_INT, &pres.cfg.max_expires},
	{"min_expires", PARAM_INT, &pres.cfg.min_expires},
	{"server_address", PARAM_STR, &server_address_p},
	{"fallback2db", PARAM_INT, &pres.cfg.fallback2db},
	{"subs_htable_size", PARAM_INT, &pres.cfg.subs_htable_size},
	{"pres_htable_size", PARAM_INT, &pres.cfg.pres_htable_size},
	{"enable_sphere_check", PARAM_INT, &pres.cfg.enable_sphere_check},
	{"timeout_rm_subs", PARAM_INT, &pres.cfg.timeout_rm_subs},
	{"subs_db_mode", PARAM_INT, &pres.cfg.subs_db_mode},
	{"publ_cache", PARAM_INT, &pres.cfg.publ_cache},
	{"force_active", PARAM_INT, &pres.cfg.force_active},
	{"lock_set_size", PARAM_INT, &pres.cfg.lock_set_size},
	{"totag_avpid", PARAM_INT, &pres.cfg.totag_avpid},
	{"cseq_offset", PARAM_INT, &pres.cfg.cseq_offset},
	{"waitn_time", PARAM_INT, &pres.cfg.waitn_time},
	{"notifier_poll_rate", PARAM_INT, &pres.cfg.notifier_poll_rate},
	{"notifier_processes", PARAM_INT, &pres.cfg.notifier_processes},
	{"force_delete", PARAM_INT, &pres.cfg.force_delete},
	{"startup_mode", PARAM_INT, &pres.cfg.startup_mode},
	{"min_expires_action", PARAM_INT, &pres.cfg.min_expires_action},
	{"send_fast_notify", PARAM_INT, &pres.cfg.send_fast_notify},
	{"fetch_rows", PARAM_INT, &pres.cfg.fetch_rows},
	{"db_table_lock_type", PARAM_INT, &pres.cfg.db_table_lock_type},
	{"local_log_level", PARAM_INT, &pres.cfg.local_log_level},
	/* a facility name ("LOG_LOCAL3", as Kamailio's example) or number */
	{"local_log_facility", PARAM_STRING, &local_log_facility_p},
	{"local_log_facility", PARAM_INT, &local_log_facility_i},
	{"subs_remove_match", PARAM_INT, &pres.cfg.subs_remove_match},
	{"xavp_cfg", PARAM_STR, &pres_xavp_cfg},
	{"retrieve_order", PARAM_INT, &pres.cfg.retrieve_order},
	{"retrieve_order_by", PARAM_STRING, &pres.cfg.retrieve_order_by},
	{"sip_uri_match", PARAM_INT, &pres.cfg.sip_uri_match},
	{"enable_dmq", PARAM_INT, &pres.cfg.enable_dmq},
	/* Kamailio 6.1's finer switches (check_dmq_params says what is
	 * supported) */
	{"enable_pres_dmq", PARAM_INT, &dmq_subs_params.enable_pres_dmq},
	{"enable_pres_sync_dmq", PARAM_INT,
			&dmq_subs_params.enable_pres_sync_dmq},
	{"enable_subs_dmq", PARAM_INT, &dmq_subs_params.enable_subs_dmq},
	{"enable_subs_sync_dmq", PARAM_INT,
			&dmq_subs_params.enable_subs_sync_dmq},
	{"skip_notify_dmq", PARAM_INT, &dmq_subs_params.skip_notify_dmq},
	{"default_socket", PARAM_STR, &default_socket_p},
	{"pres_subs_mode", PARAM_INT, &pres.cfg.pres_subs_mode},
	{"delete_same_subs", PARAM_INT, &pres.cfg.delete_same_subs},
	{"timer_mode", PARAM_INT, &pres.cfg.timer_mode},
	{"subs_respond_200", PARAM_INT, &pres.cfg.subs_respond_200},
	/* limits on unauthenticated state (doc/presence.md, "Limits") */
	{"max_contact_len", PARAM_INT, &pres.cfg.max_contact_len},
	{"max_user_agent_len", PARAM_INT, &pres.cfg.max_user_agent_len},
	{"max_record_route_len", PARAM_INT, &pres.cfg.max_record_route_len},
	{"max_publications_per_presentity", PARAM_INT,
			&pres.cfg.max_publications_per_presentity},
	{"max_subscriptions_per_watcher", PARAM_INT,
			&pres.cfg.max_subscriptions_per_watcher},
	{"shm_min_free_percent", PARAM_INT, &pres.cfg.shm_min_free_percent},
	{"shm_retry_after", PARAM_INT, &pres.cfg.shm_retry_after},
	/* DB writes behind the request, by a DB writer process (doc/presence.md,
	 * "Durability") */
	{"db_write_interval", PARAM_INT, &pres.cfg.db_write_interval},
	{"db_queue_size", PARAM_INT, &pres.cfg.db_queue_size},
	{"db_queue_retry_after", PARAM_INT, &pres.cfg.db_queue_retry_after},
	/* NOTIFY sender processes (doc/presence.md, "NOTIFY senders") */
	{"fanout_processes", PARAM_INT, &pres.cfg.fanout_processes},
	{"fanout_queue_size", PARAM_INT, &pres.cfg.fanout_queue_size},
	/* huge pages for the shm pool (doc/presence.md, "Huge pages") */
	{"shm_hugepages", PARAM_INT, &pres.cfg.shm_hugepages},
	{"shm_prefault", PARAM_INT, &pres.cfg.shm_prefault},
	/* new state refused while the server is behind (doc/presence.md,
	 * "Limits") */
	{"overload_queue_percent", PARAM_INT, &pres.cfg.overload_queue_percent},
	{"overload_retry_after", PARAM_INT, &pres.cfg.overload_retry_after},
	/* presentity documents reused between NOTIFYs (doc/presence.md,
	 * "NOTIFY fan-out and its order") */
	{"body_cache", PARAM_INT, &pres.cfg.body_cache},
	{0, 0, 0}
};

/* $subs(attr) and $notify_reply(pv) (pres_script_kam.c) */
static pv_export_t pvs[] = {
	{{"subs", sizeof("subs") - 1}, PVT_OTHER, pres_pv_get_subs, 0,
			pres_pv_parse_subs_name, 0, 0, 0},
	{{"notify_reply", sizeof("notify_reply") - 1}, PVT_OTHER,
			pres_pv_get_notify_reply, 0, pres_pv_parse_notify_reply_name, 0,
			0, 0},
	{{0, 0}, 0, 0, 0, 0, 0, 0, 0}
};

struct module_exports exports = {
	"presence",		 /* module name */
	DEFAULT_DLFLAGS, /* dlopen flags */
	cmds,			 /* script functions */
	params,			 /* parameters */
	pres_rpc_cmds,	 /* RPC commands (pres_rpc_kam.c) */
	pvs,			 /* pseudo-variables */
	0,				 /* response handler */
	mod_init,		 /* module init */
	child_init,		 /* per-child init */
	mod_destroy		 /* destroy */
};

/* subs_entry_t.lock is Kamailio's gen_lock_t, in place (presence_api.h
 * reserves its size): consumers such as rls take it with lock_get. */
static int slot_lock_init(void *l)
{
	return lock_init((gen_lock_t *)l) ? 0 : -1;
}
static void slot_lock_get(void *l)
{
	lock_get((gen_lock_t *)l);
}
static void slot_lock_release(void *l)
{
	lock_release((gen_lock_t *)l);
}
static void slot_lock_destroy(void *l)
{
	lock_destroy((gen_lock_t *)l);
}
static const lp_lock_ops_t slot_lock_ops = {"gen_lock", sizeof(gen_lock_t),
		slot_lock_init, slot_lock_get, slot_lock_release, slot_lock_destroy};
_Static_assert(sizeof(gen_lock_t) == sizeof(pres_gen_lock_t)
				&& _Alignof(gen_lock_t) <= _Alignof(pres_gen_lock_t),
		"presence_api.h: pres_gen_lock_t must be this tree's gen_lock_t");
_Static_assert(sizeof(str) == sizeof(lp_str_t), "lp_str_t must be str");

static void api_pkg_free(void *p)
{
	pkg_free(p);
}

/* Parameters that tune a mechanism ours does not have are accepted; a
 * value that would change Kamailio's behaviour is reported once. */
static void report_foreign_params(void)
{
	static const struct {
		const char *name, *why;
		int *val, def;
	} p[] = {
		{"waitn_time", "NOTIFYs are sent at once, never buffered",
				&pres.cfg.waitn_time, 5},
		{"notifier_poll_rate", "there are no notifier processes",
				&pres.cfg.notifier_poll_rate, 10},
		{"notifier_processes", "there are no notifier processes: in DB-only"
				" mode the NOTIFY CSeq is taken in a DB transaction",
				&pres.cfg.notifier_processes, 1},
		{"startup_mode", "stored expiries are absolute times",
				&pres.cfg.startup_mode, 1},
		{"db_table_lock_type", "DB-only mode uses transactions, not table"
				" locks", &pres.cfg.db_table_lock_type, 1},
		{"lock_set_size", "one lock per hash bucket", &pres.cfg.lock_set_size, 4},
		{"totag_avpid", "To tags come from to_tag_pref",
				&pres.cfg.totag_avpid, 0},
	};
	size_t i;

	for(i = 0; i < sizeof(p) / sizeof(p[0]); i++)
		if(*p[i].val != p[i].def)
			LM_NOTICE("parameter %s=%d is accepted and has no effect here: %s"
					  " (doc/presence.md)\n", p[i].name, *p[i].val, p[i].why);
}

/* Free shared memory in percent, for pres_limits_memory (libpresence
 * asks through lp_mem_free_percent). The total is fixed at start-up. */
static int shm_free_percent(void)
{
	static unsigned long total;
	struct mem_info mi;

	if(!total) {
		shm_info(&mi);
		total = mi.total_size;
	}
	if(!total)
		return -1;
	return (int)((unsigned long long)shm_available() * 100 / total);
}

/* The limits of pres_limits.h: a stored size above its column would make
 * the DB refuse the row, so it is refused at start-up instead. */
static int check_limits(void)
{
	if(pres.cfg.max_contact_len > PRES_COL_URI
			|| pres.cfg.max_user_agent_len > PRES_COL_URI
			|| pres.cfg.max_record_route_len > PRES_COL_TEXT) {
		LM_ERR("max_contact_len and max_user_agent_len must be <= %d,"
			   " max_record_route_len <= %d (the active_watchers columns)\n",
				PRES_COL_URI, PRES_COL_TEXT);
		return -1;
	}
	if(pres.cfg.shm_min_free_percent < 0 || pres.cfg.shm_min_free_percent > 99
			|| pres.cfg.shm_retry_after < 0) {
		LM_ERR("shm_min_free_percent must be 0..99 and shm_retry_after >= 0\n");
		return -1;
	}
	lp_mem_set_free_percent(shm_free_percent);
	return 0;
}

/* enable_dmq (Kamailio 5.6) is the master switch of DMQ replication
 * (Kamailio's dmq module, loaded before presence); under it, as in Kamailio
 * 6.1, enable_pres_dmq (default 1) replicates the publications and
 * enable_subs_dmq (default 0) the subscriptions, each synced at join unless
 * its *_sync_dmq is 0. enable_pres_dmq 1 set alone also turns enable_dmq
 * on (our 5.6-era meaning of it). The sync answer walks the publication
 * cache, so publication replication needs publ_cache 1. */
static int check_dmq_params(void)
{
	if(dmq_subs_params.enable_pres_dmq == 1 && !pres.cfg.enable_dmq) {
		LM_NOTICE("enable_pres_dmq 1 turns enable_dmq on\n");
		pres.cfg.enable_dmq = 1;
	}
	pres.cfg.pres_dmq = dmq_subs_params.enable_pres_dmq != 0;
	if(pres.cfg.enable_dmq != 0 && pres.cfg.enable_dmq != 1) {
		LM_ERR("enable_dmq must be 0 or 1\n");
		return -1;
	}
	if(pres.cfg.enable_dmq && pres.cfg.pres_dmq
			&& (!pres.cfg.publ_cache || !pres.cfg.db_url)) {
		LM_ERR("enable_dmq needs publ_cache 1 and a db_url\n");
		return -1;
	}
	pres.cfg.subs_dmq = dmq_subs_params.enable_subs_dmq != 0;
	if(pres.cfg.subs_dmq && !pres.cfg.enable_dmq) {
		LM_WARN("enable_subs_dmq has no effect without enable_dmq 1\n");
		pres.cfg.subs_dmq = 0;
	}
	if(pres.cfg.subs_dmq && pres.cfg.subs_db_mode == PRES_SUBS_DB_ONLY) {
		LM_WARN("enable_subs_dmq has no effect with subs_db_mode 3: the"
				" nodes share the subscriptions through the database\n");
		pres.cfg.subs_dmq = 0;
	}
	pres.cfg.skip_notify_dmq = dmq_subs_params.skip_notify_dmq != 0;
	pres.cfg.default_socket =
			default_socket_p.len > 0 ? default_socket_p.s : NULL;
	return 0;
}

/* Checks of the parameters that have a meaning here; -1 (logged) stops
 * start-up. */
static int check_params(void)
{
	if(check_limits() < 0)
		return -1;
	if(check_dmq_params() < 0)
		return -1;
	if(pres.cfg.min_expires_action != 1 && pres.cfg.min_expires_action != 2) {
		LM_ERR("min_expires_action must be 1 (423) or 2 (raise to"
			   " min_expires)\n");
		return -1;
	}
	if(pres.cfg.timer_mode != 0 && pres.cfg.timer_mode != 1) {
		LM_ERR("timer_mode must be 0 (main timer) or 1 (secondary timer)\n");
		return -1;
	}
	if(pres.cfg.db_write_interval < 0 || pres.cfg.db_write_interval > 60000
			|| pres.cfg.db_queue_size < 1 || pres.cfg.db_queue_retry_after < 0) {
		LM_ERR("db_write_interval must be 0..60000 (ms), db_queue_size >= 1"
			   " and db_queue_retry_after >= 0\n");
		return -1;
	}
	if(pres.cfg.fanout_processes < 0 || pres.cfg.fanout_processes > 64
			|| pres.cfg.fanout_queue_size < 1) {
		LM_ERR("fanout_processes must be 0..64 and fanout_queue_size >= 1\n");
		return -1;
	}
	if(pres.cfg.overload_queue_percent < 0
			|| pres.cfg.overload_queue_percent > 100
			|| pres.cfg.overload_retry_after < 0) {
		LM_ERR("overload_queue_percent must be 0..100 and"
			   " overload_retry_after >= 0\n");
		return -1;
	}
	if(pres.cfg.fetch_rows <= 0) {
		LM_ERR("fetch_rows must be > 0\n");
		return -1;
	}
	if(pres.cfg.body_cache < 0 || pres.cfg.body_cache > 1048576) {
		LM_ERR("body_cache must be 0..1048576\n");
		return -1;
	}
	if(local_log_facility_p) {
		local_log_facility_i = str2facility(local_log_facility_p);
		if(local_log_facility_i == -1) {
			LM_ERR("invalid local_log_facility '%s'\n", local_log_facility_p);
			return -1;
		}
	}
	pres_local_log_facility = local_log_facility_i;
	if(pres_pub_order_init() < 0)
		return -1;
	report_foreign_params();
	return 0;
}

/* timer_mode 1 (default): the secondary timer process; 0: the main one */
static int add_timer(timer_function *f, int period)
{
	if(pres.cfg.timer_mode == 1)
		return sr_wtimer_add(f, 0, period);
	return register_timer(f, 0, period);
}

static void clean_timer(unsigned int ticks, void *param)
{
	pres_clean_expired();
}

static void flush_timer(unsigned int ticks, void *param)
{
	pres_subs_flush();
}

/* Open the DB, check the table versions and load the stored state; the
 * connection is closed again before the workers fork. */
static int init_db(void)
{
	lp_db_t *db;
	int rc = -1;

	if(pres_sql_init() < 0)
		return -1;
	db = pres_db();
	if(!db) {
		LM_ERR("cannot open db_url %s\n", pres.cfg.db_url);
		return -1;
	}
	if(lp_db_check_version(db, pres.cfg.presentity_table, 5) < 0
			|| lp_db_check_version(db, pres.cfg.active_watchers_table, 12) < 0
			|| lp_db_check_version(db, pres.cfg.watchers_table, 3) < 0)
		goto done;
	rc = 0;
done:
	return rc;
}

/* shm_hugepages 1: MADV_HUGEPAGE on Kamailio's shm pool (the mapping
 * that holds addr), before the fork so that every process inherits it;
 * says whether the kernel's policy lets it take effect. Never fatal. */
static void advise_hugepages(const void *addr)
{
	char policy[32];
	size_t bytes = 0;

	if(!pres.cfg.shm_hugepages || !addr)
		return;
	if(lp_hugepage_advise(addr, &bytes) < 0) {
		LM_INFO("shm_hugepages: no huge page advice for the shm pool (%s)\n",
				strerror(errno));
		return;
	}
	if(lp_hugepage_shmem_policy(policy, sizeof(policy)) < 0)
		strcpy(policy, "unknown");
	if(!strcmp(policy, "never") || !strcmp(policy, "deny")
			|| !strcmp(policy, "unknown"))
		LM_NOTICE("shm_hugepages: huge pages asked for the %zu MB shm pool,"
				  " but the kernel's shmem_enabled is '%s': with 'advise' a"
				  " NOTIFY burst takes one page fault per 2 MB instead of per"
				  " 4 kB (doc/presence.md, \"Huge pages\")\n",
				bytes >> 20, policy);
	else
		LM_INFO("shm_hugepages: huge pages asked for the %zu MB shm pool"
				" (kernel shmem_enabled '%s')\n",
				bytes >> 20, policy);
}

/* shm_prefault MB: the first MB of the shm pool (the mapping that holds
 * addr) allocated and mapped in this process (lp_pool_populate); in the
 * main process before the fork (after the huge page advice, so that the
 * pages are huge where the kernel allows), then in every child, which
 * inherits no page table of the shared pool: Kamailio's children through
 * child_init, the module's own processes (the DB writer, the NOTIFY
 * senders: forked without child_init) through pres_kam_prefault. Never
 * fatal. */
static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void prefault_pool(const void *addr, int rank)
{
	size_t bytes = 0;
	uint64_t t0 = mono_ms();

	if(pres.cfg.shm_prefault <= 0 || !addr)
		return;
	if(lp_pool_populate(addr, (size_t)pres.cfg.shm_prefault << 20, &bytes)
			< 0) {
		LM_WARN("shm_prefault: cannot populate the shm pool (%s)\n",
				strerror(errno));
		return;
	}
	if(rank == PROC_INIT)
		LM_INFO("shm_prefault: %zu MB of the shm pool populated in %llu ms\n",
				bytes >> 20, (unsigned long long)(mono_ms() - t0));
	else
		LM_DBG("shm_prefault: %zu MB of the shm pool mapped in process rank"
			   " %d in %llu ms\n",
				bytes >> 20, rank, (unsigned long long)(mono_ms() - t0));
}

void pres_kam_prefault(int rank)
{
	prefault_pool(pres.subs, rank);
}

static int mod_init(void)
{
	lp_kam_install();
	if(pres_stats_kam_init() < 0)
		return -1;
	pres.cfg.db_url = lp_kam_str_param(&db_url_p);
	pres.cfg.server_address = lp_kam_str_param(&server_address_p);
	pres.now = lp_kam_now;
	pres.send_notify = pres_kam_send_notify;
	if(pres_fanout_listen(pres_nlog_batch) < 0)
		return -1;
	pres.str_free = api_pkg_free;
	pres_shtable_set_lock(&slot_lock_ops);
	if(pres.cfg.min_expires < 0 || pres.cfg.max_expires <= 0
			|| (pres.cfg.min_expires > pres.cfg.max_expires)) {
		LM_ERR("min_expires must be >= 0 and <= max_expires (> 0)\n");
		return -1;
	}
	if(check_params() < 0)
		return -1;
	if(pres.cfg.subs_db_mode < PRES_SUBS_DB_NONE
			|| pres.cfg.subs_db_mode > PRES_SUBS_DB_ONLY) {
		LM_ERR("subs_db_mode must be 0 (memory), 1 (write-through), 2"
			   " (write-back) or 3 (DB only)\n");
		return -1;
	}
	if(load_tm_api(&pres_tmb) < 0) {
		LM_ERR("cannot bind tm (load tm before presence)\n");
		return -1;
	}
	if(sl_load_api(&pres_slb) < 0) {
		LM_ERR("cannot bind sl (load sl before presence)\n");
		return -1;
	}
	if(tm_load_xapi(&pres_xtmb) < 0) {
		LM_ERR("cannot bind tm's t_check_trans\n");
		return -1;
	}
	/* a key of this start, before anything is hashed and before the fork:
	 * every process buckets alike, nobody outside can precompute
	 * collisions */
	if(lp_hash_seed_random() < 0) {
		LM_ERR("no randomness from the kernel for the hash key\n");
		return -1;
	}
	pres.pubs = lp_htable_new(pres.cfg.pres_htable_size);
	pres.subs = lp_htable_new(pres.cfg.subs_htable_size);
	pres.dlgs = lp_htable_new(pres.cfg.subs_htable_size);
	pres.wcount = lp_htable_new(pres.cfg.subs_htable_size);
	pres.fanout = lp_htable_new(pres.cfg.pres_htable_size);
	pres.winfo_seen = lp_malloc(sizeof(*pres.winfo_seen));
	if(pres.winfo_seen)
		*pres.winfo_seen = 0;
	if(pres.cfg.overload_queue_percent > 0) { /* pres_check_overload */
		pres.refused = lp_malloc(PRES_REFUSED_WORDS * sizeof(uint64_t));
		if(!pres.refused) {
			LM_ERR("out of shared memory for the memory of refusals\n");
			return -1;
		}
		memset(pres.refused, 0, PRES_REFUSED_WORDS * sizeof(uint64_t));
	}
	if(pres.cfg.subs_db_mode == PRES_SUBS_DB_THROUGH
			|| pres.cfg.subs_db_mode == PRES_SUBS_DB_BACK) {
		pres.pend = pres_pend_new(PRES_PEND_MAX);
		if(!pres.pend) {
			LM_ERR("out of shared memory for the pending deletes\n");
			return -1;
		}
	}
	if(!pres.pubs || !pres.subs || !pres.dlgs || !pres.wcount
			|| !pres.fanout) {
		LM_ERR("out of shared memory for the hash tables\n");
		return -1;
	}
	advise_hugepages(pres.subs);
	prefault_pool(pres.subs, PROC_INIT);
	if(!pres.cfg.db_url) {
		LM_INFO("no db_url: library mode, only the API is served\n");
		return 0;
	}
	if(init_db() < 0 || pres_kam_script_init() < 0
			|| pres_kam_count_init() < 0)
		return -1;
	if(pres.cfg.enable_dmq
			&& pres_dmq_kam_init(dmq_subs_params.enable_pres_sync_dmq,
					   dmq_subs_params.enable_subs_sync_dmq)
					   < 0)
		return -1;
	if(pres_dbq_init() < 0 || pres_writer_register() < 0
			|| pres_fanout_init() < 0)
		return -1;
	if(pres.cfg.publ_cache && pres_pubsync_init() < 0) {
		LM_ERR("out of shared memory for the publish cache sync\n");
		return -1;
	}
	if(pres.cfg.clean_period > 0
			&& add_timer(clean_timer, pres.cfg.clean_period) < 0)
		return -1;
	if(pres.cfg.db_update_period > 0
			&& add_timer(flush_timer, pres.cfg.db_update_period) < 0)
		return -1;
	return 0;
}

/* Events are registered by other modules' mod_init, after ours: the stored
 * state (which names events) is loaded once, in the first child_init call
 * (still before the fork, in the main process). */
static int child_init(int rank)
{
	static int loaded;

	if(rank != PROC_INIT && rank != PROC_MAIN)
		prefault_pool(pres.subs, rank);
	if(rank == PROC_INIT && pres_stats_kam_events() < 0)
		return -1;
	if(!pres.cfg.db_url)
		return 0;
	if(rank == PROC_INIT) {
		if(!loaded && pres_load_db() < 0) {
			LM_ERR("cannot load the stored presence state\n");
			return -1;
		}
		loaded = 1;
		lp_db_close(pres.db);
		pres.db = NULL;
		return 0;
	}
	if(rank == PROC_MAIN)
		return pres_writer_fork(rank) < 0 || pres_fanout_fork(rank) < 0 ? -1
																	   : 0;
	if(rank == PROC_TCP_MAIN)
		return 0;
	if(!pres_db()) {
		LM_ERR("cannot open db_url in process rank %d\n", rank);
		return -1;
	}
	return 0;
}

static void mod_destroy(void)
{
	pres_fanout_destroy();
	if(pres.cfg.db_url)
		pres_writer_drain();
	if(pres.cfg.db_url && pres.subs && pres_db())
		pres_subs_flush();
	if(pres_pend_count(pres.pend) > 0)
		LM_ERR("%d ended subscriptions could not be deleted from the DB: "
			   "they are loaded again at the next start until they expire\n",
				pres_pend_count(pres.pend));
	if(pres.db)
		lp_db_close(pres.db);
	pres.db = NULL;
}

static int w_handle_publish(struct sip_msg *msg, char *sender, char *p2)
{
	str s = STR_NULL;

	if(sender && fixup_get_svalue(msg, (gparam_t *)sender, &s) < 0) {
		LM_ERR("cannot evaluate sender_uri\n");
		s.s = NULL;
		s.len = 0;
	}
	return pres_kam_publish(msg, sender ? &s : NULL);
}

static int w_handle_subscribe(struct sip_msg *msg, char *p1, char *p2)
{
	return pres_kam_subscribe(msg, NULL, NULL);
}

/* handle_subscribe(watcher_uri): the watcher is watcher_uri, not From. */
static int w_handle_subscribe1(struct sip_msg *msg, char *wuri, char *p2)
{
	str w = STR_NULL;
	lp_str_t u, d;

	if(fixup_get_svalue(msg, (gparam_t *)wuri, &w) < 0) {
		LM_ERR("cannot evaluate watcher_uri\n");
		return -1;
	}
	if(pres_split_uri(&(lp_str_t){w.s, w.len}, &u, &d) < 0) {
		LM_ERR("bad watcher_uri '%.*s'\n", w.len, w.s);
		return -1;
	}
	return pres_kam_subscribe(msg, &(str){u.s, u.len}, &(str){d.s, d.len});
}

/* pres_refresh_watchers(uri, event, type[, file_uri, filename]) and
 * pres_update_watchers(uri, event): refreshWatchers from the script (type 0:
 * authorization changed; 1: published state changed in the DB; 2: the
 * pidf-manipulation document file_uri/filename changed, see
 * pres_refresh_watchers_file). furi/fname may be NULL. 1 / -1. */
static int refresh_file(str *u, str *e, int type, str *furi, str *fname)
{
	lp_str_t f = LP_STR_NULL, n = LP_STR_NULL;

	if(!pres.cfg.db_url) {
		LM_ERR("pres_refresh_watchers in library mode (no db_url)\n");
		return -1;
	}
	if(furi)
		f = (lp_str_t){furi->s, furi->len};
	if(fname)
		n = (lp_str_t){fname->s, fname->len};
	if(pres_refresh_watchers_file(&(lp_str_t){u->s, u->len},
			   &(lp_str_t){e->s, e->len}, type, &f, &n)
			< 0)
		return -1;
	return 1;
}

static int refresh_str(str *u, str *e, int type)
{
	return refresh_file(u, e, type, NULL, NULL);
}

static int refresh(struct sip_msg *msg, char *uri, char *ev, int type,
		char *furi, char *fname)
{
	str u, e, f = STR_NULL, n = STR_NULL;

	if(fixup_get_svalue(msg, (gparam_t *)uri, &u) < 0
			|| fixup_get_svalue(msg, (gparam_t *)ev, &e) < 0
			|| (furi && fixup_get_svalue(msg, (gparam_t *)furi, &f) < 0)
			|| (fname && fixup_get_svalue(msg, (gparam_t *)fname, &n) < 0)) {
		LM_ERR("cannot evaluate uri, event or file arguments\n");
		return -1;
	}
	return refresh_file(&u, &e, type, &f, &n);
}

static int refresh_typed(struct sip_msg *msg, char *uri, char *ev,
		char *type, char *furi, char *fname)
{
	int t;

	if(fixup_get_ivalue(msg, (gparam_t *)type, &t) < 0) {
		LM_ERR("cannot evaluate type\n");
		return -1;
	}
	return refresh(msg, uri, ev, t, furi, fname);
}

static int w_pres_refresh_watchers(struct sip_msg *msg, char *uri, char *ev, char *type)
{
	return refresh_typed(msg, uri, ev, type, NULL, NULL);
}

static int fixup_refresh5(void **param, int param_no)
{
	if(param_no == 3)
		return fixup_igp_null(param, 1);
	return fixup_spve_null(param, 1);
}

static int w_pres_refresh_watchers5(struct sip_msg *msg, char *uri, char *ev,
		char *type, char *furi, char *fname)
{
	return refresh_typed(msg, uri, ev, type, furi, fname);
}

static int w_pres_update_watchers(struct sip_msg *msg, char *uri, char *ev)
{
	return refresh(msg, uri, ev, 0, NULL, NULL);
}

/* pres_has_subscribers(presentity_uri, event): 1 when the presentity has a
 * live subscription to event, -1 when not (or on error). */
static int has_subscribers(str *uri, str *ev)
{
	if(!pres.cfg.db_url) {
		LM_ERR("pres_has_subscribers in library mode (no db_url)\n");
		return -1;
	}
	return pres_has_subscribers(&(lp_str_t){uri->s, uri->len},
				   &(lp_str_t){ev->s, ev->len})
						   > 0
				   ? 1
				   : -1;
}

static int w_pres_has_subscribers(struct sip_msg *msg, char *uri, char *ev)
{
	str u, e;

	if(fixup_get_svalue(msg, (gparam_t *)uri, &u) < 0
			|| fixup_get_svalue(msg, (gparam_t *)ev, &e) < 0) {
		LM_ERR("cannot evaluate presentity_uri or event\n");
		return -1;
	}
	return has_subscribers(&u, &e);
}

static int w_pres_auth_status(struct sip_msg *msg, char *wuri, char *puri)
{
	str w, p;

	if(fixup_get_svalue(msg, (gparam_t *)wuri, &w) < 0
			|| fixup_get_svalue(msg, (gparam_t *)puri, &p) < 0) {
		LM_ERR("cannot evaluate the parameters\n");
		return -1;
	}
	return pres_api_auth_status(msg, lps(w), lps(p));
}

/* pres_check_overload(): ahead of t_newtran(), a refusal for load
 * answered statelessly (pres_kam_check_overload). */
static int w_pres_check_overload(struct sip_msg *msg, char *p1, char *p2)
{
	return pres_kam_check_overload(msg);
}

/* ---- KEMI: Kamailio 5.6's KSR.presence.* (same names and parameters) ---- */

static int ki_handle_publish(sip_msg_t *msg)
{
	return pres_kam_publish(msg, NULL);
}

static int ki_handle_publish_uri(sip_msg_t *msg, str *sender_uri)
{
	return pres_kam_publish(msg, sender_uri);
}

static int ki_handle_subscribe(sip_msg_t *msg)
{
	return pres_kam_subscribe(msg, NULL, NULL);
}

static int ki_handle_subscribe_uri(sip_msg_t *msg, str *watcher_uri)
{
	lp_str_t u, d;

	if(pres_split_uri(&(lp_str_t){watcher_uri->s, watcher_uri->len}, &u, &d)
			< 0) {
		LM_ERR("bad watcher_uri '%.*s'\n", watcher_uri->len, watcher_uri->s);
		return -1;
	}
	return pres_kam_subscribe(msg, &(str){u.s, u.len}, &(str){d.s, d.len});
}

static int ki_pres_auth_status(sip_msg_t *msg, str *watcher_uri, str *pres_uri)
{
	return pres_api_auth_status(msg, lps(*watcher_uri), lps(*pres_uri));
}

static int ki_pres_has_subscribers(sip_msg_t *msg, str *pres_uri, str *event)
{
	return has_subscribers(pres_uri, event);
}

/* As Kamailio's KEMI functions: 0 when the refresh was done, -1 if not
 * (the script function answers 1 / -1). */
static int ki_pres_refresh_watchers(sip_msg_t *msg, str *pres_uri, str *event,
		int type)
{
	return refresh_str(pres_uri, event, type) > 0 ? 0 : -1;
}

static int ki_pres_refresh_watchers_file(sip_msg_t *msg, str *pres_uri,
		str *event, int type, str *file_uri, str *filename)
{
	return refresh_file(pres_uri, event, type, file_uri, filename) > 0 ? 0
																		: -1;
}

static int ki_pres_update_watchers(sip_msg_t *msg, str *pres_uri, str *event)
{
	return refresh_str(pres_uri, event, 0);
}

#define KI_NONE SR_KEMIP_NONE
#define KI_STR SR_KEMIP_STR
#define KI_INT SR_KEMIP_INT
/* clang-format off */
static sr_kemi_t pres_kemi_exports[] = {
	{str_init("presence"), str_init("handle_publish"), SR_KEMIP_INT,
		ki_handle_publish,
		{KI_NONE, KI_NONE, KI_NONE, KI_NONE, KI_NONE, KI_NONE}},
	{str_init("presence"), str_init("handle_publish_uri"), SR_KEMIP_INT,
		ki_handle_publish_uri,
		{KI_STR, KI_NONE, KI_NONE, KI_NONE, KI_NONE, KI_NONE}},
	{str_init("presence"), str_init("handle_subscribe"), SR_KEMIP_INT,
		ki_handle_subscribe,
		{KI_NONE, KI_NONE, KI_NONE, KI_NONE, KI_NONE, KI_NONE}},
	{str_init("presence"), str_init("handle_subscribe_uri"), SR_KEMIP_INT,
		ki_handle_subscribe_uri,
		{KI_STR, KI_NONE, KI_NONE, KI_NONE, KI_NONE, KI_NONE}},
	{str_init("presence"), str_init("pres_auth_status"), SR_KEMIP_INT,
		ki_pres_auth_status,
		{KI_STR, KI_STR, KI_NONE, KI_NONE, KI_NONE, KI_NONE}},
	{str_init("presence"), str_init("pres_check_overload"), SR_KEMIP_INT,
		pres_kam_check_overload,
		{KI_NONE, KI_NONE, KI_NONE, KI_NONE, KI_NONE, KI_NONE}},
	{str_init("presence"), str_init("pres_has_subscribers"), SR_KEMIP_INT,
		ki_pres_has_subscribers,
		{KI_STR, KI_STR, KI_NONE, KI_NONE, KI_NONE, KI_NONE}},
	{str_init("presence"), str_init("pres_refresh_watchers"), SR_KEMIP_INT,
		ki_pres_refresh_watchers,
		{KI_STR, KI_STR, KI_INT, KI_NONE, KI_NONE, KI_NONE}},
	{str_init("presence"), str_init("pres_refresh_watchers_file"),
		SR_KEMIP_INT, ki_pres_refresh_watchers_file,
		{KI_STR, KI_STR, KI_INT, KI_STR, KI_STR, KI_NONE}},
	{str_init("presence"), str_init("pres_update_watchers"), SR_KEMIP_INT,
		ki_pres_update_watchers,
		{KI_STR, KI_STR, KI_NONE, KI_NONE, KI_NONE, KI_NONE}},
	{{0, 0}, {0, 0}, 0, NULL, {0, 0, 0, 0, 0, 0}}
};
/* clang-format on */

int mod_register(char *path, int *dlflags, void *p1, void *p2)
{
	sr_kemi_modules_add(pres_kemi_exports);
	return 0;
}
