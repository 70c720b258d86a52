/* The parsed rules and filtered bodies of this process, each in a
 * direct-mapped table (a new entry for a slot replaces the old one); see
 * pxml_authmemo.h. */
#include <stdlib.h>
#include <string.h>

#include "lp_mem.h"
#include "pxml_authmemo.h"

typedef struct ruleset_entry
{
	lp_str_t text;		/* malloc'd; NULL: the slot is empty */
	unsigned int hash;	/* of text */
	pxml_ruleset_t *rs; /* parsed from text */
} ruleset_entry_t;

typedef struct body_entry
{
	char *block;	 /* pidf, key and out in one malloc; NULL: empty */
	unsigned int hash; /* of key and pidf */
	lp_str_t pidf, key, out;
} body_entry_t;

static struct
{
	ruleset_entry_t rules[PXML_AUTHMEMO_RULESETS];
	body_entry_t bodies[PXML_AUTHMEMO_BODIES];
	/* the entries used last: a fan-out asks for them watcher after
	 * watcher, compared without hashing the texts again */
	ruleset_entry_t *last_rules;
	body_entry_t *last_body;
	unsigned long parses, filters;
} memo;

static void ruleset_clear(ruleset_entry_t *e)
{
	free(e->text.s);
	pxml_rules_ruleset_free(e->rs);
	memset(e, 0, sizeof(*e));
}

/* The parsed document for text: kept (*owned 0) or the caller's to free
 * (*owned 1: too large to keep, or out of memory for the copy). 0, or a
 * PXML_RULES_* error. */
static int ruleset_for(const lp_str_t *text, pxml_ruleset_t **rs, int *owned)
{
	unsigned int h;
	ruleset_entry_t *e;
	int rc;

	*owned = 1;
	if(!text || !text->s || text->len <= 0)
		return PXML_RULES_EINVAL;
	e = memo.last_rules;
	if(e && e->text.s && lp_str_eq(&e->text, text)) {
		*rs = e->rs;
		*owned = 0;
		return 0;
	}
	h = lp_hash_str(text);
	e = &memo.rules[h % PXML_AUTHMEMO_RULESETS];
	if(e->text.s && e->hash == h && lp_str_eq(&e->text, text)) {
		memo.last_rules = e;
		*rs = e->rs;
		*owned = 0;
		return 0;
	}
	memo.parses++;
	if((rc = pxml_rules_parse(text, rs)))
		return rc;
	if(text->len > PXML_AUTHMEMO_MAX_DOC)
		return 0;
	ruleset_clear(e);
	if(!(e->text.s = malloc(text->len)))
		return 0;
	memcpy(e->text.s, text->s, text->len);
	e->text.len = text->len;
	e->hash = h;
	e->rs = *rs;
	memo.last_rules = e;
	*owned = 0;
	return 0;
}

int pxml_authmemo_evaluate(const lp_str_t *rules_doc,
		const lp_str_t *watcher_uri, const char *sphere, time_t now,
		pxml_rules_result_t *out)
{
	pxml_ruleset_t *rs = NULL;
	int owned, rc;

	if(pxml_rules_evaluate_start(watcher_uri, out) < 0)
		return -1;
	if((rc = ruleset_for(rules_doc, &rs, &owned))) {
		out->error = rc;
		return -1;
	}
	rc = pxml_rules_evaluate_parsed(rs, watcher_uri, sphere, now, out);
	if(owned)
		pxml_rules_ruleset_free(rs);
	return rc;
}

/* Keep (pidf, key) -> out in e, in place of what it held. */
static void body_keep(body_entry_t *e, unsigned int h, const lp_str_t *pidf,
		const lp_str_t *key, const lp_str_t *out)
{
	char *b;

	free(e->block);
	memset(e, 0, sizeof(*e));
	if(pidf->len + out->len > PXML_AUTHMEMO_MAX_DOC
			|| !(b = e->block = malloc(pidf->len + key->len + out->len + 3)))
		return;
	e->hash = h;
	lp_str_put(&e->pidf, &b, pidf);
	lp_str_put(&e->key, &b, key);
	lp_str_put(&e->out, &b, out);
}

int pxml_authmemo_filter(
		const lp_str_t *pidf, const pxml_rules_result_t *r, lp_str_t *out)
{
	lp_str_t key, res;
	unsigned int h;
	body_entry_t *e;
	int rc = -1;

	if(!r || !out || !pidf || !pidf->s || pidf->len <= 0)
		return pxml_rules_filter(pidf, r, out);
	if(pxml_rules_result_key(r, &key) < 0)
		return -1;
	e = memo.last_body;
	if(e && e->block && lp_str_eq(&e->key, &key) && lp_str_eq(&e->pidf, pidf)) {
		free(key.s);
		return lp_str_mdup(out, &e->out);
	}
	h = lp_hash_bytes(pidf->s, pidf->len, lp_hash_str(&key));
	e = &memo.bodies[h % PXML_AUTHMEMO_BODIES];
	memo.last_body = e;
	if(e->block && e->hash == h && lp_str_eq(&e->key, &key)
			&& lp_str_eq(&e->pidf, pidf)) {
		rc = lp_str_mdup(out, &e->out);
	} else {
		memo.filters++;
		if((rc = pxml_rules_filter(pidf, r, &res)) == 0) {
			body_keep(e, h, pidf, &key, &res);
			*out = res;
		}
	}
	free(key.s);
	return rc;
}

void pxml_authmemo_flush(void)
{
	int i;

	memo.last_rules = NULL;
	memo.last_body = NULL;
	for(i = 0; i < PXML_AUTHMEMO_RULESETS; i++)
		ruleset_clear(&memo.rules[i]);
	for(i = 0; i < PXML_AUTHMEMO_BODIES; i++) {
		free(memo.bodies[i].block);
		memset(&memo.bodies[i], 0, sizeof(memo.bodies[i]));
	}
}

unsigned long pxml_authmemo_parses(void)
{
	return memo.parses;
}

unsigned long pxml_authmemo_filters(void)
{
	return memo.filters;
}
