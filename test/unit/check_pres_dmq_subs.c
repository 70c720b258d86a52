/* DMQ replication of subscriptions (pres_dmq_subs.c and its hooks in
 * pres_subs.c, pres_dmq.c) without Kamailio: the record format (round trip
 * of every field, a strict decoder that refuses every truncation, limit
 * and stray byte), the conflict rule, what a local SUBSCRIBE and
 * un-SUBSCRIBE broadcast, received records stored as replicas (listed,
 * never written to the DB, older versions ignored, removes without
 * NOTIFY), who notifies a replica (its owner while alive; this node when
 * the owner is dead, then taking it over above the replicated CSeq bound;
 * everybody with skip_notify_dmq; never for a replicated publication), a
 * node's own subscription back from a sync, and the sync answer. A temp
 * SQLite DB, a fake clock, captured DMQ sends and NOTIFYs. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lp_log.h"
#include "lp_test.h"
#include "t_dmq_fixture.h"
#include "pres_dmq.h"
#include "pres_dmq_subs.h"
#include "pres_logic.h"
#include "pres_subs.h"
#include "t_pres_fixture.h"

#define T0 LP_TEST_T0
#define DOMAIN "example.com"
#define ALICE "sip:alice@example.com"
#define SELF "sip:127.0.0.1:5060"
#define PEER "sip:127.0.0.2:5060"
#define NFIELDS 19 /* owner, event and PRES_SUBS_STRS's 17 */

/* ---- fixture: DB, fake clock, captured DMQ sends and NOTIFYs ---- */

#define NOTIFY_MAX 512
static struct
{
	char callid[64];
	unsigned int cseq;
} notified[NOTIFY_MAX];
static int nnotify, peer_alive;
static const char *url;
static int peer_node; /* its address stands for the node a message came from */

static int capture_notify(const pres_notify_t *n)
{
	ck_assert_int_lt(nnotify, NOTIFY_MAX);
	snprintf(notified[nnotify].callid, sizeof(notified[0].callid), "%.*s",
			LP_STR_FMT(n->subs->callid));
	notified[nnotify].cseq = n->subs->local_cseq;
	nnotify++;
	return 0;
}

static int alive(const lp_str_t *uri)
{
	ck_assert(lp_str_eq(uri, &LP_STR(PEER))); /* never asked about itself */
	return peer_alive;
}

static int publ_ok(struct sip_msg *msg)
{
	return 0;
}

static void setup(void)
{
	lp_test_mem_install();
	lp_test_log_install();
	url = lp_test_pres_start("pres_dmq_subs", 1, publ_ok);
	pres.cfg.enable_dmq = 1;
	pres.cfg.subs_dmq = 1;
	pres.send_notify = capture_notify;
	nnotify = 0;
	peer_alive = 1;
	lp_test_send_result = 0;
	pres_dmq_set_sender(lp_test_capture_send);
	ck_assert_int_eq(pres_dmq_subs_init(&LP_STR(SELF), alive), 0);
	ck_assert(pres_dmq_subs_on());
}

static void teardown(void)
{
	pres_dmq_subs_destroy();
	pres_dmq_set_sender(NULL);
	lp_test_sent_reset();
	lp_test_pres_stop(); /* asserts lp_test_mem_live() == 0 */
}

/* ---- helpers ---- */

/* A store record of a "presence" subscription of carol to alice, owned by
 * owner, dialog (callid, "tt", "ft"), local CSeq 5, expiring in 600 s. */
static pres_dmq_srec_t srec(const char *owner, const char *callid,
		unsigned int changed, unsigned int reserved)
{
	pres_dmq_srec_t r;

	memset(&r, 0, sizeof(r));
	r.op = 'S';
	r.changed = changed;
	r.reserved = reserved;
	r.owner = lp_str_c(owner);
	r.event = LP_STR("presence");
	lp_test_pres_subs_rec(&r.s, ALICE, "alice", "carol", callid, T0 + 600);
	r.s.event = NULL;
	r.s.local_cseq = 5;
	r.s.remote_cseq = 2;
	return r;
}

/* r in a SUB message received from the peer; pres_dmq_receive's answer. */
static int feed(const pres_dmq_srec_t *r)
{
	pres_dmq_buf_t b;
	int rc;

	ck_assert_int_eq(pres_dmq_sbegin(&b, PRES_DMQ_SUB), 0);
	ck_assert_int_eq(pres_dmq_sadd(&b, r), 0);
	rc = pres_dmq_receive(b.s, b.len, &peer_node);
	pres_dmq_buf_free(&b);
	return rc;
}

/* Decodes, and when refused leaves nothing allocated. */
static int sdecodes(const char *s, int len)
{
	pres_dmq_smsg_t m;
	int rc = pres_dmq_sdecode(s, len, &m);

	if(rc == 0)
		pres_dmq_smsg_free(&m);
	else
		ck_assert_ptr_null(m.recs);
	return rc;
}

/* The captured subscription messages from index from on: their records
 * (count returned, at most max) into out, each with its owner and callid
 * copied; messages of other kinds are skipped. */
typedef struct got
{
	char op, owner[128], callid[64];
	unsigned int reserved, local_cseq, changed;
} got_t;

static int sub_recs(int from, got_t *out, int max)
{
	pres_dmq_smsg_t m;
	int i, j, n = 0;

	for(i = from; i < lp_test_nsent; i++) {
		if(lp_test_sent[i].len < 11 || memcmp(lp_test_sent[i].s, "PDMQ/1 S", 8) != 0
				|| memcmp(lp_test_sent[i].s, "PDMQ/1 SYNC", 11) == 0)
			continue;
		ck_assert_int_eq(pres_dmq_sdecode(lp_test_sent[i].s, lp_test_sent[i].len, &m), 0);
		for(j = 0; j < m.n; j++) {
			ck_assert_int_lt(n, max);
			out[n].op = m.recs[j].op;
			snprintf(out[n].owner, sizeof(out[n].owner), "%.*s",
					LP_STR_FMT(m.recs[j].owner));
			snprintf(out[n].callid, sizeof(out[n].callid), "%.*s",
					LP_STR_FMT(m.recs[j].s.callid));
			out[n].reserved = m.recs[j].reserved;
			out[n].local_cseq = m.recs[j].s.local_cseq;
			out[n].changed = m.recs[j].changed;
			n++;
		}
		pres_dmq_smsg_free(&m);
	}
	return n;
}

/* Subscription messages (SUB or SSYNC) among the captured sends. */
static int sub_msgs(void)
{
	int i, n = 0;

	for(i = 0; i < lp_test_nsent; i++)
		n += lp_test_sent[i].len >= 11
			 && (memcmp(lp_test_sent[i].s, "PDMQ/1 SUB\n", 11) == 0
					 || memcmp(lp_test_sent[i].s, "PDMQ/1 SSYNC", 12) == 0);
	return n;
}

/* The watchers of alice's presence: count; the one of callid (if any)
 * copied into *found (its contact into contact). */
static int watchers(const char *callid, int *found, char *contact, int size)
{
	lp_str_t uri = LP_STR(ALICE), cid = lp_str_c(callid);
	pres_ev_t *ev = pres_event_by_hdr(&LP_STR("presence"));
	subs_t **v = NULL;
	int n, i;

	n = pres_subs_watchers(&uri, ev, &v);
	ck_assert_int_ge(n, 0);
	*found = 0;
	for(i = 0; i < n; i++) {
		if(lp_str_eq(&v[i]->callid, &cid)) {
			*found = 1;
			if(contact)
				snprintf(contact, size, "%.*s", LP_STR_FMT(v[i]->contact));
		}
		free(v[i]);
	}
	free(v);
	return n;
}

static int db_rows(void)
{
	pres_subs_flush();
	return atoi(lp_test_sql_q1(url, "SELECT count(*) FROM active_watchers"));
}

static int notified_count(const char *callid)
{
	int i, n = 0;

	for(i = 0; i < nnotify; i++)
		n += strcmp(notified[i].callid, callid) == 0;
	return n;
}

static unsigned int notified_cseq(const char *callid)
{
	int i;

	for(i = nnotify - 1; i >= 0; i--)
		if(strcmp(notified[i].callid, callid) == 0)
			return notified[i].cseq;
	ck_abort_msg("no NOTIFY for %s", callid);
	return 0;
}

/* A local PUBLISH of alice's presence (a new publication each time). */
static void publish(void)
{
	pres_publish_req_t r;
	pres_reply_t rep;

	lp_test_pres_pub_req(&r, DOMAIN, 60, "<p/>", NULL);
	memset(&rep, 0, sizeof(rep));
	pres_handle_publish(&r, &rep);
	pres_publish_notify(&r, &rep);
	ck_assert_int_eq(rep.code, 200);
}

/* bob's subscription to alice made here (Call-ID cid-local). */
static void watch_alice(lp_test_sub_t *sub)
{
	lp_test_sub_ok(sub, "cid-local", NULL);
	nnotify = 0;
}

/* ---- format ---- */

/* A store record with every field set, each string distinct (so that a
 * swap would show) and the numbers at their limits. */
static pres_dmq_srec_t full_srec(void)
{
	pres_dmq_srec_t a;

	memset(&a, 0, sizeof(a));
	a.op = 'S';
	a.changed = 4000000000u;
	a.reserved = 77;
	a.owner = LP_STR(PEER);
	a.event = LP_STR("presence.winfo");
	a.s.pres_uri = LP_STR(ALICE);
	a.s.to_user = LP_STR("alice");
	a.s.to_domain = LP_STR("to.example.com");
	a.s.from_user = LP_STR("bob");
	a.s.from_domain = LP_STR("from.example.com");
	a.s.watcher_user = LP_STR("wbob");
	a.s.watcher_domain = LP_STR("w.example.com");
	a.s.event_id = LP_STR("id7");
	a.s.to_tag = LP_STR("tt1");
	a.s.from_tag = LP_STR("ft1");
	a.s.callid = LP_STR("cid@host");
	a.s.sockinfo_str = LP_STR("udp:127.0.0.1:5060");
	a.s.contact = LP_STR("sip:bob@192.0.2.1");
	a.s.local_contact = LP_STR("sip:pres@127.0.0.1");
	a.s.record_route = LP_STR("<sip:p1;lr>,<sip:p2;lr>");
	a.s.reason = LP_STR("timeout");
	a.s.user_agent = LP_STR("UA 1.0");
	a.s.expires = T0 + 3600;
	a.s.remote_cseq = 11;
	a.s.local_cseq = 4294967295u;
	a.s.status = PENDING_STATUS;
	a.s.version = 2147483647;
	a.s.flags = 0x80000001u;
	return a;
}

START_TEST(test_roundtrip)
{
	pres_dmq_srec_t a, b;
	pres_dmq_buf_t buf;
	pres_dmq_smsg_t m;

	a = full_srec();
	memset(&b, 0, sizeof(b));
	b.op = 'R';
	b.changed = T0 + 9;
	b.owner = LP_STR(SELF);
	b.s.pres_uri = LP_STR(ALICE);
	b.s.callid = LP_STR("cid2");
	b.s.to_tag = LP_STR("tt2");
	b.s.from_tag = LP_STR("ft2");

	ck_assert_int_eq(pres_dmq_sbegin(&buf, PRES_DMQ_SUB), 0);
	ck_assert_int_eq(pres_dmq_sadd(&buf, &a), 0);
	ck_assert_int_eq(pres_dmq_sadd(&buf, &b), 0);
	ck_assert_int_eq(buf.n, 2);
	ck_assert_int_eq(pres_dmq_sdecode(buf.s, buf.len, &m), 0);
	ck_assert_int_eq(m.kind, PRES_DMQ_SUB);
	ck_assert_int_eq(m.n, 2);
#define SAME_STR(x)                                       \
	ck_assert_msg(lp_str_eq(&m.recs[0].s.x, &a.s.x), #x); \
	ck_assert_msg(lp_str_eq(&m.recs[1].s.x, &b.s.x), #x);
	PRES_SUBS_STRS(SAME_STR)
#undef SAME_STR
#define SAME_NUM(x)                          \
	ck_assert_uint_eq(m.recs[0].s.x, a.s.x); \
	ck_assert_uint_eq(m.recs[1].s.x, b.s.x);
	SAME_NUM(expires)
	SAME_NUM(remote_cseq)
	SAME_NUM(local_cseq)
	SAME_NUM(status)
	SAME_NUM(flags)
#undef SAME_NUM
	ck_assert_int_eq(m.recs[0].s.version, a.s.version);
	ck_assert_int_eq(m.recs[1].s.version, 0);
	ck_assert_int_eq(m.recs[0].op, 'S');
	ck_assert_int_eq(m.recs[1].op, 'R');
	ck_assert_uint_eq(m.recs[0].changed, a.changed);
	ck_assert_uint_eq(m.recs[1].changed, b.changed);
	ck_assert_uint_eq(m.recs[0].reserved, 77);
	ck_assert(lp_str_eq(&m.recs[0].owner, &a.owner));
	ck_assert(lp_str_eq(&m.recs[1].owner, &b.owner));
	ck_assert(lp_str_eq(&m.recs[0].event, &a.event));
	ck_assert_int_eq(m.recs[1].event.len, 0);
	ck_assert_ptr_null(m.recs[0].s.event);
	pres_dmq_smsg_free(&m);
	pres_dmq_buf_free(&buf);

	ck_assert_int_eq(pres_dmq_sbegin(&buf, PRES_DMQ_SSYNC), 0);
	ck_assert_int_eq(pres_dmq_sdecode(buf.s, buf.len, &m), 0);
	ck_assert_int_eq(m.kind, PRES_DMQ_SSYNC);
	ck_assert_int_eq(m.n, 0);
	ck_assert_ptr_null(m.recs);
	pres_dmq_buf_free(&buf);
}
END_TEST

/* Every proper prefix of a valid message is refused, and so is the
 * message with a byte more. With two records, the one prefix that ends
 * at the first record's end is the valid message of that record alone
 * (a message carries no record count; DMQ delivers bodies whole). */
START_TEST(test_decode_truncated)
{
	pres_dmq_srec_t a = srec(PEER, "cid-t", T0, 40), r;
	pres_dmq_buf_t buf;
	pres_dmq_smsg_t m;
	char *copy;
	int i, first;

	memset(&r, 0, sizeof(r));
	r.op = 'R';
	r.s.callid = LP_STR("cid-r");
	r.s.to_tag = LP_STR("t");
	ck_assert_int_eq(pres_dmq_sbegin(&buf, PRES_DMQ_SUB), 0);
	ck_assert_int_eq(pres_dmq_sadd(&buf, &a), 0);
	first = buf.len;
	ck_assert_int_eq(pres_dmq_sadd(&buf, &r), 0);
	ck_assert_int_eq(sdecodes(buf.s, buf.len), 0);
	for(i = 0; i < buf.len; i++) {
		copy = malloc(i + 1); /* exact size: overreads are caught */
		memcpy(copy, buf.s, i);
		if(i != first) {
			ck_assert_msg(
					sdecodes(copy, i) < 0, "prefix of %d bytes accepted", i);
		} else {
			ck_assert_int_eq(pres_dmq_sdecode(copy, i, &m), 0);
			ck_assert_int_eq(m.n, 1);
			ck_assert_int_eq(m.recs[0].op, 'S');
			pres_dmq_smsg_free(&m);
		}
		free(copy);
	}
	copy = malloc(buf.len + 1);
	memcpy(copy, buf.s, buf.len);
	copy[buf.len] = '\n';
	ck_assert_int_lt(sdecodes(copy, buf.len + 1), 0);
	free(copy);
	pres_dmq_buf_free(&buf);
	ck_assert_int_lt(sdecodes(NULL, 0), 0);
}
END_TEST

/* A message of one record written by hand: the numbers line nums (op
 * and the 8 numbers), then the lengths of the 19 fields f and their
 * bytes; malloc'd at its exact size, its length in *len. */
static char *handmade(const char *hdr, const char *nums,
		const char *const f[NFIELDS], int *len)
{
	char lens[NFIELDS * 12], *s;
	int i, n = 0, sum = 0, off;

	for(i = 0; i < NFIELDS; i++) {
		n += snprintf(lens + n, sizeof(lens) - n, " %d", (int)strlen(f[i]));
		sum += (int)strlen(f[i]);
	}
	*len = (int)(strlen(hdr) + strlen(nums) + n + 1 + sum + 1);
	s = malloc(*len + 1);
	ck_assert_ptr_nonnull(s);
	off = sprintf(s, "%s%s%s\n", hdr, nums, lens);
	for(i = 0; i < NFIELDS; i++)
		off += sprintf(s + off, "%s", f[i]);
	s[off++] = '\n';
	ck_assert_int_eq(off, *len);
	return s;
}

static int handmade_decodes(const char *nums, const char *const f[NFIELDS])
{
	int len, rc;
	char *s = handmade("PDMQ/1 SUB\n", nums, f, &len);

	rc = sdecodes(s, len);
	free(s);
	return rc;
}

/* A valid record's fields, in message order: owner event pres_uri to_user
 * to_domain from_user from_domain watcher_user watcher_domain event_id
 * to_tag from_tag callid sockinfo contact local_contact record_route reason
 * user_agent */
static const char *const ok[NFIELDS] = {PEER, "presence", ALICE, "alice",
		DOMAIN, "bob", DOMAIN, "bob", DOMAIN, "", "tt", "ft", "cid", "udp:a:1",
		"sip:b@h", "sip:p@h", "", "", "ua"};
#define NUMS "S 1700000000 40 1700000600 2 5 1 0 0"

/* The numbers line: a digit changed to a letter, a number over its range,
 * a space too many, a number missing, an unknown op; the header; SSYNC
 * exactly its line. */
START_TEST(test_decode_strict_numbers)
{
	const char *nums = NUMS;
	int len;
	char *s;

	ck_assert_int_eq(handmade_decodes(nums, ok), 0);
	/* a digit changed to a letter, in a number and in a length */
	ck_assert_int_lt(
			handmade_decodes("S 17000a0000 40 1700000600 2 5 1 0 0", ok), 0);
	ck_assert_int_lt(
			handmade_decodes("S 1700000000 40 1700000600 2 5 1 0 x", ok), 0);
	s = handmade("PDMQ/1 SUB\n", nums, ok, &len);
	ck_assert_int_eq(sdecodes(s, len), 0);
	strchr(s + 11, '\n')[-1] = 'a'; /* user_agent's length, 2 */
	ck_assert_int_lt(sdecodes(s, len), 0);
	free(s);
	/* a number over 32 bits; a version over INT_MAX; a double space */
	ck_assert_int_lt(
			handmade_decodes("S 4294967296 40 1700000600 2 5 1 0 0", ok), 0);
	ck_assert_int_lt(
			handmade_decodes(
					"S 1700000000 40 1700000600 2 5 1 2147483648 0", ok),
			0);
	ck_assert_int_lt(
			handmade_decodes("S  1700000000 40 1700000600 2 5 1 0 0", ok), 0);
	ck_assert_int_lt(
			handmade_decodes("S 1700000000 40 1700000600 2 5 1 0", ok), 0);
	/* an unknown op */
	ck_assert_int_lt(
			handmade_decodes("X 1700000000 40 1700000600 2 5 1 0 0", ok), 0);
	/* another header, another version, no record */
	s = handmade("PDMQ/2 SUB\n", nums, ok, &len);
	ck_assert_int_lt(sdecodes(s, len), 0);
	free(s);
	s = handmade("PDMQ/1 PUB\n", nums, ok, &len);
	ck_assert_int_lt(sdecodes(s, len), 0);
	free(s);
	ck_assert_int_lt(sdecodes("PDMQ/1 SUB\n", 11), 0);
	/* SSYNC: exactly its line */
	ck_assert_int_eq(sdecodes("PDMQ/1 SSYNC\n", 13), 0);
	ck_assert_int_lt(sdecodes("PDMQ/1 SSYNC\nx", 14), 0);
	ck_assert_int_lt(sdecodes("PDMQ/1 SSYNC\n\n", 14), 0);
	ck_assert_int_lt(sdecodes("PDMQ/1 SSYNC", 12), 0);
}
END_TEST

/* The fields: the length limits, control bytes, the fields a record
 * cannot lack, the final newline. */
START_TEST(test_decode_strict_fields)
{
	const char *f[NFIELDS];
	const char *nums = NUMS;
	static char big[PRES_DMQ_SFIELD_MAX + 2];
	int len;
	char *s;

	/* a field of PRES_DMQ_SFIELD_MAX bytes passes, one more does not */
	memset(big, 'u', PRES_DMQ_SFIELD_MAX);
	memcpy(f, ok, sizeof(f));
	f[18] = big;
	ck_assert_int_eq(handmade_decodes(nums, f), 0);
	big[PRES_DMQ_SFIELD_MAX] = 'u';
	ck_assert_int_lt(handmade_decodes(nums, f), 0);
	/* an owner over PRES_DMQ_OWNER_MAX */
	big[PRES_DMQ_OWNER_MAX + 1] = '\0';
	memcpy(f, ok, sizeof(f));
	f[0] = big;
	ck_assert_int_lt(handmade_decodes(nums, f), 0);
	/* a control byte in a field (contact, and the owner) */
	memcpy(f, ok, sizeof(f));
	f[14] = "sip:b@h\r\nX: y";
	ck_assert_int_lt(handmade_decodes(nums, f), 0);
	memcpy(f, ok, sizeof(f));
	f[0] = "sip:a\tb";
	ck_assert_int_lt(handmade_decodes(nums, f), 0);
	/* empty callid; empty to_tag; empty owner, event, pres_uri of an S */
	memcpy(f, ok, sizeof(f));
	f[12] = "";
	ck_assert_int_lt(handmade_decodes(nums, f), 0);
	memcpy(f, ok, sizeof(f));
	f[10] = "";
	ck_assert_int_lt(handmade_decodes(nums, f), 0);
	ck_assert_int_lt(handmade_decodes("R 1700000000 0 0 0 0 0 0 0", f), 0);
	memcpy(f, ok, sizeof(f));
	f[0] = "";
	ck_assert_int_lt(handmade_decodes(nums, f), 0);
	ck_assert_int_eq(handmade_decodes("R 1700000000 0 0 0 0 0 0 0", f), 0);
	f[0] = PEER;
	f[1] = "";
	ck_assert_int_lt(handmade_decodes(nums, f), 0);
	memcpy(f, ok, sizeof(f));
	f[2] = "";
	ck_assert_int_lt(handmade_decodes(nums, f), 0);
	/* a missing final newline; a byte instead of it */
	s = handmade("PDMQ/1 SUB\n", nums, ok, &len);
	ck_assert_int_eq(sdecodes(s, len), 0);
	ck_assert_int_lt(sdecodes(s, len - 1), 0);
	s[len - 1] = 'x';
	ck_assert_int_lt(sdecodes(s, len), 0);
	free(s);
}
END_TEST

/* Every byte of a valid message changed to a few values: 0 or -1, never
 * a read outside the buffer (ASan). */
START_TEST(test_decode_mutations)
{
	static const unsigned char vals[] = {
			0, '\n', ' ', '9', '0', 'S', 'R', 0xff};
	pres_dmq_srec_t a = srec(PEER, "cid-m", T0, 40);
	pres_dmq_buf_t buf;
	char *copy;
	size_t v;
	int i;

	ck_assert_int_eq(pres_dmq_sbegin(&buf, PRES_DMQ_SUB), 0);
	ck_assert_int_eq(pres_dmq_sadd(&buf, &a), 0);
	for(i = 0; i < buf.len; i++)
		for(v = 0; v < sizeof(vals); v++) {
			copy = malloc(buf.len);
			memcpy(copy, buf.s, buf.len);
			copy[i] = (char)vals[v];
			sdecodes(copy, buf.len);
			free(copy);
		}
	pres_dmq_buf_free(&buf);
}
END_TEST

START_TEST(test_encode_refuses)
{
	pres_dmq_srec_t a = srec(PEER, "cid-e", T0, 40);
	static char big[PRES_DMQ_SFIELD_MAX + 2];
	pres_dmq_buf_t buf;

	ck_assert_int_eq(pres_dmq_sbegin(&buf, PRES_DMQ_SUB), 0);
	a.owner = LP_STR("");
	ck_assert_int_lt(pres_dmq_sadd(&buf, &a), 0);
	a.owner = LP_STR(PEER);
	a.event = LP_STR("");
	ck_assert_int_lt(pres_dmq_sadd(&buf, &a), 0);
	a.event = LP_STR("presence");
	a.s.callid = LP_STR("");
	ck_assert_int_lt(pres_dmq_sadd(&buf, &a), 0);
	a.s.callid = LP_STR("c");
	a.s.to_tag = LP_STR("");
	ck_assert_int_lt(pres_dmq_sadd(&buf, &a), 0);
	a.s.to_tag = LP_STR("t");
	memset(big, 'x', sizeof(big) - 1);
	a.s.record_route = lp_str_c(big);
	ck_assert_int_lt(pres_dmq_sadd(&buf, &a), 0);
	a.op = 'X';
	a.s.record_route = LP_STR("");
	ck_assert_int_lt(pres_dmq_sadd(&buf, &a), 0);
	ck_assert_int_eq(buf.n, 0);
	ck_assert_int_eq(buf.len, (int)strlen("PDMQ/1 SUB\n"));
	a.op = 'S';
	ck_assert_int_eq(pres_dmq_sadd(&buf, &a), 0); /* the base is valid */
	ck_assert_int_eq(buf.n, 1);
	pres_dmq_buf_free(&buf);
}
END_TEST

/* ---- conflict rule ---- */

static void wins(const pres_dmq_srec_t *a, const pres_dmq_srec_t *b)
{
	ck_assert_int_gt(pres_dmq_scmp(a, b), 0);
	ck_assert_int_lt(pres_dmq_scmp(b, a), 0);
	ck_assert_int_eq(pres_dmq_scmp(a, b), -pres_dmq_scmp(b, a));
}

START_TEST(test_scmp_rule)
{
	pres_dmq_srec_t a = srec(PEER, "cid", T0, 40), b = a;

	ck_assert_int_eq(pres_dmq_scmp(&a, &b), 0);
	/* later changed wins, whatever the CSeqs and owner */
	b.changed = T0 + 1;
	b.s.local_cseq = 1;
	b.s.remote_cseq = 1;
	b.owner = LP_STR("sip:0");
	wins(&b, &a);
	/* same time: the higher local CSeq, whatever the remote one */
	b = a;
	b.s.local_cseq = 6;
	b.s.remote_cseq = 0;
	b.owner = LP_STR("sip:0");
	wins(&b, &a);
	/* then the higher remote CSeq */
	b = a;
	b.s.remote_cseq = 3;
	b.owner = LP_STR("sip:0");
	wins(&b, &a);
	/* then the greater owner URI (a longer one after its prefix) */
	b = a;
	b.owner = LP_STR("sip:127.0.0.3:5060");
	wins(&b, &a);
	b.owner = LP_STR(PEER "0");
	wins(&b, &a);
	/* nothing else counts */
	b = a;
	b.reserved = 1000;
	b.s.expires = T0 + 9999;
	b.s.contact = LP_STR("sip:other");
	ck_assert_int_eq(pres_dmq_scmp(&a, &b), 0);
}
END_TEST

/* ---- what a local SUBSCRIBE sends ---- */

START_TEST(test_local_subscribe_broadcast)
{
	lp_test_sub_t sub;
	got_t g[8];
	int n, found;
	subs_t **v = NULL;
	pres_ev_t *ev = pres_event_by_hdr(&LP_STR("presence"));
	lp_str_t uri = LP_STR(ALICE);
	unsigned int cseq;

	lp_test_sub_ok(&sub, "cid-local", NULL);
	ck_assert_int_eq(sub_msgs(), 1);
	n = sub_recs(0, g, 8);
	ck_assert_int_eq(n, 1);
	ck_assert_ptr_null(lp_test_sent[0].node); /* a broadcast */
	ck_assert_int_eq(g[0].op, 'S');
	ck_assert_str_eq(g[0].owner, SELF);
	ck_assert_str_eq(g[0].callid, "cid-local");
	ck_assert_uint_eq(g[0].reserved, g[0].local_cseq + PRES_DMQ_CSEQ_AHEAD);
	ck_assert_uint_eq(g[0].changed, T0);
	/* the bound covers the CSeq of the NOTIFY sent since */
	ck_assert_int_eq(pres_subs_watchers(&uri, ev, &v), 1);
	cseq = v[0]->local_cseq;
	free(v[0]);
	free(v);
	ck_assert_uint_lt(cseq, g[0].reserved);
	lp_test_sent_reset();
	lp_test_now += 5;
	lp_test_sub_end(&sub);
	n = sub_recs(0, g, 8);
	ck_assert_int_eq(n, 1); /* the removal only: no change before it */
	ck_assert_int_eq(g[n - 1].op, 'R');
	ck_assert_str_eq(g[n - 1].callid, "cid-local");
	ck_assert_uint_eq(g[n - 1].changed, T0 + 5);
	ck_assert_int_eq(watchers("cid-local", &found, NULL, 0), 0);
}
END_TEST

START_TEST(test_local_subscribe_off)
{
	lp_test_sub_t sub;
	pres_dmq_srec_t r = srec(PEER, "cid-rep", T0, 40);
	int found;

	pres.cfg.subs_dmq = 0;
	ck_assert(!pres_dmq_subs_on());
	lp_test_sub_ok(&sub, "cid-local", NULL);
	lp_test_sub_end(&sub);
	publish();
	ck_assert_int_gt(lp_test_nsent, 0); /* the publication went */
	ck_assert_int_eq(sub_msgs(), 0);
	ck_assert_int_eq(pres_dmq_subs_request_sync(), 0);
	ck_assert_int_eq(sub_msgs(), 0);
	/* and a received record is not stored */
	ck_assert_int_eq(feed(&r), 0);
	ck_assert_int_eq(watchers("cid-rep", &found, NULL, 0), 0);
}
END_TEST

/* ---- received records ---- */

START_TEST(test_replica_stored_not_in_db)
{
	lp_test_sub_t sub;
	pres_dmq_srec_t r = srec(PEER, "cid-rep", T0, 40);
	char contact[64];
	int found;

	watch_alice(&sub);
	ck_assert_int_eq(db_rows(), 1);
	lp_test_sent_reset();
	ck_assert_int_eq(feed(&r), 0);
	ck_assert_int_eq(watchers("cid-rep", &found, contact, sizeof(contact)), 2);
	ck_assert(found);
	ck_assert_str_eq(contact, "sip:w@192.0.2.1");
	ck_assert_int_eq(db_rows(), 1); /* a replica stays out of the DB */
	ck_assert_int_eq(nnotify, 0);
	ck_assert_int_eq(sub_msgs(), 0); /* and is not sent back */

	/* an older version is ignored, a newer one replaces */
	r.changed = T0 - 1;
	r.s.contact = LP_STR("sip:old@192.0.2.1");
	ck_assert_int_eq(feed(&r), 0);
	watchers("cid-rep", &found, contact, sizeof(contact));
	ck_assert_str_eq(contact, "sip:w@192.0.2.1");
	r.changed = T0 + 1;
	r.s.contact = LP_STR("sip:new@192.0.2.1");
	ck_assert_int_eq(feed(&r), 0);
	ck_assert_int_eq(watchers("cid-rep", &found, contact, sizeof(contact)), 2);
	ck_assert_str_eq(contact, "sip:new@192.0.2.1");
	ck_assert_int_eq(db_rows(), 1);

	/* a remove older than the record is ignored; one as new removes it,
	 * without a NOTIFY */
	r.op = 'R';
	r.changed = T0;
	ck_assert_int_eq(feed(&r), 0);
	ck_assert_int_eq(watchers("cid-rep", &found, NULL, 0), 2);
	ck_assert(found);
	r.changed = T0 + 1;
	ck_assert_int_eq(feed(&r), 0);
	ck_assert_int_eq(watchers("cid-rep", &found, NULL, 0), 1);
	ck_assert(!found);
	ck_assert_int_eq(nnotify, 0);
	ck_assert_int_eq(db_rows(), 1);
	ck_assert_int_eq(sub_msgs(), 0);
}
END_TEST

/* Expired or of an unknown event: not stored. */
START_TEST(test_replica_ignored)
{
	pres_dmq_srec_t r = srec(PEER, "cid-rep", T0, 40);
	int found;

	r.s.expires = T0;
	ck_assert_int_eq(feed(&r), 0);
	r.s.expires = T0 + 600;
	r.event = LP_STR("no-such-event");
	ck_assert_int_eq(feed(&r), 0);
	ck_assert_int_eq(watchers("cid-rep", &found, NULL, 0), 0);
	ck_assert_int_eq(pres_subs_count(), 0); /* not even held, expired */
	ck_assert_int_eq(db_rows(), 0);
}
END_TEST

/* The socket of the listed subscription of callid, into buf. */
static void socket_of(const char *callid, char *buf, int size)
{
	lp_str_t uri = LP_STR(ALICE), cid = lp_str_c(callid);
	pres_ev_t *ev = pres_event_by_hdr(&LP_STR("presence"));
	subs_t **v = NULL;
	int n, i;

	buf[0] = '\0';
	n = pres_subs_watchers(&uri, ev, &v);
	for(i = 0; i < n; i++) {
		if(lp_str_eq(&v[i]->callid, &cid))
			snprintf(buf, size, "%.*s", LP_STR_FMT(v[i]->sockinfo_str));
		free(v[i]);
	}
	free(v);
}

/* default_socket: a replica sends from this node's socket, not from the
 * one of the owner it came with; a node's own record keeps its socket. */
START_TEST(test_replica_default_socket)
{
	pres_dmq_srec_t r = srec(PEER, "cid-rep", T0, 40);
	pres_dmq_srec_t o = srec(SELF, "cid-own", T0, 40);
	char sock[64];

	o.s.to_tag = LP_STR("tt-own");
	ck_assert_int_eq(feed(&r), 0);
	socket_of("cid-rep", sock, sizeof(sock));
	ck_assert_str_eq(sock, "udp:127.0.0.1:5060"); /* none set: as received */
	pres.cfg.default_socket = "udp:192.0.2.99:5060";
	r.changed = T0 + 1;
	ck_assert_int_eq(feed(&r), 0);
	ck_assert_int_eq(feed(&o), 0);
	socket_of("cid-rep", sock, sizeof(sock));
	ck_assert_str_eq(sock, "udp:192.0.2.99:5060");
	socket_of("cid-own", sock, sizeof(sock));
	ck_assert_str_eq(sock, "udp:127.0.0.1:5060");
}
END_TEST

/* ---- who notifies a replica ---- */

START_TEST(test_notify_owner_alive)
{
	lp_test_sub_t sub;
	pres_dmq_srec_t r = srec(PEER, "cid-rep", T0, 40);
	got_t g[8];

	watch_alice(&sub);
	ck_assert_int_eq(feed(&r), 0);
	lp_test_sent_reset();
	publish();
	ck_assert_int_eq(nnotify, 1);
	ck_assert_int_eq(notified_count("cid-local"), 1);
	ck_assert_int_eq(notified_count("cid-rep"), 0);
	/* no take-over said */
	ck_assert_int_eq(sub_recs(0, g, 8), 0);
	ck_assert_int_eq(db_rows(), 1);
}
END_TEST

START_TEST(test_notify_owner_dead_takes_over)
{
	lp_test_sub_t sub;
	pres_dmq_srec_t r = srec(PEER, "cid-rep", T0, 40);
	got_t g[8];
	int n, i, took = 0;

	watch_alice(&sub);
	ck_assert_int_eq(feed(&r), 0);
	lp_test_sent_reset();
	peer_alive = 0;
	lp_test_now += 2;
	publish();
	ck_assert_int_eq(nnotify, 2);
	ck_assert_int_eq(notified_count("cid-local"), 1);
	ck_assert_int_eq(notified_count("cid-rep"), 1);
	/* above every CSeq the former owner may have used */
	ck_assert_uint_gt(notified_cseq("cid-rep"), 40);
	n = sub_recs(0, g, 8);
	for(i = 0; i < n; i++)
		if(strcmp(g[i].callid, "cid-rep") == 0) {
			ck_assert_int_eq(g[i].op, 'S');
			ck_assert_str_eq(g[i].owner, SELF);
			ck_assert_uint_gt(g[i].reserved, notified_cseq("cid-rep"));
			ck_assert_uint_eq(g[i].changed, T0 + 2);
			took++;
		}
	ck_assert_int_eq(took, 1);
	for(i = 0; i < lp_test_nsent; i++)
		ck_assert_ptr_null(lp_test_sent[i].node);
	/* ours now: in the DB, and notified with the peer back */
	ck_assert_int_eq(db_rows(), 2);
	peer_alive = 1;
	nnotify = 0;
	publish();
	ck_assert_int_eq(nnotify, 2);
	ck_assert_int_eq(notified_count("cid-rep"), 1);
}
END_TEST

/* Many replicas taken over at once (their owner gone, one PUBLISH): the
 * records are broadcast in messages of about PRES_DMQ_CHUNK bytes, none
 * over PRES_DMQ_MSG_MAX (one message of them all would not fit a UDP
 * datagram: it was one, 338 KB for 1000 watchers). */
#define MANY 400
START_TEST(test_takeover_many_chunked)
{
	got_t *g = malloc(MANY * sizeof(*g));
	pres_dmq_srec_t r;
	char cid[32];
	int i, msgs = 0;

	ck_assert_ptr_nonnull(g);
	for(i = 0; i < MANY; i++) {
		snprintf(cid, sizeof(cid), "cid-many-%d", i);
		r = srec(PEER, cid, T0, 40);
		ck_assert_int_eq(feed(&r), 0);
	}
	lp_test_sent_reset();
	peer_alive = 0;
	publish();
	ck_assert_int_eq(nnotify, MANY);
	for(i = 0; i < lp_test_nsent; i++) {
		ck_assert_int_le(lp_test_sent[i].len, PRES_DMQ_MSG_MAX);
		msgs += memcmp(lp_test_sent[i].s, "PDMQ/1 SUB\n", 11) == 0;
	}
	ck_assert_int_gt(msgs, 2);
	ck_assert_int_eq(sub_recs(0, g, MANY), MANY);
	free(g);
}
END_TEST

START_TEST(test_notify_skip_notify_dmq)
{
	lp_test_sub_t sub;
	pres_dmq_srec_t r = srec(PEER, "cid-rep", T0, 40);

	pres.cfg.skip_notify_dmq = 1;
	watch_alice(&sub);
	ck_assert_int_eq(feed(&r), 0);
	publish(); /* peer alive, but it sends nothing for our PUBLISH */
	ck_assert_int_eq(nnotify, 2);
	ck_assert_int_eq(notified_count("cid-rep"), 1);
	ck_assert_uint_gt(notified_cseq("cid-rep"), 40);
}
END_TEST

static pres_dmq_rec_t pub_rec(const char *etag, unsigned int received)
{
	pres_dmq_rec_t r;

	memset(&r, 0, sizeof(r));
	r.op = 'S';
	r.user = LP_STR("alice");
	r.domain = LP_STR(DOMAIN);
	r.event = LP_STR("presence");
	r.etag = lp_str_c(etag);
	r.body = LP_STR("<p/>");
	r.received = received;
	r.expires = received + 60;
	return r;
}

/* A replicated publication: its origin notifies the replicas, this node
 * only what it owns (nothing with skip_notify_dmq), dead owner or not. */
START_TEST(test_notify_replicated_publication)
{
	lp_test_sub_t sub;
	pres_dmq_srec_t r = srec(PEER, "cid-rep", T0, 40);
	pres_dmq_rec_t p1 = pub_rec("e1", T0), p2 = pub_rec("e2", T0);
	pres_dmq_rec_t p3 = pub_rec("e3", T0);

	watch_alice(&sub);
	ck_assert_int_eq(feed(&r), 0);
	ck_assert_int_eq(pres_dmq_apply(&p1), 1);
	ck_assert_int_eq(nnotify, 1);
	ck_assert_int_eq(notified_count("cid-local"), 1);
	peer_alive = 0;
	ck_assert_int_eq(pres_dmq_apply(&p2), 1);
	ck_assert_int_eq(nnotify, 2);
	ck_assert_int_eq(notified_count("cid-rep"), 0);
	ck_assert_int_eq(pres_dmq_applying, 0);
	pres.cfg.skip_notify_dmq = 1;
	ck_assert_int_eq(pres_dmq_apply(&p3), 1);
	ck_assert_int_eq(nnotify, 2);
	ck_assert_int_eq(db_rows(), 1); /* the replica was not taken over */
}
END_TEST

/* ---- this node's own subscription back from a sync ---- */

START_TEST(test_own_record_back)
{
	pres_dmq_srec_t r = srec(SELF, "cid-own", T0, 40);
	int found;

	ck_assert_int_eq(feed(&r), 0);
	ck_assert_int_eq(watchers("cid-own", &found, NULL, 0), 1);
	ck_assert(found);
	ck_assert_int_eq(db_rows(), 1);
	/* owned: notified by a local PUBLISH whatever the peer */
	publish();
	ck_assert_int_eq(notified_count("cid-own"), 1);
}
END_TEST

/* ---- a subscription of this node's changed elsewhere ---- */

/* A newer version from another owner (a dispatcher moved the dialog):
 * listed still, out of this node's DB, not notified here while that owner
 * lives; an older version changes nothing. */
START_TEST(test_owned_demoted)
{
	lp_test_sub_t sub;
	pres_dmq_srec_t r;
	int found;

	watch_alice(&sub);
	ck_assert_int_eq(db_rows(), 1);
	r = srec(PEER, "cid-local", T0 - 1, 40);
	r.s.to_tag = lp_str_c(sub.to_tag);
	r.s.from_tag = LP_STR("bobtag");
	r.s.local_cseq = 9;
	ck_assert_int_eq(feed(&r), 0); /* older: ours still */
	ck_assert_int_eq(db_rows(), 1);
	publish();
	ck_assert_int_eq(notified_count("cid-local"), 1);
	nnotify = 0;
	r.changed = T0 + 1;
	ck_assert_int_eq(feed(&r), 0);
	ck_assert_int_eq(watchers("cid-local", &found, NULL, 0), 1);
	ck_assert(found);
	ck_assert_int_eq(db_rows(), 0);
	publish();
	ck_assert_int_eq(nnotify, 0);
}
END_TEST

/* A remove from another node of a subscription of this node's: gone from
 * the table and the DB, without a NOTIFY; an older remove is ignored. */
START_TEST(test_owned_dropped)
{
	lp_test_sub_t sub;
	pres_dmq_srec_t r;
	int found;

	watch_alice(&sub);
	ck_assert_int_eq(db_rows(), 1);
	memset(&r, 0, sizeof(r));
	r.op = 'R';
	r.owner = LP_STR(PEER);
	r.s.pres_uri = LP_STR(ALICE);
	r.s.callid = LP_STR("cid-local");
	r.s.to_tag = lp_str_c(sub.to_tag);
	r.s.from_tag = LP_STR("bobtag");
	r.changed = T0 - 1;
	ck_assert_int_eq(feed(&r), 0);
	ck_assert_int_eq(watchers("cid-local", &found, NULL, 0), 1);
	r.changed = T0;
	ck_assert_int_eq(feed(&r), 0);
	ck_assert_int_eq(watchers("cid-local", &found, NULL, 0), 0);
	ck_assert_int_eq(db_rows(), 0);
	ck_assert_int_eq(nnotify, 0);
}
END_TEST

/* An in-dialog SUBSCRIBE for a replica (its owner's dispatcher failed
 * over): this node takes it over, its NOTIFY above the replicated bound,
 * says so to the others and keeps it in its DB. */
START_TEST(test_indialog_takeover)
{
	pres_dmq_srec_t r = srec(PEER, "cid-rep", T0, 40);
	pres_subscribe_req_t req;
	pres_reply_t rep;
	char tt[8];
	got_t g[8];
	int n, i, took = 0;

	ck_assert_int_eq(feed(&r), 0);
	lp_test_sent_reset();
	lp_test_pres_sub_req(&req, "cid-rep");
	req.to_tag = LP_STR("tt");
	req.from_tag = LP_STR("ft");
	req.from_user = LP_STR("carol");
	req.cseq = 3;
	lp_test_now += 3;
	ck_assert_int_eq(
			lp_test_pres_subscribe(&req, &rep, tt, sizeof(tt), capture_notify)
					/ 100,
			2);
	ck_assert_int_eq(notified_count("cid-rep"), 1);
	ck_assert_uint_gt(notified_cseq("cid-rep"), 40);
	n = sub_recs(0, g, 8);
	for(i = 0; i < n; i++) {
		ck_assert_str_eq(g[i].callid, "cid-rep");
		ck_assert_int_eq(g[i].op, 'S');
		ck_assert_str_eq(g[i].owner, SELF);
		ck_assert_uint_gt(g[i].reserved, notified_cseq("cid-rep"));
		ck_assert_uint_eq(g[i].changed, T0 + 3);
		took++;
	}
	ck_assert_int_ge(took, 1);
	ck_assert_int_eq(db_rows(), 1);
}
END_TEST

/* ---- expiry ---- */

static int nexpired;

static void on_expired(subs_t *copy)
{
	nexpired++;
	free(copy);
}

/* An expired replica leaves the table silently (its owner ends it); an
 * expired subscription of this node's gets its final NOTIFY. */
START_TEST(test_expire_replica)
{
	pres_dmq_srec_t r = srec(PEER, "cid-rep", T0, 40);
	pres_dmq_srec_t o = srec(SELF, "cid-own", T0, 40);
	int found;

	o.s.to_tag = LP_STR("tt-own");
	ck_assert_int_eq(feed(&r), 0);
	ck_assert_int_eq(feed(&o), 0);
	ck_assert_int_eq(db_rows(), 1);
	lp_test_now = T0 + 601;
	nexpired = 0;
	pres_subs_expire(lp_test_now, on_expired);
	ck_assert_int_eq(nexpired, 1);
	lp_test_now = T0;
	ck_assert_int_eq(watchers("cid-rep", &found, NULL, 0), 0);
	ck_assert_int_eq(db_rows(), 0);
}
END_TEST

/* ---- the sync ---- */

START_TEST(test_sync_answer)
{
	lp_test_sub_t sub;
	pres_dmq_srec_t r = srec(PEER, "cid-rep", T0, 40);
	static int node;
	got_t g[8];
	int n, i, seen = 0;

	watch_alice(&sub);
	ck_assert_int_eq(feed(&r), 0);
	lp_test_sent_reset();
	ck_assert_int_eq(pres_dmq_subs_request_sync(), 0);
	ck_assert_int_eq(lp_test_nsent, 1);
	ck_assert_ptr_null(lp_test_sent[0].node);
	ck_assert_int_eq(lp_test_sent[0].len, 13);
	ck_assert_int_eq(memcmp(lp_test_sent[0].s, "PDMQ/1 SSYNC\n", 13), 0);
	lp_test_sent_reset();
	ck_assert_int_eq(pres_dmq_subs_receive("PDMQ/1 SSYNC\n", 13, &node), 1);
	ck_assert_int_eq(lp_test_nsent, 1);
	ck_assert_ptr_eq(lp_test_sent[0].node, &node);
	n = sub_recs(0, g, 8);
	ck_assert_int_eq(n, 2);
	for(i = 0; i < n; i++) {
		ck_assert_int_eq(g[i].op, 'S');
		if(strcmp(g[i].callid, "cid-local") == 0) {
			ck_assert_str_eq(g[i].owner, SELF);
			seen |= 1;
		} else {
			ck_assert_str_eq(g[i].callid, "cid-rep");
			ck_assert_str_eq(g[i].owner, PEER);
			ck_assert_uint_eq(g[i].reserved, 40);
			seen |= 2;
		}
	}
	ck_assert_int_eq(seen, 3);
	lp_test_sent_reset();
	/* through the module's receive too */
	ck_assert_int_eq(pres_dmq_receive("PDMQ/1 SSYNC\n", 13, &node), 0);
	ck_assert_int_eq(lp_test_nsent, 1);
	lp_test_sent_reset();
	/* an unknown asker gets nothing (it would go to every node) */
	ck_assert_int_eq(pres_dmq_subs_receive("PDMQ/1 SSYNC\n", 13, NULL), 1);
	ck_assert_int_eq(lp_test_nsent, 0);
	/* expired subscriptions are not sent */
	lp_test_now = T0 + 601;
	ck_assert_int_eq(pres_dmq_subs_receive("PDMQ/1 SSYNC\n", 13, &node), 1);
	ck_assert_int_eq(sub_recs(0, g, 8), 1);
	ck_assert_str_eq(g[0].callid, "cid-local");
}
END_TEST

/* A malformed message applies nothing, not even its valid first record. */
START_TEST(test_receive_malformed)
{
	pres_dmq_srec_t a = srec(PEER, "cid-a", T0, 40);
	pres_dmq_buf_t b;
	char *bad;
	int found;

	ck_assert_int_eq(pres_dmq_sbegin(&b, PRES_DMQ_SUB), 0);
	ck_assert_int_eq(pres_dmq_sadd(&b, &a), 0);
	bad = malloc(b.len + 1);
	memcpy(bad, b.s, b.len);
	bad[b.len] = 'X'; /* a second record begun badly */
	ck_assert_int_lt(pres_dmq_receive(bad, b.len + 1, &peer_node), 0);
	ck_assert_int_eq(watchers("cid-a", &found, NULL, 0), 0);
	ck_assert_int_lt(pres_dmq_subs_receive(bad, b.len + 1, &peer_node), 0);
	ck_assert_int_eq(watchers("cid-a", &found, NULL, 0), 0);
	ck_assert_int_eq(pres_dmq_subs_receive(bad, b.len, &peer_node), 1);
	ck_assert_int_eq(watchers("cid-a", &found, NULL, 0), 1);
	free(bad);
	pres_dmq_buf_free(&b);
	/* not a subscription message: left to the publication decoder */
	ck_assert_int_eq(pres_dmq_subs_receive("PDMQ/1 SYNC\n", 12, NULL), 0);
}
END_TEST

Suite *pres_dmq_subs_suite(void)
{
	Suite *s = suite_create("pres_dmq_subs");
	TCase *f = tcase_create("format");
	TCase *a = tcase_create("node");

	tcase_add_test(f, test_roundtrip);
	tcase_add_test(f, test_decode_truncated);
	tcase_add_test(f, test_decode_strict_numbers);
	tcase_add_test(f, test_decode_strict_fields);
	tcase_add_test(f, test_decode_mutations);
	tcase_add_test(f, test_encode_refuses);
	tcase_add_test(f, test_scmp_rule);
	suite_add_tcase(s, f);
	tcase_add_checked_fixture(a, setup, teardown);
	tcase_add_test(a, test_local_subscribe_broadcast);
	tcase_add_test(a, test_local_subscribe_off);
	tcase_add_test(a, test_replica_stored_not_in_db);
	tcase_add_test(a, test_replica_ignored);
	tcase_add_test(a, test_replica_default_socket);
	tcase_add_test(a, test_notify_owner_alive);
	tcase_add_test(a, test_notify_owner_dead_takes_over);
	tcase_add_test(a, test_takeover_many_chunked);
	tcase_add_test(a, test_notify_skip_notify_dmq);
	tcase_add_test(a, test_notify_replicated_publication);
	tcase_add_test(a, test_own_record_back);
	tcase_add_test(a, test_owned_demoted);
	tcase_add_test(a, test_owned_dropped);
	tcase_add_test(a, test_indialog_takeover);
	tcase_add_test(a, test_expire_replica);
	tcase_add_test(a, test_sync_answer);
	tcase_add_test(a, test_receive_malformed);
	suite_add_tcase(s, a);
	return s;
}
