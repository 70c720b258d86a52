/* Kamailio glue of enable_dmq (pres_dmq_kam.c). */
#ifndef PRES_DMQ_KAM_H
#define PRES_DMQ_KAM_H

/* In mod_init, when enable_dmq is set: bind dmq (loaded before presence),
 * register the DMQ peer "presence" (asking the other nodes for their
 * publications once dmq knows them when sync is set) and install the
 * sender. 0 or -1 (logged). */
int pres_dmq_kam_init(int sync);

#endif
