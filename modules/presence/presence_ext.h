/* What our presence exports beyond Kamailio 5.6's binary API
 * (presence_api.h). A module finds it with Kamailio's find_export, so it
 * still runs on Kamailio's presence, where find_export gives NULL and
 * nothing changes. Host-neutral (no Kamailio header). */
#ifndef PRESENCE_EXT_H
#define PRESENCE_EXT_H

/* A listener of fan-outs: called with open 1 before a fan-out reads the
 * presentity's state (a PUBLISH's, an expiry's, refreshWatchers', a DMQ
 * or DB-sync update's, a re-authorization of every watcher after
 * refreshWatchers type 0), and with 0 after its last NOTIFY; nested
 * fan-outs call it nested. Called in the process that runs the fan-out,
 * with the presentity's fan-out lock held: it must not send SIP or take
 * presence's locks. */
typedef void (*pres_fanout_fn)(int open);

/* find_export(PRES_FANOUT_LISTEN, 1, 0) gives a pres_fanout_listen_t:
 * fn is added to the listeners (at most PRES_FANOUT_HOOKS, the glue's
 * own among them). Call it from mod_init, before the fork, so that
 * every process has it. 0, or -1 (fn NULL, or no room). */
#define PRES_FANOUT_LISTEN "pres_fanout_listen"
#define PRES_FANOUT_HOOKS 4
typedef int (*pres_fanout_listen_t)(pres_fanout_fn fn);

#endif
