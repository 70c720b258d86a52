/* Kamailio adapters of the presence module; see pres_kam.h. Every request
 * gets exactly one reply: the logic decides it, reply() sends it. */
#include <ctype.h>
#include <stdint.h>
#include <sys/socket.h>
#include <linux/sock_diag.h>

#include "core/atomic_ops.h"
#include "core/data_lump_rpl.h"
#include "core/dprint.h"
#include "core/globals.h"
#include "core/mem/mem.h"
#include "core/mem/shm_mem.h"
#include "core/parser/contact/parse_contact.h"
#include "core/parser/parse_content.h"
#include "core/parser/parse_expires.h"
#include "core/parser/parse_from.h"
#include "core/parser/parse_rr.h"
#include "core/parser/parse_to.h"
#include "core/parser/parse_uri.h"
#include "core/parser/msg_parser.h"
#include "core/script_cb.h"
#include "core/socket_info.h"
#include "core/ut.h"

#include "lp_siphdr.h"
#include "pres_arena.h"
#include "pres_kam.h"
#include "pres_limits.h"
#include "pres_nlog_kam.h"
#include "pres_reply.h"
#include "pres_script_kam.h"
#include "pres_stats_kam.h"
#include "pres_subs.h"

struct tm_binds pres_tmb;
tm_xapi_t pres_xtmb;
sl_api_t pres_slb;
int pres_local_log_facility = -1; /* -1: the core's log_facility */

/* sip_uri_match 1: presentity URIs compare case-insensitively, so the
 * Request-URI's user and host are used lower-cased (one buffer per
 * request; the request is handled before the next one arrives). */
static lp_str_t uri_part(const str *part, char *buf, int size)
{
	int i;

	if(!pres.cfg.sip_uri_match || part->len <= 0 || part->len > size)
		return lps(*part);
	for(i = 0; i < part->len; i++)
		buf[i] = (char)tolower((unsigned char)part->s[i]);
	return (lp_str_t){buf, part->len};
}
static char ruri_user_buf[128], ruri_host_buf[128];



/* One reply through the transaction when the script created one, else
 * stateless. tm's t_reply_with_body() drops one reference to the cell it is
 * given (it is meant for callers that took one with t_lookup_ident); the
 * cell of t_gett() is only borrowed from tm, so we take the reference it
 * will drop. Without it the cell's count is one short while tm still uses
 * it ("removed cell ... still linked in hash table", a use after free
 * under load). */
static int reply(struct sip_msg *msg, pres_reply_t *rep)
{
	str reason = {(char *)rep->reason, strlen(rep->reason)};
	str hdrs = {rep->hdrs, rep->hdrs_len};
	str tag = {rep->to_tag.s, rep->to_tag.len};
	str empty = {"", 0};
	struct cell *t = pres_tmb.t_gett ? pres_tmb.t_gett() : NULL;

	pres_stats_kam_reply(msg, rep->code);
	if(t && t != T_UNDEFINED) {
		atomic_inc(&t->ref_count); /* t_reply_with_body's UNREF takes it */
		return pres_tmb.t_reply_with_body(t, rep->code, &reason, &empty,
					   &hdrs, &tag) < 0 ? -1 : 0;
	}
	if(hdrs.len && !add_lump_rpl(msg, hdrs.s, hdrs.len, LUMP_RPL_HDR)) {
		LM_ERR("cannot add reply headers\n");
		return -1;
	}
	if(tag.len)
		return pres_slb.dreply(msg, rep->code, &reason, &tag) < 0 ? -1 : 0;
	return pres_slb.freply(msg, rep->code, &reason) < 0 ? -1 : 0;
}

/* One line per rejected request at local_log_level, within a per-process
 * rate (lp_log_rl_allow) so a flood of bad packets cannot flood the log. */
static lp_log_rl_t reject_rate;

static void log_reject(struct sip_msg *msg, int code, const char *why)
{
	unsigned int dropped;

	if(!lp_log_rl_allow(&reject_rate, lp_log_now(), LP_LOG_REQ_PER_SEC,
			   1, &dropped))
		return;
	PRES_LOCAL_LOG("%.*s from %s rejected with %d: %s (%u earlier lines"
				   " suppressed)\n",
			msg->first_line.u.request.method.len,
			msg->first_line.u.request.method.s, ip_addr2a(&msg->rcv.src_ip),
			code, why, dropped);
}

static int bad_request(struct sip_msg *msg, const char *why)
{
	pres_reply_t rep;

	log_reject(msg, 400, why);
	memset(&rep, 0, sizeof(rep));
	rep.code = 400;
	rep.reason = "Bad Request";
	reply(msg, &rep);
	return -1;
}

/* Expires of an rls SUBSCRIBE (extract_sdialog_info): seconds,
 * PRES_EXPIRES_NONE or PRES_EXPIRES_BAD; strict (lp_siphdr_expires). */
static int get_expires(struct sip_msg *msg)
{
	lp_str_t v;
	int e;

	if(!msg->expires)
		return PRES_EXPIRES_NONE;
	v = lps(msg->expires->body);
	return lp_siphdr_expires(&v, &e) < 0 ? PRES_EXPIRES_BAD : e;
}

/* The raw values and counts of the header fields lp_siphdr_check judges,
 * from msg->headers itself (Kamailio keeps only the first of each). A
 * repeated Content-Encoding (a list header) is joined into *cenc (pkg
 * memory, the caller frees it). */
static void collect_headers(
		struct sip_msg *msg, lp_siphdr_in_t *in, char **cenc)
{
	static const hdr_types_t judged[LP_SH_COUNT] = {
			[LP_SH_EXPIRES] = HDR_EXPIRES_T,
			[LP_SH_EVENT] = HDR_EVENT_T,
			[LP_SH_IFMATCH] = HDR_SIPIFMATCH_T,
			[LP_SH_CTYPE] = HDR_CONTENTTYPE_T,
			[LP_SH_CLEN] = HDR_CONTENTLENGTH_T,
			[LP_SH_CENC] = HDR_CONTENTENCODING_T};
	struct hdr_field *h;
	int f;

	for(h = msg->headers; h; h = h->next) {
		for(f = 0; f < LP_SH_COUNT && judged[f] != h->type; f++)
			;
		if(f == LP_SH_COUNT)
			continue;
		if(in->count[f]++ == 0)
			in->value[f] = lps(h->body);
	}
	if(in->count[LP_SH_CENC] > 1) {
		*cenc = lp_kam_join_headers(
				msg, HDR_CONTENTENCODING_T, &in->value[LP_SH_CENC].len);
		in->value[LP_SH_CENC].s = *cenc; /* NULL: judged as malformed */
	}
}

/* Step 0 of PUBLISH and SUBSCRIBE: a well-formed request (RFC 3261 s18.3
 * framing, s7.3.1 single-valued headers, s8.2.3 Content-Encoding; RFC 3903
 * s11.3.2 one entity-tag). On success fills *out and *body (into msg) and
 * returns 0; otherwise answers 400 or 415 (with Accept-Encoding), logs
 * within the budget, and returns -1: nothing is stored. */
static int check_syntax(
		struct sip_msg *msg, int publish, lp_str_t *body, lp_siphdr_out_t *out)
{
	lp_siphdr_in_t in;
	pres_reply_t rep;
	char *cenc = NULL;

	memset(&in, 0, sizeof(in));
	collect_headers(msg, &in, &cenc);
	in.framing_error = lp_kam_body(msg, body) < 0;
	if(!publish) { /* SIP-If-Match means nothing to a SUBSCRIBE; the id is
					  stored in active_watchers.event_id */
		in.count[LP_SH_IFMATCH] = 0;
		in.event_id_max = LP_SIPHDR_EVENT_ID_MAX;
	}
	lp_siphdr_check(&in, out);
	if(cenc)
		pkg_free(cenc);
	if(out->code == 0)
		return 0;
	log_reject(msg, out->code, out->why);
	memset(&rep, 0, sizeof(rep));
	rep.code = out->code;
	rep.reason = out->reason;
	if(out->code == 415)
		pres_reply_hdr(&rep, "Accept-Encoding: identity\r\n");
	reply(msg, &rep);
	return -1;
}


#ifndef SO_MEMINFO
#define SO_MEMINFO 55 /* Linux 4.12 */
#endif

/* SIP messages this process has taken in (requests and replies), counted
 * by a pre-script callback while overload_queue_percent is on: what the
 * socket's drops are weighed against (pres_limits_load). */
static unsigned int rx_msgs;

static int count_msg(struct sip_msg *msg, unsigned int flags, void *param)
{
	rx_msgs++;
	return 1; /* 0 would drop the message */
}

int pres_kam_count_init(void)
{
	if(pres.cfg.overload_queue_percent <= 0)
		return 0;
	if(register_script_cb(count_msg, PRE_SCRIPT_CB | REQUEST_CB | ONREPLY_CB,
			   NULL)
			< 0) {
		LM_ERR("cannot register the message counter of"
			   " overload_queue_percent\n");
		return -1;
	}
	return 0;
}

/* The kernel's receive queue of the UDP socket msg came in on
 * (SO_MEMINFO): the memory its waiting datagrams hold, against the socket's
 * receive buffer in percent (the kernel drops datagrams at 100), the
 * datagrams dropped so far, this process's messages so far and the
 * processes that read the socket (its own workers, or children). Not read
 * (known 0) when not asked for (overload_queue_percent 0), not UDP, or
 * unknown. */
static pres_rxq_t read_rx_queue(struct sip_msg *msg)
{
	uint32_t mi[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mi);
	struct socket_info *si = msg->rcv.bind_address;
	pres_rxq_t q = {0};

	if(pres.cfg.overload_queue_percent <= 0 || msg->rcv.proto != PROTO_UDP
			|| !si || si->socket < 0)
		return q;
	if(getsockopt(si->socket, SOL_SOCKET, SO_MEMINFO, mi, &len) < 0
			|| len < (SK_MEMINFO_DROPS + 1) * sizeof(uint32_t)
			|| mi[SK_MEMINFO_RCVBUF] == 0)
		return q;
	q.known = 1;
	q.bytes = mi[SK_MEMINFO_RMEM_ALLOC];
	q.pct = (int)((uint64_t)q.bytes * 100 / mi[SK_MEMINFO_RCVBUF]);
	q.drops = mi[SK_MEMINFO_DROPS];
	q.msgs = rx_msgs;
	q.readers = si->workers > 0 ? si->workers : children_no;
	return q;
}

/* read_rx_queue, once per message: pres_check_overload() and the handler
 * after it judge a request on the same reading (msg->id is unique within
 * a process), so they cannot disagree and the socket is asked once. */
static pres_rxq_t rx_queue(struct sip_msg *msg)
{
	static unsigned int id;
	static int pid;
	static pres_rxq_t q;

	if(pid != msg->pid || id != msg->id) {
		q = read_rx_queue(msg);
		id = msg->id;
		pid = msg->pid;
	}
	return q;
}

/* A SUBSCRIBE's Expires in seconds, or PRES_EXPIRES_NONE when absent or
 * not a number (the handler answers that one). */
static int early_expires(struct sip_msg *msg)
{
	exp_body_t *e;

	if(!msg->expires || parse_expires(msg->expires) < 0)
		return PRES_EXPIRES_NONE;
	e = (exp_body_t *)msg->expires->parsed;
	return e && e->valid ? (int)e->val : PRES_EXPIRES_NONE;
}

/* What pres_limits_early needs, from msg's headers: 0, or -1 when they do
 * not parse (left to the handler). */
static int early_req(struct sip_msg *msg, pres_early_req_t *r)
{
	struct to_body *to;

	memset(r, 0, sizeof(*r));
	if(msg->first_line.type != SIP_REQUEST)
		return 0;
	if(msg->first_line.u.request.method_value == METHOD_PUBLISH)
		r->method = PRES_EARLY_PUBLISH;
	else if(msg->first_line.u.request.method_value == METHOD_SUBSCRIBE)
		r->method = PRES_EARLY_SUBSCRIBE;
	else
		return 0;
	if(parse_headers(msg, HDR_EOH_F, 0) < 0 || !msg->callid || !msg->cseq
			|| !msg->via1)
		return -1;
	r->callid = lps(msg->callid->body);
	lp_str_trim(&r->callid);
	r->cseq = lps(msg->cseq->body);
	lp_str_trim(&r->cseq);
	if(msg->via1->branch)
		r->branch = lps(msg->via1->branch->value);
	if(r->method == PRES_EARLY_PUBLISH) {
		r->in_dialog = msg->sipifmatch != NULL;
		return 0;
	}
	to = msg->to ? get_to(msg) : NULL;
	if(!to)
		return -1;
	r->in_dialog = to->tag_value.len > 0;
	r->expires = early_expires(msg);
	return 0;
}

int pres_kam_check_overload(struct sip_msg *msg)
{
	pres_early_req_t r;
	pres_reply_t rep;
	int rc;

	if(pres.cfg.overload_queue_percent <= 0 || early_req(msg, &r) < 0
			|| !pres_limits_creates_state(&r))
		return 1;
	r.rxq = rx_queue(msg);
	memset(&rep, 0, sizeof(rep));
	if(pres_limits_early(&r, &rep) == 0)
		return 1;
	/* a retransmission of a request tm has (accepted, or in hand in
	 * another worker) is tm's: it resends the reply and stops the script
	 * (0), or t_newtran() will */
	if(pres_xtmb.t_check_trans) {
		rc = pres_xtmb.t_check_trans(msg);
		if(rc >= 0) {
			LP_KAM_LOG_REQ(PRES_LOCAL_LOG,
					"%.*s not refused: a retransmission of a transaction tm"
					" has, handed to it",
					msg->first_line.u.request.method.len,
					msg->first_line.u.request.method.s);
			return rc;
		}
	}
	pres_limits_early_refused(&r);
	LP_KAM_LOG_REQ(PRES_LOCAL_LOG, "%.*s refused without a transaction: %d %s",
			msg->first_line.u.request.method.len,
			msg->first_line.u.request.method.s, rep.code, rep.reason);
	reply(msg, &rep);
	return -1;
}

/* A handler called without a transaction (the script made none with
 * t_newtran()) refuses for load statelessly: through
 * pres_kam_check_overload(), so that the refusal is remembered and the
 * request's retransmissions are refused too (nothing else absorbs them).
 * With a transaction, tm absorbs them and the handler refuses through it.
 * 1: go on; else what pres_kam_check_overload() returned. */
static int stateless_overload(struct sip_msg *msg)
{
	struct cell *t = pres_tmb.t_gett ? pres_tmb.t_gett() : NULL;

	if(t && t != T_UNDEFINED)
		return 1;
	return pres_kam_check_overload(msg);
}

/* type/subtype of Content-Type, parameters dropped. */
static int get_ctype(struct sip_msg *msg, lp_str_t *ct)
{
	char *semi;

	if(!msg->content_type)
		return 0;
	*ct = lps(msg->content_type->body);
	semi = memchr(ct->s, ';', ct->len);
	if(semi)
		ct->len = (int)(semi - ct->s);
	lp_str_trim(ct);
	return 1;
}

int pres_kam_publish(struct sip_msg *msg, str *sender)
{
	pres_publish_req_t req;
	pres_reply_t rep;
	lp_siphdr_out_t hdr;
	int rc;

	pres_stat_inc(PRES_STAT_PUBLISH_RECEIVED);
	memset(&req, 0, sizeof(req));
	memset(&rep, 0, sizeof(rep));
	if(parse_headers(msg, HDR_EOH_F, 0) < 0)
		return bad_request(msg, "cannot parse headers");
	if(parse_sip_msg_uri(msg) < 0 || msg->parsed_uri.user.len <= 0)
		return bad_request(msg, "bad Request-URI");
	req.user = uri_part(&msg->parsed_uri.user, ruri_user_buf, sizeof(ruri_user_buf));
	req.domain = uri_part(&msg->parsed_uri.host, ruri_host_buf, sizeof(ruri_host_buf));
	if(check_syntax(msg, 1, &req.body, &hdr) < 0)
		return -1;
	if((rc = stateless_overload(msg)) <= 0)
		return rc;
	req.priority = pres_kam_priority(msg);
	if(msg->event) {
		req.has_event = 1;
		req.event = lps(msg->event->body);
	}
	req.expires = hdr.expires == LP_SIPHDR_EXPIRES_NONE ? PRES_EXPIRES_NONE
														: hdr.expires;
	if(msg->sipifmatch) {
		req.has_if_match = 1;
		req.if_match = hdr.etag;
	}
	req.has_ctype = get_ctype(msg, &req.content_type);
	if(sender)
		req.sender = lps(*sender);
	if(!req.has_if_match) /* only new state can be refused for load */
		req.rxq = rx_queue(msg);
	req.msg = msg;
	rc = pres_handle_publish(&req, &rep);
	if(rep.code >= 300)
		LP_KAM_LOG_REQ(PRES_LOCAL_LOG, "PUBLISH for %.*s@%.*s answered %d %s",
				LP_STR_FMT(req.user), LP_STR_FMT(req.domain), rep.code,
				rep.reason);
	reply(msg, &rep);
	pres_publish_notify(&req, &rep);
	return rc == 0 ? 1 : -1;
}


static int fill_dialog(struct sip_msg *msg, pres_subscribe_req_t *req)
{
	struct to_body *to, *from;
	struct sip_uri turi, furi;

	if(parse_from_header(msg) < 0 || !msg->to || !msg->callid || !msg->cseq)
		return -1;
	to = get_to(msg);
	from = get_from(msg);
	if(!to || parse_uri(to->uri.s, to->uri.len, &turi) < 0
			|| parse_uri(from->uri.s, from->uri.len, &furi) < 0)
		return -1;
	req->to_user = lps(turi.user);
	req->to_domain = lps(turi.host);
	req->to_tag = lps(to->tag_value);
	req->from_user = lps(furi.user);
	req->from_domain = lps(furi.host);
	req->from_tag = lps(from->tag_value);
	req->callid = lps(msg->callid->body);
	lp_str_trim(&req->callid);
	if(str2int(&get_cseq(msg)->number, &req->cseq) < 0)
		return -1;
	return 0;
}

static int fill_contact(struct sip_msg *msg, pres_subscribe_req_t *req)
{
	contact_body_t *cb;

	if(!msg->contact)
		return 0;
	if(parse_contact(msg->contact) < 0)
		return -1;
	cb = (contact_body_t *)msg->contact->parsed;
	if(cb && cb->contacts)
		req->contact = lps(cb->contacts->uri);
	return 0;
}

static char local_contact_buf[256];

static void fill_local(struct sip_msg *msg, pres_subscribe_req_t *req)
{
	struct socket_info *si = msg->rcv.bind_address;
	int n;

	req->sockinfo = lps(si->sock_str);
	if(pres.cfg.server_address) {
		req->local_contact = lp_str_c(pres.cfg.server_address);
		return;
	}
	n = snprintf(local_contact_buf, sizeof(local_contact_buf), "sip:%.*s:%.*s",
			si->address_str.len, si->address_str.s, si->port_no_str.len,
			si->port_no_str.s);
	req->local_contact.s = local_contact_buf;
	req->local_contact.len = n > 0 && n < (int)sizeof(local_contact_buf) ? n : 0;
}

int pres_kam_subscribe(struct sip_msg *msg, const str *wuser, const str *wdomain)
{
	pres_subscribe_req_t req;
	pres_reply_t rep;
	pres_notify_t *notify = NULL;
	char *rr = NULL, *acc = NULL;
	lp_siphdr_out_t hdr;
	lp_str_t body;
	int rc;

	pres_stat_inc(PRES_STAT_SUBSCRIBE_RECEIVED);
	memset(&req, 0, sizeof(req));
	memset(&rep, 0, sizeof(rep));
	if(parse_headers(msg, HDR_EOH_F, 0) < 0)
		return bad_request(msg, "cannot parse headers");
	if(parse_sip_msg_uri(msg) < 0 || fill_dialog(msg, &req) < 0
			|| fill_contact(msg, &req) < 0)
		return bad_request(msg, "bad Request-URI, From, To, Call-ID, CSeq or Contact");
	req.ruri_user = uri_part(&msg->parsed_uri.user, ruri_user_buf,
			sizeof(ruri_user_buf));
	req.ruri_domain = uri_part(&msg->parsed_uri.host, ruri_host_buf,
			sizeof(ruri_host_buf));
	if(check_syntax(msg, 0, &body, &hdr) < 0)
		return -1;
	if((rc = stateless_overload(msg)) <= 0)
		return rc;
	if(msg->event) {
		req.has_event = 1;
		req.event = lps(msg->event->body);
	}
	req.expires = hdr.expires == LP_SIPHDR_EXPIRES_NONE ? PRES_EXPIRES_NONE
														: hdr.expires;
	if(msg->accept) {
		req.has_accept = 1;
		acc = lp_kam_join_headers(msg, HDR_ACCEPT_T, &req.accept.len);
		req.accept.s = acc;
	}
	rr = lp_kam_join_headers(msg, HDR_RECORDROUTE_T, &req.record_route.len);
	req.record_route.s = rr;
	if(msg->user_agent)
		req.user_agent = lps(msg->user_agent->body);
	fill_local(msg, &req);
	if(wuser && wdomain) {
		req.watcher_user = lps(*wuser);
		req.watcher_domain = lps(*wdomain);
	}
	if(req.to_tag.len == 0) /* an initial SUBSCRIBE: see pres_limits_load */
		req.rxq = rx_queue(msg);
	req.msg = msg;
	rc = pres_handle_subscribe(&req, &rep, &notify);
	if(rep.code >= 300)
		LP_KAM_LOG_REQ(PRES_LOCAL_LOG, "SUBSCRIBE from %.*s@%.*s answered %d %s",
				LP_STR_FMT(req.from_user), LP_STR_FMT(req.from_domain),
				rep.code, rep.reason);
	reply(msg, &rep);
	pres_kam_subs_keep(notify ? notify->subs : NULL); /* for $subs */
	/* send_fast_notify 0: a NOTIFY without a body right after a SUBSCRIBE
	 * is not sent (Kamailio's knob for phones that choke on an empty
	 * message-summary NOTIFY); the watcher hears of the next change */
	if(notify && (pres.cfg.send_fast_notify || notify->body.s))
		pres_notify_send(notify); /* after the reply */
	pres_notify_free(notify);
	if(rr)
		pkg_free(rr);
	if(acc)
		pkg_free(acc);
	return rc == 0 ? 1 : -1;
}

/* The subscription a NOTIFY was sent for, one block, for the tm callback:
 * $subs in event_route[presence:notify-reply], and the dialog to remove
 * when the reply says so. Carved from this process's shared chunk
 * (pres_arena.h): no allocator walk per NOTIFY of a fan-out; freed by the
 * process that gets the reply. */
static subs_t *cbp_new(const subs_t *s)
{
	void *p = pres_arena_alloc(pres_subs_block_size(s));

	return p ? pres_subs_fill(p, s) : NULL;
}

static void notify_reply_cb(struct cell *t, int type, struct tmcb_params *ps)
{
	subs_t *s = ps->param ? (subs_t *)*ps->param : NULL;
	int del;

	pres_stats_kam_notify_reply(ps);
	if(!s)
		return;
	del = pres_kam_notify_reply_route(s, ps->rpl);
	pres_notify_reply(&s->pres_uri, &s->callid, &s->to_tag, &s->from_tag,
			ps->code);
	if(del) /* $xavp(<xavp_cfg>=>delete_subscription) = 1 */
		pres_subs_remove(&s->pres_uri,
				&(pres_dlg_key_t){&s->callid, &s->to_tag, &s->from_tag});
	pres_arena_free(s);
	*ps->param = NULL;
}

static int build_uri(char *buf, int size, const lp_str_t *user, const lp_str_t *domain, str *out)
{
	out->s = buf;
	out->len = pres_make_uri(buf, size, user, domain);
	return out->len < 0 ? -1 : 0;
}

int pres_kam_send_notify(const pres_notify_t *n)
{
	const subs_t *s = n->subs;
	char lbuf[512], rbuf[512];
	str method = str_init("NOTIFY");
	str hdrs = {n->headers.s, n->headers.len};
	str body = {n->body.s, n->body.len};
	str sock = {s->sockinfo_str.s, s->sockinfo_str.len};
	dlg_t dlg;
	uac_req_t uac_r;
	subs_t *cbp;
	const subs_t *old;
	int rc;

	memset(&dlg, 0, sizeof(dlg));
	dlg.id.call_id = kstr(s->callid);
	dlg.id.loc_tag = kstr(s->to_tag);
	dlg.id.rem_tag = kstr(s->from_tag);
	dlg.loc_seq.value = s->local_cseq - 1; /* tm adds one */
	dlg.loc_seq.is_set = 1;
	if(build_uri(lbuf, sizeof(lbuf), &s->to_user, &s->to_domain, &dlg.loc_uri) < 0
			|| build_uri(rbuf, sizeof(rbuf), &s->from_user, &s->from_domain,
					   &dlg.rem_uri) < 0)
		return -1;
	dlg.rem_target = kstr(s->contact);
	dlg.state = DLG_CONFIRMED;
	if(s->record_route.len > 0
			&& parse_rr_body(s->record_route.s, s->record_route.len, &dlg.route_set) < 0) {
		LM_ERR("bad stored route set for %.*s\n", s->callid.len, s->callid.s);
		return -1;
	}
	if(pres_tmb.calculate_hooks(&dlg) < 0) {
		free_rr(&dlg.route_set);
		return -1;
	}
	cbp = cbp_new(s);
	set_uac_req(&uac_r, &method, &hdrs, body.len ? &body : NULL, &dlg,
			TMCB_LOCAL_COMPLETED, cbp ? notify_reply_cb : NULL, cbp);
	if(sock.len)
		uac_r.ssock = &sock;
	pres_nlog_notify(&dlg.rem_uri, &dlg.rem_target,
			&(str){s->pres_uri.s, s->pres_uri.len},
			&(str){s->event->name.s, s->event->name.len},
			&dlg.id.call_id);
	old = pres_kam_subs_push(s); /* $subs in event_route[tm:local-request] */
	rc = pres_tmb.t_request_within(&uac_r);
	if(rc > 0)
		pres_stat_inc(PRES_STAT_NOTIFY_SENT);
	pres_kam_subs_pop(old);
	free_rr(&dlg.route_set);
	if(rc <= 0 && cbp) /* error, or dropped by tm:local-request: tm did
						  not take the callback (nor its parameter) */
		pres_arena_free(cbp);
	if(rc < 0) {
		LM_ERR("cannot send NOTIFY to %.*s\n", s->contact.len, s->contact.s);
		return -1;
	}
	return 0;
}

/* extract_sdialog_info of presence_api_t: the dialog of a SUBSCRIBE into
 * subs (strings point into msg, or into static storage for the generated
 * To tag, which is sl's tag of the reply to msg). */
int pres_kam_extract_sdialog_info(subs_t *subs, struct sip_msg *msg,
		int max_expire, int *to_tag_gen, lp_str_t scontact,
		lp_str_t watcher_user, lp_str_t watcher_domain)
{
	static char tag_buf[128];
	pres_subscribe_req_t req;
	int e;

	memset(&req, 0, sizeof(req));
	if(parse_headers(msg, HDR_EOH_F, 0) < 0 || fill_dialog(msg, &req) < 0
			|| fill_contact(msg, &req) < 0 || req.contact.len <= 0)
		return -1;
	e = get_expires(msg);
	if(e == PRES_EXPIRES_BAD)
		return -1;
	if(e == PRES_EXPIRES_NONE || e > max_expire)
		e = max_expire;
	subs->to_user = req.to_user;
	subs->to_domain = req.to_domain;
	subs->from_user = req.from_user;
	subs->from_domain = req.from_domain;
	subs->watcher_user = watcher_user.len ? watcher_user : req.from_user;
	subs->watcher_domain = watcher_domain.len ? watcher_domain : req.from_domain;
	subs->from_tag = req.from_tag;
	subs->callid = req.callid;
	subs->remote_cseq = req.cseq;
	subs->contact = req.contact;
	subs->local_contact = scontact;
	subs->sockinfo_str = lps(msg->rcv.bind_address->sock_str);
	subs->expires = (unsigned int)e;
	if(req.to_tag.len > 0) {
		subs->to_tag = req.to_tag;
		*to_tag_gen = 0;
	} else {
		/* the caller (rls) answers statelessly through sl: the To tag
		 * must be the one sl puts in that reply */
		str tag = STR_NULL;
		if(pres_slb.get_reply_totag && pres_slb.get_reply_totag(msg, &tag) > 0
				&& tag.len > 0 && tag.len < (int)sizeof(tag_buf)) {
			memcpy(tag_buf, tag.s, tag.len);
			subs->to_tag.s = tag_buf;
			subs->to_tag.len = tag.len;
		} else {
			subs->to_tag.s = tag_buf;
			subs->to_tag.len = pres_new_token(tag_buf, sizeof(tag_buf),
					pres.cfg.to_tag_pref);
		}
		*to_tag_gen = 1;
	}
	return 0;
}
