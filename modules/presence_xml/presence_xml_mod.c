/* presence_xml module: Kamailio exports (parameters, pres_check_basic,
 * pres_check_activities), start-up, and the registration of the XML event
 * packages into presence through bind_presence: presence (PIDF, RFC 3856 /
 * 3863, aggregated, filtered by the presentity's pres-rules), presence.winfo
 * (RFC 3857 / 3858; the documents are built by the presence core) and
 * dialog;sla (dialog-info, RFC 4235; aggregated, versioned per watcher).
 * The work itself is in the host-neutral pxml_*.c files. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/dprint.h"
#include "core/mem/mem.h"
#include "core/mod_fix.h"
#include "core/parser/msg_parser.h"
#include "core/parser/parse_content.h"
#include "core/script_cb.h"
#include "core/sr_module.h"
#include "core/timer_proc.h"

#include "lp_hash.h"
#include "lp_kam.h"
#include "../presence/presence_api.h"
#include "../presence/presence_ext.h"
#include "pxml_auth.h"
#include "pxml_check.h"
#include "pxml_pidf.h"
#include "pxml_reqdocs.h"
#include "pxml_xcap.h"

#include <libxml/parser.h>

MODULE_VERSION

static int mod_init(void);
int pxml_stats_kam_init(void); /* pxml_stats_kam.c */
static int child_init(int rank);
static int reqdocs_init(void);
static int fanout_scope_init(void);
static void mod_destroy(void);
static int add_xcap_server(modparam_t type, void *val);
static int w_pres_check_basic(struct sip_msg *msg, char *uri, char *status);
static int w_pres_check_activities(struct sip_msg *msg, char *uri, char *act);

static str db_url_p = STR_NULL;
static presence_api_t pres_api;

static cmd_export_t cmds[] = {
	{"pres_check_basic", (cmd_function)w_pres_check_basic, 2, fixup_spve_spve,
			fixup_free_spve_spve, ANY_ROUTE},
	{"pres_check_activities", (cmd_function)w_pres_check_activities, 2,
			fixup_spve_spve, fixup_free_spve_spve, ANY_ROUTE},
	{0, 0, 0, 0, 0, 0}
};

static param_export_t params[] = {
	{"db_url", PARAM_STR, &db_url_p},
	{"xcap_table", PARAM_STRING, &pxml.xcap_table},
	{"disable_presence", PARAM_INT, &pxml.disable_presence},
	{"disable_winfo", PARAM_INT, &pxml.disable_winfo},
	{"disable_bla", PARAM_INT, &pxml.disable_bla},
	{"force_active", PARAM_INT, &pxml.force_active},
	{"integrated_xcap_server", PARAM_INT, &pxml.integrated_xcap_server},
	{"xcap_server", PARAM_STRING | PARAM_USE_FUNC, (void *)add_xcap_server},
	{"xcap_cache_ttl", PARAM_INT, &pxml.xcap_cache_ttl},
	{"xcap_cache_size", PARAM_INT, &pxml.xcap_cache_size},
	{"xcap_connect_timeout", PARAM_INT, &pxml.xcap_connect_ms},
	{"xcap_timeout", PARAM_INT, &pxml.xcap_timeout_ms},
	{"xcap_backoff_failures", PARAM_INT, &pxml.xcap_backoff_failures},
	{"xcap_backoff_time", PARAM_INT, &pxml.xcap_backoff_time},
	{"passive_mode", PARAM_INT, &pxml.passive_mode},
	{"xcapauth_userdel_reason", PARAM_STRING, &pxml.xcapauth_userdel_reason},
	{"force_dummy_presence", PARAM_INT, &pxml.force_dummy_presence},
	{"disable_xcapdiff", PARAM_INT, &pxml.disable_xcapdiff},
	{"force_presence_single_body", PARAM_INT,
			&pxml.force_presence_single_body},
	{"presence_single_body_priorities", PARAM_STRING,
			&pxml.single_body_priorities},
	{"presence_single_body_lookup_element", PARAM_STRING,
			&pxml.single_body_lookup_element},
	{"default_expires", PARAM_INT, &pxml.default_expires},
	{0, 0, 0}
};

struct module_exports exports = {
	"presence_xml",	 /* module name */
	DEFAULT_DLFLAGS, /* dlopen flags */
	cmds,			 /* script functions */
	params,			 /* parameters */
	0,				 /* RPC commands */
	0,				 /* pseudo-variables */
	0,				 /* response handler */
	mod_init,		 /* module init */
	child_init,		 /* per-child init */
	mod_destroy		 /* destroy */
};

/* Each xcap_server value is kept, in order (pxml_xcap.h). */
static int add_xcap_server(modparam_t type, void *val)
{
	if(pxml_xcap_add_server((const char *)val) < 0) {
		LM_ERR("cannot use xcap_server '%s'\n", val ? (char *)val : "");
		return -1;
	}
	return 0;
}

static void free_sphere(char *s)
{
	pkg_free(s);
}

static time_t now_sec(void)
{
	return time(NULL);
}

/* The body of a PUBLISH an event handler checks, framed against the
 * received bytes (lp_kam_body: never past the datagram). 0, or -1 with
 * *why set: no message, a body shorter than its Content-Length (logged by
 * lp_kam_body), or an empty body. */
static int publ_body(struct sip_msg *msg, lp_str_t *b, const char **why)
{
	*b = LP_STR_NULL;
	if(!msg) {
		*why = "no message";
		return -1;
	}
	if(lp_kam_body(msg, b) < 0) {
		*why = "body shorter than its Content-Length";
		return -1;
	}
	if(b->len == 0) {
		*why = "empty body";
		return -1;
	}
	return 0;
}

/* evs_publ_handl of presence: a well-formed PIDF body. */
static int publ_pidf(struct sip_msg *msg)
{
	const char *why = "empty body";
	lp_str_t b;

	if(publ_body(msg, &b, &why) < 0 || pxml_pidf_check(b.s, b.len, &why) < 0) {
		LM_INFO("PUBLISH body rejected: %s\n", why);
		return -1;
	}
	return 0;
}

/* evs_publ_handl of dialog;sla: a well-formed document (dialog-info). */
static int publ_dialog(struct sip_msg *msg)
{
	const char *why = "empty body";
	lp_str_t b;
	xmlDocPtr doc;

	if(publ_body(msg, &b, &why) < 0
			|| !(doc = lp_xml_parse(b.s, b.len, &why))) {
		LM_INFO("dialog-info PUBLISH body rejected: %s\n", why);
		return -1;
	}
	xmlFreeDoc(doc);
	return 0;
}

/* Kamailio's presence contract for what agg_nbody, apply_auth_nbody and
 * aux_body_processing return: the str's s goes back through our free_body,
 * the str itself is released with pkg_free. The logic (pxml_auth.c) boxes
 * its results with malloc; these wrappers move the box into pkg memory. */
static lp_str_t *pkg_box(lp_str_t *r)
{
	lp_str_t *p;

	if(!r)
		return NULL;
	p = pkg_malloc(sizeof(*p));
	if(!p) {
		LM_ERR("out of pkg memory\n");
		pxml_free_body(r->s);
	} else {
		*p = *r;
	}
	pxml_free_body((char *)r);
	return p;
}

static lp_str_t *agg_presence(lp_str_t *user, lp_str_t *domain,
		lp_str_t **bodies, int n, int off_index)
{
	return pkg_box(pxml_agg_presence(user, domain, bodies, n, off_index));
}

static lp_str_t *agg_dialog(lp_str_t *user, lp_str_t *domain,
		lp_str_t **bodies, int n, int off_index)
{
	return pkg_box(pxml_agg_dialog(user, domain, bodies, n, off_index));
}

static int apply_auth(lp_str_t *body, subs_t *s, lp_str_t **final)
{
	int rc = pxml_apply_auth(body, s, final);

	if(rc >= 0 && *final)
		*final = pkg_box(*final);
	return rc;
}

static lp_str_t *aux_dialog(subs_t *s, lp_str_t *body)
{
	return pkg_box(pxml_aux_dialog(s, body));
}

/* xcap-diff (RFC 5875): subscriptions to the changes of a user's XCAP
 * documents; the state is what an XCAP server publishes (or sends through
 * pres_update_watchers), passed on as is. */
static int add_xcapdiff(void)
{
	pres_ev_t ev;

	if(pxml.disable_xcapdiff)
		return 0;
	memset(&ev, 0, sizeof(ev));
	ev.name = lp_str_c("xcap-diff");
	ev.content_type = lp_str_c("application/xcap-diff+xml");
	ev.default_expires = pxml.default_expires;
	ev.type = PUBL_TYPE;
	ev.free_body = pxml_free_body;
	return pres_api.add_event(&ev);
}

/* The parameters of force_presence_single_body and default_expires. */
static int check_single_body_params(void)
{
	if(pxml.default_expires <= 0) {
		LM_ERR("default_expires must be a positive number of seconds\n");
		return -1;
	}
	if(!pxml.single_body_lookup_element || !*pxml.single_body_lookup_element) {
		LM_ERR("presence_single_body_lookup_element must not be empty\n");
		return -1;
	}
	if(!pxml.single_body_priorities)
		pxml.single_body_priorities = "";
	if(pxml.force_presence_single_body)
		LM_INFO("single body NOTIFY: <%s> ranked by '%s'\n",
				pxml.single_body_lookup_element, pxml.single_body_priorities);
	return 0;
}

static int add_events(void)
{
	pres_ev_t ev;

	if(!pxml.disable_presence) {
		memset(&ev, 0, sizeof(ev));
		ev.name = lp_str_c("presence");
		ev.content_type = lp_str_c("application/pidf+xml");
		ev.default_expires = pxml.default_expires;
		ev.type = PUBL_TYPE;
		ev.req_auth = pxml.force_active ? 0 : 1;
		ev.get_rules_doc = pxml_get_rules_doc;
		ev.get_pidf_doc = pxml_get_pidf_doc;
		ev.get_auth_status = pxml_get_auth_status;
		ev.apply_auth_nbody = apply_auth;
		ev.agg_nbody = agg_presence;
		ev.evs_publ_handl = publ_pidf;
		ev.free_body = pxml_free_body;
		if(pres_api.add_event(&ev) < 0)
			return -1;
	}
	if(!pxml.disable_winfo) {
		memset(&ev, 0, sizeof(ev));
		ev.name = lp_str_c("presence.winfo");
		ev.content_type = lp_str_c("application/watcherinfo+xml");
		ev.default_expires = pxml.default_expires;
		ev.type = WINFO_TYPE;
		if(pres_api.add_event(&ev) < 0)
			return -1;
	}
	if(!pxml.disable_bla) {
		memset(&ev, 0, sizeof(ev));
		ev.name = lp_str_c("dialog;sla");
		ev.content_type = lp_str_c("application/dialog-info+xml");
		ev.default_expires = pxml.default_expires;
		ev.type = PUBL_TYPE;
		ev.agg_nbody = agg_dialog;
		ev.evs_publ_handl = publ_dialog;
		ev.free_body = pxml_free_body;
		ev.aux_body_processing = aux_dialog;
		ev.aux_free_body = pxml_free_body;
		if(pres_api.add_event(&ev) < 0)
			return -1;
	}
	return add_xcapdiff();
}

/* The XCAP process (integrated_xcap_server 0): every 100 ms a refresh
 * round of the shared cache (pxml_xcap.h); it is where the HTTP requests
 * wait, never a SIP worker. */
#define XCAP_TICK_US 100000

static void xcap_tick(unsigned int ticks, void *param)
{
	pxml_xcap_refresh();
}

/* pxml.xcap_changed, in the XCAP process: re-evaluate the presentity's
 * watchers as presence.refreshWatchers <uri> presence 0 does. */
static void xcap_changed(const lp_str_t *user, const lp_str_t *domain)
{
	char buf[600];
	lp_str_t uri, ev = lp_str_c("presence");
	int n = snprintf(buf, sizeof(buf), "sip:%.*s@%.*s", user->len, user->s,
			domain->len, domain->s);

	if(n < 0 || n >= (int)sizeof(buf) || !pres_api.pres_refresh_watchers)
		return;
	uri.s = buf;
	uri.len = n;
	LM_DBG("pres-rules of %s changed: re-evaluating its watchers\n", buf);
	if(pres_api.pres_refresh_watchers(&uri, &ev, 0) < 0)
		LM_WARN("cannot re-evaluate the watchers of %s\n", buf);
}

static int check_xcap_limits(void)
{
	if(pxml.xcap_cache_ttl < 0 || pxml.xcap_cache_size <= 0
			|| pxml.xcap_connect_ms <= 0 || pxml.xcap_timeout_ms <= 0
			|| pxml.xcap_backoff_failures <= 0 || pxml.xcap_backoff_time < 0) {
		LM_ERR("xcap_cache_ttl and xcap_backoff_time must be 0 or more;"
			   " xcap_cache_size, xcap_connect_timeout, xcap_timeout and"
			   " xcap_backoff_failures positive\n");
		return -1;
	}
	return 0;
}

/* With integrated_xcap_server 0 the rules come over HTTP: at least one
 * xcap_server, the shared cache (shm, before the fork) and the XCAP
 * process. */
static int check_xcap_params(void)
{
	if(check_xcap_limits() < 0)
		return -1;
	if(pxml.force_active || pxml.integrated_xcap_server)
		return 0;
	if(pxml.xcap_nroots == 0) {
		LM_ERR("integrated_xcap_server is 0: set xcap_server (or"
			   " integrated_xcap_server 1, or force_active 1)\n");
		return -1;
	}
	if(pxml_xcap_init() < 0) {
		LM_ERR("no shared memory for the XCAP cache\n");
		return -1;
	}
	if(register_basic_timers(1) < 0) {
		LM_ERR("cannot register the XCAP process\n");
		return -1;
	}
	pxml.xcap_changed = xcap_changed;
	LM_INFO("pres-rules fetched over HTTP from %d xcap_server(s) by the"
			" XCAP process, cached %d s\n",
			pxml.xcap_nroots, pxml.xcap_cache_ttl);
	return 0;
}

static int mod_init(void)
{
	bind_presence_t bind;

	/* this start's hash key, before anything is hashed and before the
	 * fork (collisions cannot be precomputed) */
	if(lp_hash_seed_random() < 0) {
		LM_ERR("no randomness from the kernel for the hash key\n");
		return -1;
	}
	pxml.now = now_sec;
	if(pxml_stats_kam_init() < 0)
		return -1;
	if(pxml.passive_mode) {
		LM_INFO("passive mode: not binding to presence, no DB\n");
		return 0;
	}
	lp_kam_install();
	pxml.db_url = (db_url_p.s && db_url_p.len > 0) ? db_url_p.s : NULL;
	if(check_xcap_params() < 0 || check_single_body_params() < 0)
		return -1;
	if(!pxml.force_active && pxml.integrated_xcap_server && !pxml.db_url) {
		LM_ERR("db_url is needed for the pres-rules (or set force_active)\n");
		return -1;
	}
	if(pxml_sql_init() < 0 || reqdocs_init() < 0)
		return -1;
	bind = (bind_presence_t)find_export("bind_presence", 1, 0);
	if(!bind || bind(&pres_api) < 0) {
		LM_ERR("cannot bind presence (load presence before presence_xml)\n");
		return -1;
	}
	if(fanout_scope_init() < 0)
		return -1;
	pxml.get_sphere = pres_api.get_sphere;
	pxml.free_sphere = free_sphere;
	xmlInitParser();
	if(add_events() < 0) {
		LM_ERR("cannot register the XML event packages\n");
		return -1;
	}
	return 0;
}

/* The bounds of one request's handling for pxml_reqdocs: what the xcap
 * table gave is kept from the request's pre-script callbacks to its
 * post-script ones (a reply's script ends it too). */
static int request_begins(struct sip_msg *msg, unsigned int flags, void *p)
{
	pxml_reqdocs_begin(time(NULL));
	return 1; /* 0 would drop the message */
}

static int request_ends(struct sip_msg *msg, unsigned int flags, void *p)
{
	pxml_reqdocs_end();
	return 1;
}

/* The rules come from the xcap table, read per watcher unless kept. */
static int rules_from_table(void)
{
	return !pxml.force_active && pxml.integrated_xcap_server;
}

static int reqdocs_init(void)
{
	if(!rules_from_table())
		return 0;
	if(register_script_cb(request_begins, PRE_SCRIPT_CB | REQUEST_CB, NULL) < 0
			|| register_script_cb(request_ends, POST_SCRIPT_CB | REQUEST_CB, NULL)
					   < 0
			|| register_script_cb(request_ends, PRE_SCRIPT_CB | ONREPLY_CB, NULL)
					   < 0) {
		LM_ERR("cannot register the script callbacks\n");
		return -1;
	}
	return 0;
}

/* A fan-out outside a request (the expiry timer, refreshWatchers, a DMQ
 * worker) keeps what it reads as a request does: our presence tells when
 * one opens and closes; Kamailio's presence has no such export (nothing
 * kept there, as before). */
static void fanout_scope(int open)
{
	pxml_reqdocs_fanout(open, time(NULL));
}

static int fanout_scope_init(void)
{
	pres_fanout_listen_t add_listener;

	if(!rules_from_table())
		return 0;
	add_listener = (pres_fanout_listen_t)find_export(PRES_FANOUT_LISTEN, 1, 0);
	if(add_listener && add_listener(fanout_scope) < 0) {
		LM_ERR("cannot listen to presence's fan-outs\n");
		return -1;
	}
	return 0;
}

static int child_init(int rank)
{
	if(rank == PROC_MAIN && pxml.xcap
			&& fork_basic_utimer(PROC_TIMER, "PRESENCE_XML XCAP", 1, xcap_tick,
					   NULL, XCAP_TICK_US)
					   < 0) {
		LM_ERR("cannot start the XCAP process\n");
		return -1;
	}
	/* an RPC (presence.refreshWatchers) may wait for the servers */
	pxml.xcap_fetch_here = rank == PROC_RPC;
	if(pxml.passive_mode || !pxml.db_url || rank == PROC_INIT
			|| rank == PROC_MAIN || rank == PROC_TCP_MAIN)
		return 0;
	if(!pxml_db()) {
		LM_ERR("cannot open db_url in process rank %d\n", rank);
		return -1;
	}
	return 0;
}

static void mod_destroy(void)
{
	pxml_xcap_destroy();
	if(pxml.db)
		lp_db_close(pxml.db);
	pxml.db = NULL;
}

/* The presentity's current presence document into *out (malloc'd): 1,
 * 0 when nothing is published, -1 when presence is not bound. Asked of
 * presence (get_presentity), not read from the presentity table: with
 * publ_cache 1 presence's memory holds every acknowledged PUBLISH, the
 * table only what its DB writer has written so far (db_write_interval).
 * The document is the one watchers get (our agg_nbody, so with
 * force_presence_single_body the body it picks), except the dummy of
 * force_dummy_presence: nothing published stays "nothing" (the flag is
 * this process's copy, and the call runs in this process). */
static int pxml_presentity_doc(const lp_str_t *uri, lp_str_t *out)
{
	static str presence = str_init("presence");
	pres_ev_t *ev;
	lp_str_t *doc;
	int dummy = pxml.force_dummy_presence, rc = 0;

	*out = LP_STR_NULL;
	if(!pres_api.get_presentity || !pres_api.contains_event)
		return -1;
	ev = pres_api.contains_event((lp_str_t *)&presence, NULL);
	if(!ev)
		return 0;
	pxml.force_dummy_presence = 0;
	doc = pres_api.get_presentity(*uri, ev, NULL, NULL);
	pxml.force_dummy_presence = dummy;
	if(doc && doc->s && doc->len > 0)
		rc = lp_str_mdup(out, doc) < 0 ? -1 : 1;
	if(doc && pres_api.free_presentity)
		pres_api.free_presentity(doc, ev);
	return rc;
}

/* Script functions: the presentity's current PIDF, then the check. */
static int check(struct sip_msg *msg, char *uri_p, char *val_p,
		int (*fn)(const lp_str_t *, const lp_str_t *), int none)
{
	str uri, val;
	lp_str_t u, v, doc;
	int rc;

	if(fixup_get_svalue(msg, (gparam_t *)uri_p, &uri) < 0
			|| fixup_get_svalue(msg, (gparam_t *)val_p, &val) < 0) {
		LM_ERR("cannot evaluate the parameters\n");
		return -1;
	}
	u.s = uri.s;
	u.len = uri.len;
	v.s = val.s;
	v.len = val.len;
	rc = pxml_presentity_doc(&u, &doc);
	if(rc < 0) {
		LM_ERR("cannot read the presence of %.*s\n", uri.len, uri.s);
		return -1;
	}
	if(rc == 0)
		return none;
	rc = fn(&doc, &v);
	pxml_free_body(doc.s);
	return rc;
}

static int w_pres_check_basic(struct sip_msg *msg, char *uri, char *status)
{
	return check(msg, uri, status, pxml_check_basic, -1);
}

static int w_pres_check_activities(struct sip_msg *msg, char *uri, char *act)
{
	return check(msg, uri, act, pxml_check_activities, -2);
}

/* ---- KEMI: Kamailio 5.6's KSR.presence_xml.* (same names, parameters and
 * return codes as the script functions) ---- */
#include "core/kemi.h"

static int ki_check(str *uri, str *val,
		int (*fn)(const lp_str_t *, const lp_str_t *), int none)
{
	lp_str_t u = {uri->s, uri->len}, v = {val->s, val->len}, doc;
	int rc = pxml_presentity_doc(&u, &doc);

	if(rc < 0) {
		LM_ERR("cannot read the presence of %.*s\n", uri->len, uri->s);
		return -1;
	}
	if(rc == 0)
		return none;
	rc = fn(&doc, &v);
	pxml_free_body(doc.s);
	return rc;
}

static int ki_pres_check_basic(sip_msg_t *msg, str *uri, str *status)
{
	return ki_check(uri, status, pxml_check_basic, -1);
}

static int ki_pres_check_activities(sip_msg_t *msg, str *uri, str *activity)
{
	return ki_check(uri, activity, pxml_check_activities, -2);
}

/* clang-format off */
static sr_kemi_t pxml_kemi_exports[] = {
	{str_init("presence_xml"), str_init("pres_check_basic"), SR_KEMIP_INT,
		ki_pres_check_basic,
		{SR_KEMIP_STR, SR_KEMIP_STR, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE}},
	{str_init("presence_xml"), str_init("pres_check_activities"), SR_KEMIP_INT,
		ki_pres_check_activities,
		{SR_KEMIP_STR, SR_KEMIP_STR, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE}},
	{{0, 0}, {0, 0}, 0, NULL, {0, 0, 0, 0, 0, 0}}
};
/* clang-format on */

int mod_register(char *path, int *dlflags, void *p1, void *p2)
{
	sr_kemi_modules_add(pxml_kemi_exports);
	return 0;
}
