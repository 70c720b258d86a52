/* presence_xml module (first version): registers the `presence` event
 * (application/pidf+xml, RFC 3856/3863) into our presence module through
 * bind_presence, checks that published bodies are well-formed PIDF, and
 * accepts every parameter of the full module so existing configs load.
 * The latest publication is what watchers get and every watcher is active;
 * aggregation, presence.winfo, dialog;sla and XCAP rules come next. */
#include <string.h>

#include "core/dprint.h"
#include "core/mod_fix.h"
#include "core/parser/msg_parser.h"
#include "core/parser/parse_content.h"
#include "core/sr_module.h"

#include "lp_kam.h"
#include "../presence/presence_api.h"
#include "pxml_pidf.h"

#include <libxml/parser.h>

MODULE_VERSION

typedef struct pxml_state {
	str db_url;
	str xcap_table;
	int disable_presence;
	int disable_winfo;
	int disable_bla;
	int force_active;
	int integrated_xcap_server;
	int passive_mode;
	str xcapauth_userdel_reason;
	int force_dummy_presence;
	int xcap_servers; /* how many xcap_server lines were given */
	presence_api_t pres;
} pxml_state_t;

static pxml_state_t pxml = {
	.xcap_table = str_init("xcap"),
	.disable_bla = 1,
	.xcapauth_userdel_reason = str_init("probation"),
};

static int mod_init(void);
static int add_xcap_server(modparam_t type, void *val);

static param_export_t params[] = {
	{"db_url", PARAM_STR, &pxml.db_url},
	{"xcap_table", PARAM_STR, &pxml.xcap_table},
	{"disable_presence", INT_PARAM, &pxml.disable_presence},
	{"disable_winfo", INT_PARAM, &pxml.disable_winfo},
	{"disable_bla", INT_PARAM, &pxml.disable_bla},
	{"force_active", INT_PARAM, &pxml.force_active},
	{"integrated_xcap_server", INT_PARAM, &pxml.integrated_xcap_server},
	{"xcap_server", PARAM_STRING | USE_FUNC_PARAM, (void *)add_xcap_server},
	{"passive_mode", INT_PARAM, &pxml.passive_mode},
	{"xcapauth_userdel_reason", PARAM_STR, &pxml.xcapauth_userdel_reason},
	{"force_dummy_presence", INT_PARAM, &pxml.force_dummy_presence},
	{0, 0, 0}
};

struct module_exports exports = {
	"presence_xml",	 /* module name */
	DEFAULT_DLFLAGS, /* dlopen flags */
	0,				 /* script functions */
	params,			 /* parameters */
	0,				 /* RPC commands */
	0,				 /* pseudo-variables */
	0,				 /* response handler */
	mod_init,		 /* module init */
	0,				 /* per-child init */
	0				 /* destroy */
};

static int add_xcap_server(modparam_t type, void *val)
{
	if(!val || !*(char *)val) {
		LM_ERR("empty xcap_server\n");
		return -1;
	}
	pxml.xcap_servers++;
	return 0;
}

/* evs_publ_handl of `presence`: the body must be well-formed PIDF. */
static int pxml_publ_handl(struct sip_msg *msg)
{
	const char *why;
	char *body;
	int len;

	if(!msg)
		return -1;
	body = get_body(msg);
	len = 0;
	if(body && msg->content_length)
		len = get_content_length(msg);
	else if(body) /* UDP may omit Content-Length */
		len = (int)(msg->buf + msg->len - body);
	if(pxml_pidf_check(body, len, &why) < 0) {
		LM_INFO("PUBLISH body rejected: %s\n", why);
		return -1;
	}
	return 0;
}

static int add_presence_event(void)
{
	pres_ev_t ev;

	memset(&ev, 0, sizeof(ev));
	ev.name = lp_str_c("presence");
	ev.content_type = lp_str_c("application/pidf+xml");
	ev.default_expires = 3600;
	ev.type = PUBL_TYPE;
	ev.req_auth = 0; /* every watcher active until XCAP rules arrive */
	ev.evs_publ_handl = pxml_publ_handl;
	return pxml.pres.add_event(&ev);
}

static int mod_init(void)
{
	bind_presence_t bind;

	if(pxml.passive_mode) {
		LM_INFO("passive mode: not binding to presence\n");
		return 0;
	}
	bind = (bind_presence_t)find_export("bind_presence", 1, 0);
	if(!bind || bind(&pxml.pres) < 0) {
		LM_ERR("cannot bind presence (load presence before presence_xml)\n");
		return -1;
	}
	xmlInitParser();
	if(!pxml.disable_presence && add_presence_event() < 0) {
		LM_ERR("cannot add the presence event\n");
		return -1;
	}
	if(!pxml.disable_winfo)
		LM_INFO("presence.winfo is not served yet by this presence_xml\n");
	if(!pxml.disable_bla)
		LM_INFO("dialog;sla is not served yet by this presence_xml\n");
	return 0;
}
