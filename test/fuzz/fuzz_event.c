/* libFuzzer target: the Event header parser (untrusted: every SUBSCRIBE,
 * PUBLISH and NOTIFY carries one) and the registry lookup behind it. The
 * input is one Event value; invariants: a parsed value's strings point into
 * the input, a value equals itself (RFC 6665 comparison), a lookup only
 * returns a registered package whose name matches the parsed name. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lp_event.h"

static const char *pkgs[] = {"presence", "presence.winfo", "dialog;sla",
		"dialog", "message-summary", "reg"};

static int inside(const lp_str_t *s, const uint8_t *d, size_t n)
{
	if(!s->s)
		return s->len == 0;
	return s->len >= 0 && (const uint8_t *)s->s >= d
		   && (const uint8_t *)s->s + s->len <= d + n;
}

static lp_event_registry_t *registry(void)
{
	static lp_event_registry_t reg;
	static int done;
	unsigned int i;
	lp_str_t n;

	if(!done) {
		for(i = 0; i < sizeof(pkgs) / sizeof(pkgs[0]); i++) {
			n = lp_str_c(pkgs[i]);
			if(!lp_event_register(&reg, &n, NULL))
				abort();
		}
		done = 1;
	}
	return &reg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	lp_event_hdr_t h;
	lp_event_t *e;
	lp_str_t v = {(char *)data, (int)size};
	int i;

	if(size > 4096)
		return 0;
	if(lp_event_parse(&v, &h) < 0)
		return 0;
	if(!inside(&h.name, data, size) || !inside(&h.package, data, size)
			|| !inside(&h.id, data, size) || h.name.len <= 0
			|| h.nparams < 0 || h.nparams > LP_EVENT_MAX_PARAMS)
		abort();
	for(i = 0; i < h.nparams; i++)
		if(!inside(&h.params[i].name, data, size)
				|| !inside(&h.params[i].value, data, size))
			abort();
	if(!lp_event_same(&h, &h))
		abort();
	e = lp_event_lookup(registry(), &h);
	if(e && !lp_str_eq(&e->parsed.name, &h.name))
		abort();
	return 0;
}
