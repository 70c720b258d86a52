/* Kamailio adapters of presence_b2b: pb2b_send_t -> SUBSCRIBE through tm
 * (and its final reply -> pb2b_handle_reply), NOTIFY -> pb2b_notify_t and
 * the 200 that answers it. */
#ifndef B2B_KAM_H
#define B2B_KAM_H

#include "lp_kam.h"
#include "core/parser/msg_parser.h"
#include "modules/sl/sl.h"
#include "modules/tm/tm_load.h"

#include "b2b_logic.h"

extern struct tm_binds pb2b_tmb;
extern sl_api_t pb2b_slb;

/* Seconds of wall-clock time. */
unsigned int pb2b_kam_now(void);

/* Fill cfg.contact and cfg.default_subscriber from the first listen
 * socket when the operator left them empty. 0 or -1. */
int pb2b_kam_local_uris(void);

/* Send one SUBSCRIBE; a send that fails is reported to the logic as a
 * 408. 0 or -1. */
int pb2b_kam_send(const pb2b_send_t *s);

/* handle_notify(): 1 when a subscription matched (200 sent), -1 when none
 * did (nothing sent: the script answers 481). */
int pb2b_kam_handle_notify(struct sip_msg *msg);

#endif
