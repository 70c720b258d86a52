/* DMQ replication of subscriptions (Kamailio 6.1's enable_subs_dmq, with
 * enable_dmq), host-neutral: the records, who notifies a replicated
 * subscription, and what a node does with a received record or a sync
 * request. The subscription table (pres_subs.c) calls in here; the glue
 * (pres_dmq_kam.c) installs this node's URI and the liveness test.
 *
 * Ownership. Every node holds every subscription of the cluster; each has
 * one owner, the node that took its last SUBSCRIBE (or took it over). The
 * others hold a replica: listed (watcher_list, winfo documents), never
 * written to their DB, never notified by them while the owner is an active
 * DMQ node. Who sends the NOTIFYs of a state change:
 *   - a node notifies the subscriptions it owns on every change it learns,
 *     its own PUBLISHes and replicated ones (unless skip_notify_dmq);
 *   - the node that took a PUBLISH also notifies the replicas whose owner
 *     dmq no longer lists as active, and with skip_notify_dmq 1 every
 *     replica (the other nodes then send nothing for it);
 *   - a node that notifies a replica, or takes an in-dialog SUBSCRIBE for
 *     one (a dispatcher that failed over), becomes its owner and says so.
 * CSeq. An owner replicates a bound (reserved) above every NOTIFY CSeq it
 * has used or will use before the next record; a node that takes over
 * starts above that bound, so the watcher sees the CSeqs increase.
 * Conflicts: of two versions of a subscription, the later `changed` time
 * wins, then the higher local CSeq, then the higher remote CSeq, then the
 * greater owner URI: every node picks the same.
 *
 * Message (version 1): "PDMQ/1 SUB\n" then records, or "PDMQ/1 SSYNC\n"
 * (a node that joins asks for every subscription). A record is a line
 *   "<op> <changed> <reserved> <expires> <remote_cseq> <local_cseq>
 *    <status> <version> <flags> <owner len> <event len> <17 lengths>\n"
 * (op S store, R remove; single spaces; the 17 lengths of PRES_SUBS_STRS's
 * fields in its order) followed by the bytes of the owner URI, the event
 * and the 17 fields, and "\n". A remove carries the dialog (callid, to_tag,
 * from_tag) and pres_uri; its other fields are empty. */
#ifndef PRES_DMQ_SUBS_H
#define PRES_DMQ_SUBS_H

#include "pres_dmq.h"
#include "pres_dmq_codec.h"
#include "pres_subs.h"

#define PRES_DMQ_SFIELD_MAX 4096 /* bytes of one field */
#define PRES_DMQ_OWNERS 64		 /* distinct owner URIs a node remembers */
#define PRES_DMQ_OWNER_MAX 128	 /* bytes of an owner URI */
/* NOTIFY CSeqs an owner may use beyond the replicated bound */
#define PRES_DMQ_CSEQ_AHEAD 32

typedef struct pres_dmq_srec
{
	char op; /* 'S' store, 'R' remove */
	unsigned int changed, reserved;
	lp_str_t owner, event;
	subs_t s; /* strings point into the message; s.event NULL */
} pres_dmq_srec_t;

typedef struct pres_dmq_smsg
{
	int kind; /* PRES_DMQ_SUB or PRES_DMQ_SSYNC */
	int n;
	pres_dmq_srec_t *recs; /* malloc'd; pres_dmq_smsg_free */
} pres_dmq_smsg_t;

/* ---- the node ---- */

/* Tells whether the node of an owner URI is an active DMQ node. */
typedef int (*pres_dmq_alive_f)(const lp_str_t *uri);

/* In mod_init (before the fork): this node's DMQ URI (dmq's
 * server_address) and the liveness test; allocates the owner table. 0, or
 * -1 (out of memory, URI empty or too long). */
int pres_dmq_subs_init(const lp_str_t *self, pres_dmq_alive_f alive);
void pres_dmq_subs_destroy(void);
/* Subscription replication is on (enable_dmq, enable_subs_dmq, the table
 * initialised and a sender installed). */
int pres_dmq_subs_on(void);

/* Set while this process applies a replicated publication: its NOTIFYs
 * go to the subscriptions this node owns only. */
extern int pres_dmq_applying;

/* Owner ids: 0 is this node; others index the owner table. The id of uri
 * (added when new), or -1 when the table is full. */
int pres_dmq_owner_id(const lp_str_t *uri);

/* Taken once per NOTIFY round, before the subscription bucket is locked:
 * which replicas this round notifies. */
typedef struct pres_dmq_view
{
	int on, all;		   /* on: replication; all: every replica */
	unsigned char notify[PRES_DMQ_OWNERS]; /* by owner id: 1 notify */
} pres_dmq_view_t;
void pres_dmq_subs_view(pres_dmq_view_t *v);

/* ---- records ---- */

int pres_dmq_sbegin(pres_dmq_buf_t *b, int kind);
/* Append r; 0 or -1 (out of memory or a field over its limit; b
 * unchanged). */
int pres_dmq_sadd(pres_dmq_buf_t *b, const pres_dmq_srec_t *r);
/* Strict parse (as pres_dmq_decode); m->recs point into s. */
int pres_dmq_sdecode(const char *s, int len, pres_dmq_smsg_t *m);
void pres_dmq_smsg_free(pres_dmq_smsg_t *m);
/* The conflict rule: >0 when a wins, <0 when b wins, 0 the same. */
int pres_dmq_scmp(const pres_dmq_srec_t *a, const pres_dmq_srec_t *b);

/* Records to replicate, gathered (with the records' bucket locked) into
 * c, which starts zeroed, then broadcast and freed by pres_dmq_subs_send
 * once the lock is released: in messages of about PRES_DMQ_CHUNK bytes (a
 * fan-out may renew the CSeq bound of every watcher of a presentity at
 * once; one message would not fit UDP).
 * pres_dmq_subs_store appends the store record of r (its owner, this node
 * when 0); a failure is logged (c->err set when out of memory). */
void pres_dmq_subs_store(pres_dmq_chunks_t *c, const pres_srec_t *r);
void pres_dmq_subs_send(pres_dmq_chunks_t *c);
/* The conflict rule on two records: >0 when a wins over b. */
int pres_dmq_subs_wins(const pres_srec_t *a, const pres_srec_t *b);
/* Broadcast the remove of dialog k (pres_uri may be NULL) changed at now. */
void pres_dmq_subs_remove(const lp_str_t *pres_uri, const pres_dlg_key_t *k);

/* Ask the other nodes for their subscriptions (a node that joins). */
int pres_dmq_subs_request_sync(void);
/* Handle a received message of ours that is a subscription message (s,
 * len from node): 1 handled, 0 not a subscription message, -1 malformed
 * (nothing applied, logged). */
int pres_dmq_subs_receive(const char *s, int len, void *node);

#endif
