/* Small shared pieces of the presence logic: parameter defaults, the event
 * registry wrappers, URI helpers, unique tokens and subscription copies. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lp_log.h"
#include "lp_rand.h"
#include "pres_logic.h"
#include "pres_stats.h"

pres_state_t pres = {.cfg = PRES_CFG_DEFAULTS};

void pres_cfg_defaults(pres_cfg_t *cfg)
{
	pres_cfg_t d = PRES_CFG_DEFAULTS;

	*cfg = d;
}

/* The registry keeps its own copy of the event (name and content type in
 * the same lp_malloc block): the caller's struct may live on its stack. */
static pres_ev_t *event_copy(const pres_ev_t *ev)
{
	pres_ev_t *c = lp_malloc(sizeof(*c) + ev->name.len + ev->content_type.len + 2);
	char *p;

	if(!c)
		return NULL;
	*c = *ev;
	p = (char *)(c + 1);
	memcpy(p, ev->name.s, ev->name.len);
	p[ev->name.len] = '\0';
	c->name.s = p;
	p += ev->name.len + 1;
	if(ev->content_type.len)
		memcpy(p, ev->content_type.s, ev->content_type.len);
	p[ev->content_type.len] = '\0';
	c->content_type.s = p;
	c->next = NULL;
	if(c->default_expires == 0)
		c->default_expires = 3600;
	return c;
}

static pres_ev_t *event_named(const char *name, int len)
{
	lp_event_t *e;

	for(e = pres.events.first; e; e = e->next)
		if(e->name.len == len && memcmp(e->name.s, name, len) == 0)
			return e->data;
	return NULL;
}

/* presence <-> presence.winfo (and any X <-> X.winfo): wipeer both ways. */
static void link_wipeer(pres_ev_t *c)
{
	static const char sfx[] = ".winfo";
	int sl = sizeof(sfx) - 1;
	char buf[256];
	pres_ev_t *peer;

	if(c->name.len > sl && memcmp(c->name.s + c->name.len - sl, sfx, sl) == 0) {
		peer = event_named(c->name.s, c->name.len - sl);
	} else {
		if(c->name.len + sl >= (int)sizeof(buf))
			return;
		memcpy(buf, c->name.s, c->name.len);
		memcpy(buf + c->name.len, sfx, sl);
		peer = event_named(buf, c->name.len + sl);
	}
	if(peer) {
		c->wipeer = peer;
		peer->wipeer = c;
	}
}

int pres_add_event(pres_ev_t *ev)
{
	pres_ev_t *c;

	if(!ev || !ev->name.s || ev->name.len <= 0) {
		LP_ERR("add_event: event without a name");
		return -1;
	}
	c = event_copy(ev);
	if(!c || !lp_event_register(&pres.events, &c->name, c)) {
		LP_ERR("add_event: cannot register event '%.*s' (malformed, duplicate"
			   " or out of memory)", LP_STR_FMT(ev->name));
		lp_free(c);
		return -1;
	}
	c->wipeer = NULL;
	link_wipeer(c);
	return 0;
}

pres_ev_t *pres_event_by_hdr(const lp_str_t *value)
{
	lp_event_hdr_t h;
	lp_event_t *e;

	if(lp_event_parse(value, &h) < 0)
		return NULL;
	e = lp_event_lookup(&pres.events, &h);
	return e ? (pres_ev_t *)e->data : NULL;
}

int pres_allow_events(char *buf, int size)
{
	return lp_event_allow_list(&pres.events, buf, size);
}

int pres_split_uri(const lp_str_t *uri, lp_str_t *user, lp_str_t *domain)
{
	lp_str_t u = *uri;
	char *at, *end;

	lp_str_trim(&u);
	if(u.len > 0 && u.s[0] == '<' && u.s[u.len - 1] == '>') {
		u.s++;
		u.len -= 2;
	}
	if(u.len > 4 && strncasecmp(u.s, "sip:", 4) == 0) {
		u.s += 4;
		u.len -= 4;
	} else if(u.len > 5 && strncasecmp(u.s, "sips:", 5) == 0) {
		u.s += 5;
		u.len -= 5;
	} else {
		return -1;
	}
	at = memchr(u.s, '@', u.len);
	if(!at || at == u.s)
		return -1;
	user->s = u.s;
	user->len = (int)(at - u.s);
	domain->s = at + 1;
	for(end = domain->s; end < u.s + u.len; end++)
		if(*end == ';' || *end == '?' || *end == ':' || *end == '>')
			break;
	domain->len = (int)(end - domain->s);
	return domain->len > 0 ? 0 : -1;
}

int pres_make_uri(char *buf, int size, const lp_str_t *user, const lp_str_t *domain)
{
	int n = snprintf(buf, size, "sip:%.*s@%.*s", LP_STR_FMT(*user),
			LP_STR_FMT(*domain));
	return (n < 0 || n >= size) ? -1 : n;
}

/* 128 bits from the kernel's CSPRNG (lp_rand), as hex: an ETag or To tag
 * nobody can guess from the time, the PID or a counter, and that two
 * instances sharing a database never both hand out. */
int pres_new_token(char *buf, int size, const char *prefix)
{
	char rnd[LP_TOKEN_LEN + 1];
	int n;

	if(lp_rand_token(rnd, sizeof(rnd)) < 0) {
		LP_ERR("no randomness from the kernel for a tag");
		return -1;
	}
	if(prefix && *prefix)
		n = snprintf(buf, size, "%s.%s", prefix, rnd);
	else
		n = snprintf(buf, size, "%s", rnd);
	return (n < 0 || n >= size) ? -1 : n;
}

subs_t *pres_subs_dup(const subs_t *s, int shared)
{
	return pres_subs_dup_ex(s, shared, 0);
}

size_t pres_subs_block_size(const subs_t *s)
{
	size_t size = sizeof(subs_t);

#define PRES_SZ(f) size += (size_t)s->f.len + 1;
	PRES_SUBS_STRS(PRES_SZ)
#undef PRES_SZ
	return size;
}

subs_t *pres_subs_fill(void *block, const subs_t *s)
{
	subs_t *d = block;
	char *p = (char *)(d + 1);

	*d = *s;
	d->next = NULL;
	d->auth_rules_doc = NULL;
#define PRES_CP(f)                               \
	d->f.s = p;                                  \
	if(s->f.len)                                 \
		memcpy(p, s->f.s, s->f.len);             \
	p[s->f.len] = '\0';                          \
	p += s->f.len + 1;
	PRES_SUBS_STRS(PRES_CP)
#undef PRES_CP
	return d;
}

void *pres_subs_dup_ex(const subs_t *s, int shared, size_t head)
{
	size_t size = head + pres_subs_block_size(s);
	char *block = shared ? lp_malloc(size) : malloc(size);

	if(!block)
		return NULL;
	memset(block, 0, head);
	pres_subs_fill(block + head, s);
	return block;
}

lp_db_t *pres_db(void)
{
	return pres_stats_db(
			lp_db_for_process(&pres.db, &pres.pid, pres.cfg.db_url));
}
