/* Kamailio glue of enable_dmq (pres_dmq_kam.c). */
#ifndef PRES_DMQ_KAM_H
#define PRES_DMQ_KAM_H

/* In mod_init, when enable_dmq is set: bind dmq (loaded before presence),
 * with enable_subs_dmq learn this node's URI (dmq's server_address),
 * register the DMQ peer "presence" (asking the other nodes for their
 * publications once dmq knows them when sync is set, for their
 * subscriptions when subs_sync is) and install the sender. 0 or -1
 * (logged). */
int pres_dmq_kam_init(int sync, int subs_sync);

#endif
