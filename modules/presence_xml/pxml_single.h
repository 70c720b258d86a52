/* force_presence_single_body: out of a presentity's publications, the one
 * whose state matters most (a ring group or an attendant publishing one
 * document per dialog would otherwise get them all merged into one NOTIFY).
 * Host-neutral. */
#ifndef PXML_SINGLE_H
#define PXML_SINGLE_H

#include "lp_str.h"

/* The priority of `value` in `priorities` ('|'-separated, importance growing
 * from left to right): 1 for the first name, 2 for the second ...; 0 when
 * value is NULL or not in the list. Names are compared without case, spaces
 * around value and names ignored. */
int pxml_single_priority(const char *priorities, const char *value);

/* The index in bodies[0..n) (oldest first) of the body to send alone: the
 * one whose first element named `element` (local name, without case, any
 * namespace, depth first from the root) has the highest priority; among
 * equals the newest. Bodies that are not well-formed PIDF documents are
 * never chosen. -1 when none is usable or on bad arguments. */
int pxml_single_pick(lp_str_t **bodies, int n, const char *priorities,
		const char *element);

#endif
