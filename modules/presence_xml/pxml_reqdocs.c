/* One request's pres-rules documents, a direct-mapped table by presentity;
 * see pxml_reqdocs.h. */
#include <stdlib.h>
#include <string.h>

#include "lp_mem.h"
#include "pxml_reqdocs.h"

typedef struct slot
{
	char *block;		   /* user, domain and doc in one malloc; NULL: empty */
	lp_str_t user, domain; /* in block */
	lp_str_t doc;		   /* in block; s NULL: there is no document */
} slot_t;

static struct
{
	int active;	  /* between begin and end */
	time_t begun; /* when it began */
	int fan_depth; /* fan-outs open (pxml_reqdocs_fanout) */
	int fan_began; /* the outermost one began the keeping */
	slot_t s[PXML_REQDOCS_SLOTS];
} req;

static void clear(void)
{
	int i;

	for(i = 0; i < PXML_REQDOCS_SLOTS; i++) {
		free(req.s[i].block);
		memset(&req.s[i], 0, sizeof(req.s[i]));
	}
}

void pxml_reqdocs_begin(time_t now)
{
	clear();
	req.active = 1;
	req.begun = now;
}

void pxml_reqdocs_end(void)
{
	if(!req.active)
		return;
	clear();
	req.active = 0;
}

/* Keeping, and not yet past its second. */
static int fresh(time_t now)
{
	return req.active && now >= req.begun && now - req.begun <= 1;
}

void pxml_reqdocs_fanout(int open, time_t now)
{
	if(open) {
		if(req.fan_depth++ > 0)
			return;
		req.fan_began = !fresh(now);
		if(req.fan_began)
			pxml_reqdocs_begin(now);
		return;
	}
	if(req.fan_depth == 0 || --req.fan_depth > 0)
		return;
	if(req.fan_began)
		pxml_reqdocs_end();
	req.fan_began = 0;
}

static slot_t *slot_of(const lp_str_t *user, const lp_str_t *domain)
{
	return &req.s[lp_hash_str2(user, domain) % PXML_REQDOCS_SLOTS];
}

int pxml_reqdocs_get(const lp_str_t *user, const lp_str_t *domain,
		time_t now, const lp_str_t **doc)
{
	slot_t *e;

	*doc = NULL;
	if(!fresh(now))
		return 0;
	e = slot_of(user, domain);
	if(!e->block || !lp_str_eq(&e->user, user)
			|| !lp_str_eq(&e->domain, domain))
		return 0;
	*doc = e->doc.s ? &e->doc : NULL;
	return 1;
}

void pxml_reqdocs_put(
		const lp_str_t *user, const lp_str_t *domain, const lp_str_t *doc)
{
	slot_t *e;
	int dlen = doc && doc->s ? doc->len : 0;
	char *b;

	if(!req.active || dlen > PXML_REQDOCS_MAX_DOC)
		return;
	e = slot_of(user, domain);
	free(e->block);
	memset(e, 0, sizeof(*e));
	if(!(b = e->block = malloc(user->len + domain->len + dlen + 3)))
		return;
	lp_str_put(&e->user, &b, user);
	lp_str_put(&e->domain, &b, domain);
	if(doc && doc->s)
		lp_str_put(&e->doc, &b, doc);
}
