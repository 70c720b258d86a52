/* Presence authorization rules (RFC 4745 common policy, RFC 5025 pres-rules),
 * host-neutral: evaluate a pres-rules document for one watcher into a
 * combined permission set, turn its sub-handling into a subscription state,
 * and apply its transformations to a PIDF document for that watcher.
 * Nothing here logs or touches Kamailio; errors come back as codes.
 * Memory is plain malloc/free (the caller copies into shm/pkg if it needs to);
 * no function keeps state between calls, none takes a lock. */
#ifndef PXML_RULES_H
#define PXML_RULES_H

#include <time.h>

#include "lp_str.h"

#define PXML_NS_COMMON_POLICY "urn:ietf:params:xml:ns:common-policy"
#define PXML_NS_PRES_RULES "urn:ietf:params:xml:ns:pres-rules"

/* <sub-handling> (RFC 5025 section 3.2.1). The values are the RFC's own
 * integers: block 0, confirm 10, polite-block 20, allow 30, so that
 * "most permissive wins" (RFC 4745 section 10) is a plain maximum. Block is
 * also the value of a matching rule set that names no sub-handling. */
typedef enum {
	PXML_SUB_BLOCK = 0,
	PXML_SUB_CONFIRM = 10,
	PXML_SUB_POLITE_BLOCK = 20,
	PXML_SUB_ALLOW = 30
} pxml_sub_handling_t;

/* <provide-user-input> (RFC 5025): an ordered enumeration, combined by max. */
typedef enum {
	PXML_UI_FALSE = 0,		/* <user-input> removed */
	PXML_UI_BARE = 1,		/* kept without idle-threshold / last-input */
	PXML_UI_THRESHOLDS = 2, /* kept with idle-threshold, without last-input */
	PXML_UI_FULL = 3		/* kept as published */
} pxml_user_input_t;

/* Boolean presence-attribute permissions (RFC 5025 section 3.3.2), one bit
 * each in pxml_rules_result_t.provide; combined by OR. */
enum {
	PXML_PROVIDE_ACTIVITIES = 1u << 0,
	PXML_PROVIDE_CLASS = 1u << 1,
	PXML_PROVIDE_DEVICEID = 1u << 2,
	PXML_PROVIDE_MOOD = 1u << 3,
	PXML_PROVIDE_PLACE_IS = 1u << 4,
	PXML_PROVIDE_PLACE_TYPE = 1u << 5,
	PXML_PROVIDE_PRIVACY = 1u << 6,
	PXML_PROVIDE_RELATIONSHIP = 1u << 7,
	PXML_PROVIDE_STATUS_ICON = 1u << 8,
	PXML_PROVIDE_SPHERE = 1u << 9,
	PXML_PROVIDE_TIME_OFFSET = 1u << 10,
	PXML_PROVIDE_NOTE = 1u << 11,
	/* <provide-all-attributes/>: every child of a provided component */
	PXML_PROVIDE_ALL_ATTRIBUTES = 1u << 12
};

/* A set of malloc'd NUL-terminated strings (no duplicates). */
typedef struct pxml_strset {
	char **v;
	int n;
	int cap;
} pxml_strset_t;

/* Which components of one kind (services = tuples, persons, devices) are
 * provided (RFC 5025 section 3.3.1). A component is provided when `all` is
 * set or it matches any entry of any list. Lists that do not apply to a
 * kind stay empty (service_uri/scheme for services only, device_id for
 * devices only). Combined by union. */
typedef struct pxml_component_sel {
	int all;
	pxml_strset_t occurrence_id;	  /* the component's id attribute */
	pxml_strset_t class_;			  /* its RPID <class> value */
	pxml_strset_t device_id;		  /* a device's <deviceID> */
	pxml_strset_t service_uri;		  /* a tuple's <contact> */
	pxml_strset_t service_uri_scheme; /* the scheme of that <contact> */
} pxml_component_sel_t;

/* Error codes, in pxml_rules_result_t.error after a failed evaluation. */
enum {
	PXML_RULES_OK = 0,
	PXML_RULES_EINVAL = -2,	 /* NULL or empty argument */
	PXML_RULES_ETOOBIG = -3, /* document larger than PXML_MAX_BODY */
	PXML_RULES_EDTD = -4,	 /* DOCTYPE / ENTITY declaration present */
	PXML_RULES_EXML = -5,	 /* not well-formed XML */
	PXML_RULES_EROOT = -6,	 /* wrong root element or namespace */
	PXML_RULES_ENOMEM = -7
};

/* The combined permissions for one watcher (RFC 4745 section 10). */
typedef struct pxml_rules_result {
	int matched; /* at least one rule's conditions held */
	int error;	 /* PXML_RULES_* after a failure, else PXML_RULES_OK */
	pxml_sub_handling_t sub_handling;
	pxml_component_sel_t services; /* <provide-services> */
	pxml_component_sel_t persons;  /* <provide-persons> */
	pxml_component_sel_t devices;  /* <provide-devices> */
	unsigned int provide;		   /* PXML_PROVIDE_* bits */
	pxml_user_input_t user_input;
	/* <provide-unknown-attribute ns= name=>true</...>: parallel sets, entry
	 * i of each naming one element; only for elements this module does not
	 * know (anything but PIDF/data-model/RPID elements listed above). */
	pxml_strset_t unknown_ns;
	pxml_strset_t unknown_name;
} pxml_rules_result_t;

/* Evaluate the pres-rules document rules_doc for watcher_uri (the watcher's
 * authenticated URI, e.g. "sip:bob@example.com"; URI parameters ignored)
 * at time `now`, with the presentity's current RPID sphere (NULL: unknown,
 * then every rule with a <sphere> condition fails).
 *
 * A rule matches when every one of its conditions holds (no conditions:
 * always); a condition element this module does not implement makes its
 * rule fail (privacy-safe). Matching rules are combined per RFC 4745
 * section 10: sub-handling by maximum, booleans by OR, sets by union.
 *
 * Returns 0 and fills *out (matched=0 and nothing granted when no rule
 * matches: the caller keeps the subscription pending). Returns -1 when the
 * document cannot be used (out->error says why; nothing is allocated).
 * *out is always initialised, so pxml_rules_result_free(out) is safe after
 * either; the caller owns *out and must call it. */
int pxml_rules_evaluate(const lp_str_t *rules_doc, const lp_str_t *watcher_uri,
		const char *sphere, time_t now, pxml_rules_result_t *out);

/* Release what pxml_rules_evaluate() allocated in *r and zero it. The
 * struct itself belongs to the caller. NULL is accepted. */
void pxml_rules_result_free(pxml_rules_result_t *r);

/* A pres-rules document parsed once for many evaluations (one presentity's
 * watchers): pxml_rules_evaluate() is pxml_rules_parse(), then
 * pxml_rules_evaluate_parsed(), then pxml_rules_ruleset_free(). */
typedef struct pxml_ruleset pxml_ruleset_t;

/* Parse rules_doc into *out (malloc'd, the caller frees it with
 * pxml_rules_ruleset_free). 0, or a PXML_RULES_* error (*out NULL). */
int pxml_rules_parse(const lp_str_t *rules_doc, pxml_ruleset_t **out);

/* pxml_rules_evaluate() on a parsed document; rs is only read. */
int pxml_rules_evaluate_parsed(const pxml_ruleset_t *rs,
		const lp_str_t *watcher_uri, const char *sphere, time_t now,
		pxml_rules_result_t *out);

/* The checks every evaluation starts with: *out zeroed, and -1 with
 * out->error PXML_RULES_EINVAL for a missing or empty watcher URI (-1
 * without out); else 0. */
int pxml_rules_evaluate_start(
		const lp_str_t *watcher_uri, pxml_rules_result_t *out);

/* Free what pxml_rules_parse() made. NULL is accepted. */
void pxml_rules_ruleset_free(pxml_ruleset_t *rs);

/* Bytes that stand for everything of r that pxml_rules_filter() reads:
 * two results with the same key filter every document alike (results with
 * different keys may still, e.g. the same sets in another order). out->s
 * malloc'd (binary, compare it by length), freed by the caller. 0, or -1
 * out of memory. */
int pxml_rules_result_key(const pxml_rules_result_t *r, lp_str_t *out);

/* Apply the transformations of r to the PIDF document pidf and put a new
 * PIDF document in *out (out->s malloc'd, NUL-terminated, freed by the
 * caller with free()).
 *   allow: tuples/persons/devices not provided are removed; in the provided
 *     ones every child not granted by a provide-* permission is removed,
 *     except what identifies the component (tuple <status><basic>,
 *     <contact>, <timestamp>; device <deviceID>; <timestamp>);
 *     provide-all-attributes keeps provided components whole. Comments and
 *     processing instructions in the filtered levels are dropped.
 *   polite-block: pxml_rules_polite_doc() for the document's entity.
 *   confirm, block, or nothing matched: a <presence> with no component.
 * Returns 0, or -1 (pidf unusable, not PIDF, or out of memory) with *out
 * untouched. Without a published document there is nothing to filter: for
 * polite-block the caller can use pxml_rules_polite_doc() with the
 * presentity URI. */
int pxml_rules_filter(
		const lp_str_t *pidf, const pxml_rules_result_t *r, lp_str_t *out);

/* A PIDF document for `entity` that reveals nothing: one tuple whose basic
 * status is closed (RFC 5025 section 3.2.1, "the presentity is
 * unavailable"). out->s malloc'd, NUL-terminated, freed with free().
 * Returns 0 or -1. */
int pxml_rules_polite_doc(const lp_str_t *entity, lp_str_t *out);

/* Subscription-State value for the decision h: allow and polite-block
 * "active" (polite-block looks accepted), confirm "pending", block
 * "terminated". Static string. */
const char *pxml_sub_state(pxml_sub_handling_t h);

/* Reason parameter to go with pxml_sub_state(): "rejected" for block (RFC
 * 6665 section 4.2.2: the authorization policy refuses the watcher), NULL
 * for the others. Static string. */
const char *pxml_sub_reason(pxml_sub_handling_t h);

/* The name of a sub-handling value ("block", "confirm", "polite-block",
 * "allow"), e.g. for winfo or logs. Static string. */
const char *pxml_sub_handling_name(pxml_sub_handling_t h);

/* Text for a PXML_RULES_* code. Static string. */
const char *pxml_rules_strerror(int err);

#endif
