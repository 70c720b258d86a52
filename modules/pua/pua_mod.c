/* pua module: Kamailio exports (parameters, script functions, bind_pua,
 * bind_libxml_api), start-up, shutdown and the timers. The work itself is
 * in the host-neutral pua_*.c files; pua_kam.c adapts tm and SIP messages,
 * pua_rpc_kam.c the RPC commands. */
#include <stdlib.h>
#include <time.h>

#include "core/dprint.h"
#include "core/rpc.h"
#include "core/rpc_lookup.h"
#include "core/sr_module.h"
#include "core/timer.h"
#include "core/ut.h"

#include "lp_hash.h"
#include "lp_kam.h"
#include "pua_kam.h"
#include "pua_stats_kam.h"
#include "pua_libxml_api.h"

MODULE_VERSION

static int mod_init(void);
static int child_init(int rank);
static void mod_destroy(void);
static int w_pua_update_contact(struct sip_msg *msg, char *p1, char *p2);
static int w_pua_handle_notify(struct sip_msg *msg, char *p1, char *p2);
static int bind_pua(pua_api_t *api);
static int bind_libxml_api(libxml_api_t *api);

static str db_url_p = STR_NULL;
static str outbound_proxy_p = STR_NULL;

static cmd_export_t cmds[] = {
	{"pua_update_contact", (cmd_function)w_pua_update_contact, 0, 0, 0,
			REQUEST_ROUTE},
	{"pua_handle_notify", (cmd_function)w_pua_handle_notify, 0, 0, 0,
			REQUEST_ROUTE},
	{"bind_pua", (cmd_function)bind_pua, 1, 0, 0, 0},
	{"bind_libxml_api", (cmd_function)bind_libxml_api, 1, 0, 0, 0},
	{0, 0, 0, 0, 0, 0}
};

static param_export_t params[] = {
	{"hash_size", PARAM_INT, &pua.cfg.hash_size},
	{"db_url", PARAM_STR, &db_url_p},
	{"db_table", PARAM_STRING, &pua.cfg.db_table},
	{"min_expires", PARAM_INT, &pua.cfg.min_expires},
	{"default_expires", PARAM_INT, &pua.cfg.default_expires},
	{"update_period", PARAM_INT, &pua.cfg.update_period},
	{"outbound_proxy", PARAM_STR, &outbound_proxy_p},
	{"dlginfo_increase_version", PARAM_INT, &pua.cfg.dlginfo_increase_version},
	{"reginfo_increase_version", PARAM_INT, &pua.cfg.reginfo_increase_version},
	{"db_mode", PARAM_INT, &pua.cfg.db_mode},
	{"db_table_lock_write", PARAM_INT, &pua.cfg.db_table_lock_write},
	{"check_remote_contact", PARAM_INT, &pua.cfg.check_remote_contact},
	{"fetch_rows", PARAM_INT, &pua.cfg.fetch_rows},
	{0, 0, 0}
};

static rpc_export_t rpc_cmds[] = {
	{"pua.cleanup", pua_rpc_cleanup, pua_rpc_cleanup_doc, 0},
	{"pua.list", pua_rpc_list, pua_rpc_list_doc, RET_ARRAY},
	{0, 0, 0, 0}
};

struct module_exports exports = {
	"pua",			 /* module name */
	DEFAULT_DLFLAGS, /* dlopen flags */
	cmds,			 /* script functions */
	params,			 /* parameters */
	rpc_cmds,		 /* RPC commands */
	0,				 /* pseudo-variables */
	0,				 /* response handler */
	mod_init,		 /* module init */
	child_init,		 /* per-child init */
	mod_destroy		 /* destroy */
};

static void refresh_timer(unsigned int ticks, void *param)
{
	pua_timer_refresh();
}

/* update_period: drop what expired, and write what changed (db_mode 0)
 * or what a failed write left dirty (db_mode 2). */
static void update_timer(unsigned int ticks, void *param)
{
	pua_timer_update();
}

/* The events pua knows by itself (the seed's list, plus "dialog" for
 * dlginfo_increase_version); modules may add more or re-register these.
 * PIDF bodies get tuple ids (pua_pidf_process_body). */
static int add_own_events(void)
{
	return pua_add_event(PRESENCE_EVENT, "presence", "application/pidf+xml",
				   pua_pidf_process_body)
				   | pua_add_event(PWINFO_EVENT, "presence.winfo", NULL, NULL)
				   | pua_add_event(MSGSUM_EVENT, "message-summary",
						   "application/simple-message-summary", NULL)
				   | pua_add_event(BLA_EVENT, "dialog;sla",
						   "application/dialog-info+xml", NULL)
				   | pua_add_event(DIALOG_EVENT, "dialog",
						   "application/dialog-info+xml", NULL)
				   | pua_add_event(REGINFO_EVENT, "reg",
						   "application/reginfo+xml", NULL);
}

static int init_db(void)
{
	int n;

	if(pua_db_init() < 0 || pua_db_check() < 0)
		return -1;
	n = pua_db_load();
	if(n < 0)
		return -1;
	LM_INFO("%d pua records loaded from %s\n", n, pua.cfg.db_table);
	/* each process opens its own connection */
	lp_db_close(pua.db);
	pua.db = NULL;
	return 0;
}

static int check_cfg(void)
{
	return pua_cfg_check(&pua.cfg) < 0 ? -1 : 0;
}

static int mod_init(void)
{
	lp_kam_install();
	/* this start's hash key, before anything is hashed and before the
	 * fork (collisions cannot be precomputed) */
	if(lp_hash_seed_random() < 0) {
		LM_ERR("no randomness from the kernel for the hash key\n");
		return -1;
	}
	if(pua_stats_kam_init() < 0)
		return -1;
	pua.cfg.db_url = lp_kam_str_param(&db_url_p);
	pua.cfg.outbound_proxy = lp_kam_str_param(&outbound_proxy_p);
	pua.now = lp_kam_now;
	pua.send = pua_kam_send;
	pua.foreign_alloc = pua_kam_pkg_malloc;
	pua.foreign_free = pua_kam_pkg_free;
	if(check_cfg() < 0)
		return -1;
	if(load_tm_api(&pua_tmb) < 0) {
		LM_ERR("cannot bind tm (load tm before pua)\n");
		return -1;
	}
	if(sl_load_api(&pua_slb) < 0) {
		LM_ERR("cannot bind sl (load sl before pua)\n");
		return -1;
	}
	pua.table = lp_htable_new(pua.cfg.hash_size);
	if(!pua.table || add_own_events() != 0
			|| (pua.cfg.db_url && pua_db_locks_new(pua.cfg.hash_size) < 0)) {
		LM_ERR("out of shared memory\n");
		return -1;
	}
	if(pua.cfg.db_url && init_db() < 0)
		return -1;
	if(!pua.cfg.db_url)
		LM_INFO("no db_url: records are kept in memory only\n");
	register_timer(refresh_timer, 0, 1);
	if(pua.cfg.update_period > 0)
		register_timer(update_timer, 0, pua.cfg.update_period);
	return 0;
}

static int child_init(int rank)
{
	/* every module's RPCs are registered by now (at load or in
	   mod_init): pua.publish & co. are ours only where no pua_rpc
	   module provides them */
	if(rank == PROC_INIT)
		return pua_rpc_kam_register() < 0 ? -1 : 0;
	return 0; /* DB connections are opened on first use, per process */
}

static void mod_destroy(void)
{
	if(pua.cfg.db_url && pua.table && pua.cfg.db_mode == PUA_DB_MEMORY) {
		int n;
		pua.alone = 1; /* the workers have exited: no DB lock needed */
		n = pua_db_save();
		if(n >= 0)
			LM_INFO("%d pua records saved at shutdown\n", n);
	}
	if(pua.db)
		lp_db_close(pua.db);
	pua.db = NULL;
}

static int w_pua_update_contact(struct sip_msg *msg, char *p1, char *p2)
{
	return pua_kam_update_contact(msg);
}

static int w_pua_handle_notify(struct sip_msg *msg, char *p1, char *p2)
{
	return pua_kam_handle_notify(msg);
}

/* ---- API ---- */

static int api_register_puacb(int types, pua_cb f, void *param)
{
	LM_DBG("register_puacb types 0x%x\n", types);
	return pua_register_cb(types, f, param);
}

/* Kamailio's order of pua_api_t (pua_api.h). */
static int bind_pua(pua_api_t *api)
{
	if(!api) {
		LM_ERR("bind_pua: NULL api\n");
		return -1;
	}
	memset(api, 0, sizeof(*api));
	api->send_subscribe = pua_send_subscribe;
	api->send_publish = pua_send_publish;
	api->register_puacb = api_register_puacb;
	api->is_dialog = pua_is_dialog;
	api->get_record_id = pua_get_record_id;
	api->add_event = pua_add_event_foreign;
	api->get_subs_list = pua_get_subs_list;
	return 0;
}

static int bind_libxml_api(libxml_api_t *api)
{
	if(pua_libxml_bind(api) < 0) {
		LM_ERR("bind_libxml_api: NULL api\n");
		return -1;
	}
	return 0;
}

/* ---- KEMI: Kamailio 5.6's KSR.pua.pua_update_contact() ---- */
#include "core/kemi.h"

static int ki_pua_update_contact(sip_msg_t *msg)
{
	return pua_kam_update_contact(msg);
}

/* clang-format off */
static sr_kemi_t pua_kemi_exports[] = {
	{str_init("pua"), str_init("pua_update_contact"), SR_KEMIP_INT,
		ki_pua_update_contact,
		{SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE}},
	{{0, 0}, {0, 0}, 0, NULL, {0, 0, 0, 0, 0, 0}}
};
/* clang-format on */

int mod_register(char *path, int *dlflags, void *p1, void *p2)
{
	sr_kemi_modules_add(pua_kemi_exports);
	return 0;
}
