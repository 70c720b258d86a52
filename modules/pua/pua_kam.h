/* Kamailio adapters of the pua module: pua_req_t -> request through tm
 * (t_request_outside for PUBLISH, t_request_within on a dialog pua built
 * for SUBSCRIBE), tm reply callback -> pua_reply_t, NOTIFY -> pua_notify_t
 * and its reply. */
#ifndef PUA_KAM_H
#define PUA_KAM_H

#include "lp_kam.h"
#include "core/parser/msg_parser.h"
#include "modules/sl/sl.h"
#include "core/rpc.h"
#include "modules/tm/tm_load.h"

#include "pua_logic.h"

extern struct tm_binds pua_tmb;
extern sl_api_t pua_slb;

/* pua.send: hand req to tm. 0, or -1 when tm refused it. */
int pua_kam_send(const pua_req_t *req);

/* Script functions: pua_handle_notify() replies to the NOTIFY (200, or 481
 * when no dialog matches) and returns 1 / -1; pua_update_contact() returns
 * 1 when the dialog's remote target was updated, -1 otherwise. */
int pua_kam_handle_notify(struct sip_msg *msg);
int pua_kam_update_contact(struct sip_msg *msg);

/* "sip:<user>@<ip>:<port>" of the first listening socket, for the Contact
 * of subscriptions made through RPC; written into buf, length or -1. */
int pua_kam_local_contact(const lp_str_t *watcher, char *buf, int size);

/* Private memory of the host for modules built for Kamailio
 * (pua.foreign_alloc / foreign_free). */
void *pua_kam_pkg_malloc(size_t size);
void pua_kam_pkg_free(void *ptr);

/* ---- RPC (pua_rpc_kam.c) ---- */

/* pua.cleanup and pua.list, in pua's exports. */
void pua_rpc_cleanup(rpc_t *rpc, void *ctx);
void pua_rpc_list(rpc_t *rpc, void *ctx);
extern const char *pua_rpc_cleanup_doc[];
extern const char *pua_rpc_list_doc[];

/* pua.publish, pua.send_publish and pua.subscribe (Kamailio's pua_rpc
 * module's commands): registered here, at PROC_INIT, each only when no
 * other module (a pua_rpc) registered it. 0, or -1 on failure. */
int pua_rpc_kam_register(void);

#endif
