/* DMQ replication of publications (enable_dmq), the host-neutral part: the
 * message format (our own, versioned text encoding), its strict decoder
 * (messages come from the network), the conflict rule, and what a node does
 * with a received change (store it, NOTIFY its own watchers) or with a sync
 * request (collect every live publication). The glue (pres_dmq_kam.c) binds
 * Kamailio's dmq module and installs the sender.
 *
 * Message (version 1): a header line "PDMQ/1 PUB\n" or "PDMQ/1 SYNC\n",
 * then (PUB only) one or more records, each a line
 *   "<op> <received> <expires> <priority> <ul> <dl> <el> <tl> <ol> <sl> <bl>\n"
 * (op S store, R remove; the lengths of the fields that follow) followed by
 * the bytes user, domain, event, etag, old_etag, sender, body and "\n".
 *
 * Conflict rule: of two versions of one publication (user, domain, event,
 * etag) the one with the later received time wins; equal times go to the
 * later expiry, then the greater etag, then the greater body (bytes, then
 * length), so every node picks the same one whatever the arrival order. A
 * remove wins over a stored version not received after it, and over one
 * that arrives after the remove (pres_dmq_tomb.h: the removal is remembered
 * until every version it can beat has expired). */
#ifndef PRES_DMQ_H
#define PRES_DMQ_H

#include "pres_pub.h"

#define PRES_DMQ_PUB 1
#define PRES_DMQ_SYNC 2
#define PRES_DMQ_SUB 3
#define PRES_DMQ_SSYNC 4

/* limits of a decoded record (bytes) */
#define PRES_DMQ_MAX_KEY 255	/* user, domain, event, sender */
#define PRES_DMQ_MAX_ETAG 128	/* etag, old_etag */
#define PRES_DMQ_MAX_BODY 60000 /* a message must fit a UDP datagram */
/* a sync answer is split into messages of about this size, none over
 * PRES_DMQ_MSG_MAX (one big record alone) */
#define PRES_DMQ_CHUNK 16384
#define PRES_DMQ_MSG_MAX 61000

typedef struct pres_dmq_rec
{
	char op; /* 'S' store, 'R' remove */
	unsigned int received, expires;
	int priority;
	lp_str_t user, domain, event, etag, old_etag, sender, body;
} pres_dmq_rec_t;

/* A decoded message; recs point into the decoded buffer. */
typedef struct pres_dmq_msg
{
	int kind; /* PRES_DMQ_PUB or PRES_DMQ_SYNC */
	int n;
	pres_dmq_rec_t *recs; /* malloc'd; pres_dmq_msg_free */
} pres_dmq_msg_t;

/* An encoded message being built (malloc'd, grows). */
typedef struct pres_dmq_buf
{
	char *s;
	int len, cap, n; /* n: records */
} pres_dmq_buf_t;

/* Sends len bytes to node (NULL: every other node); 0 or -1. Installed by
 * the glue; the bytes are the caller's (copied before it returns). */
typedef int (*pres_dmq_send_f)(const char *s, int len, void *node);

/* Install the sender (NULL: replication off). */
void pres_dmq_set_sender(pres_dmq_send_f f);
/* Publication replication is on (enable_dmq, enable_pres_dmq and a sender
 * installed). */
int pres_dmq_on(void);
/* A sender is installed (enable_dmq), and sending through it (node NULL:
 * every other node); 0 or -1. */
int pres_dmq_has_sender(void);
int pres_dmq_send_to(const char *s, int len, void *node);

/* Start b as a message of kind (buffer malloc'd); 0 or -1 (b empty). */
int pres_dmq_begin(pres_dmq_buf_t *b, int kind);
/* Append record r; 0 or -1 (out of memory or a field over its limit; b
 * unchanged). */
int pres_dmq_add(pres_dmq_buf_t *b, const pres_dmq_rec_t *r);
void pres_dmq_buf_free(pres_dmq_buf_t *b);

/* Parse s (len bytes, need not be NUL-terminated) strictly: any deviation
 * from the format or a limit returns -1 and leaves m empty; on 0 m->recs is
 * malloc'd (pres_dmq_msg_free) and points into s, which must outlive m. */
int pres_dmq_decode(const char *s, int len, pres_dmq_msg_t *m);
void pres_dmq_msg_free(pres_dmq_msg_t *m);

/* The conflict rule: >0 when version a wins over b, <0 when b wins, 0 when
 * they are the same version. Only received, expires, etag, body count. */
int pres_dmq_cmp(const pres_dmq_rec_t *a, const pres_dmq_rec_t *b);

/* A local PUBLISH is about to store p (replacing old_etag, may be NULL):
 * encode the change into b (left empty when replication is off or on a
 * failure, which is logged: the local change stands). Once stored,
 * pres_dmq_send_buf(b) broadcasts it to the other nodes and frees b; when
 * the store failed, pres_dmq_buf_free(b). */
void pres_dmq_encode_store(
		pres_dmq_buf_t *b, const pres_pub_t *p, const lp_str_t *old_etag);
void pres_dmq_send_buf(pres_dmq_buf_t *b);
/* A local PUBLISH removed the publication k at time now: broadcast it. */
void pres_dmq_replicate_remove(const pres_pub_key_t *k, unsigned int now);

/* Apply a record received from another node: store or remove it when it
 * wins over the local version, and NOTIFY this node's watchers when the
 * state changed. Returns 1 applied, 0 ignored (older, unknown event,
 * expired), -1 error. Needs the DB connection of the calling process. */
int pres_dmq_apply(const pres_dmq_rec_t *r);

/* Answer a sync request from node: every live publication of this node,
 * in messages of about PRES_DMQ_CHUNK bytes, through the sender. Returns
 * the number of publications sent, -1 on error. */
int pres_dmq_send_sync(void *node);

/* Ask the other nodes for their publications (a node that joins). */
int pres_dmq_request_sync(void);

/* Handle one received message (s, len) from node: decode, then apply each
 * record or answer the sync. 0, or -1 when the message is malformed
 * (nothing applied; logged rate-limited). */
int pres_dmq_receive(const char *s, int len, void *node);

#endif
