/* Kamailio glue of enable_dmq: binds the dmq module's API, registers the
 * DMQ peer "presence" (its callback runs in a dmq worker process), installs
 * the sender the logic (pres_dmq.c) broadcasts through, and asks the other
 * nodes for a sync once dmq has the node list (its init callback). The
 * messages are pres_dmq.h's own text format. */
#include "core/dprint.h"
#include "core/parser/msg_parser.h"
#include "core/parser/parse_content.h"
#include "core/parser/parse_uri.h"
#include "core/sr_module.h"
#include "modules/dmq/bind_dmq.h"

#include "pres_dmq.h"
#include "pres_dmq_kam.h"
#include "pres_dmq_subs.h"
#include "pres_dmq_tomb.h"

static dmq_api_t pres_dmqb;
static dmq_peer_t *pres_dmq_peer;
static str pres_dmq_ctype = str_init("application/x-presence-dmq");
static str pres_dmq_ok = str_init("OK");
static str pres_dmq_bad = str_init("Bad Request");
/* no answer callback (dmq copies this struct, and calls .f when set) */
static dmq_resp_cback_t pres_dmq_no_cb = {NULL, NULL};
/* this node as dmq compares nodes (host, port, proto of its
 * server_address): the `except` of every broadcast, so that a node that is
 * its own notification_address (listed twice by dmq) does not send to
 * itself; self_ok 0 when server_address did not parse */
static dmq_node_t self_node;
static int self_ok;

/* pres_dmq_send_f: node NULL broadcasts to every other node. dmq copies
 * the body into the request before it returns. */
static int send_kam(const char *s, int len, void *node)
{
	str body = {(char *)s, len};

	if(!pres_dmq_peer)
		return -1;
	if(node)
		return pres_dmqb.send_message(pres_dmq_peer, &body, (dmq_node_t *)node,
				&pres_dmq_no_cb, 1, &pres_dmq_ctype);
	return pres_dmqb.bcast_message(pres_dmq_peer, &body,
			self_ok ? &self_node : NULL, &pres_dmq_no_cb, 1, &pres_dmq_ctype);
}

/* A KDMQ this node sent to itself: dmq lists a node that is its own
 * notification_address twice (once as itself, once as that address) and
 * broadcasts to both. The change is this node's already. */
static int from_self(struct sip_msg *msg)
{
	static int told;

	if(msg->rcv.src_port != msg->rcv.dst_port
			|| !ip_addr_cmp(&msg->rcv.src_ip, &msg->rcv.dst_ip))
		return 0;
	if(!told) {
		told = 1;
		LM_NOTICE("DMQ messages of this node come back to it (dmq's"
				  " notification_address is this node itself): ignored\n");
	}
	return 1;
}

/* peer_callback_t, in a dmq worker: the request is a shm clone; answer 200
 * when the message was well-formed (or our own), 400 when not. */
static int handle_msg(
		struct sip_msg *msg, peer_reponse_t *resp, dmq_node_t *node)
{
	char *body;
	long len = 0;

	if(from_self(msg)) {
		resp->resp_code = 200;
		resp->reason = pres_dmq_ok;
		return 0;
	}

	body = get_body(msg);
	if(msg->content_length)
		len = get_content_length(msg);
	if(!body || len <= 0 || len > msg->len - (body - msg->buf)
			|| pres_dmq_receive(body, (int)len, node) < 0) {
		resp->resp_code = 400;
		resp->reason = pres_dmq_bad;
		return 0;
	}
	resp->resp_code = 200;
	resp->reason = pres_dmq_ok;
	return 0;
}

static int sync_pres, sync_subs;

/* init_callback_t: dmq got the node list (a node that joins or restarts) */
static int request_sync(void)
{
	if(sync_pres && pres_dmq_on()) {
		LM_INFO("asking the other DMQ nodes for their publications\n");
		pres_dmq_request_sync();
	}
	if(sync_subs && pres_dmq_subs_on()) {
		LM_INFO("asking the other DMQ nodes for their subscriptions\n");
		pres_dmq_subs_request_sync();
	}
	return 0;
}

/* pres_dmq_alive_f: dmq lists the node of uri as active */
static int node_alive(const lp_str_t *uri)
{
	str u = {uri->s, uri->len};
	dmq_node_t *node = pres_dmqb.find_dmq_node_uri(&u);

	return node && (node->status & DMQ_NODE_ACTIVE);
}

/* This node's DMQ URI: dmq's server_address (pkg memory of the dmq
 * module, kept for the life of the process), or NULL. */
static str *self_uri(void)
{
	struct sr_module *dmq = find_module_by_name("dmq");
	modparam_t type;
	str *self = dmq ? find_param_export(dmq, "server_address", PARAM_STR, &type)
					: NULL;

	return self && self->len > 0 ? self : NULL;
}

/* The subscriptions taken here are owned by this node's DMQ URI, as the
 * other nodes know it. */
static int subs_init(const str *self)
{
	if(!self) {
		LM_ERR("enable_subs_dmq: dmq's server_address is not set\n");
		return -1;
	}
	if(pres_dmq_subs_init(&(lp_str_t){self->s, self->len}, node_alive) < 0) {
		LM_ERR("enable_subs_dmq: out of shared memory, or dmq's"
			   " server_address longer than %d bytes\n",
				PRES_DMQ_OWNER_MAX);
		return -1;
	}
	return 0;
}

int pres_dmq_kam_init(int sync, int subs_sync)
{
	dmq_peer_t peer;
	str *self;

	if(pres_dmq_tomb_init(PRES_DMQ_TOMB_SLOTS) < 0) {
		LM_ERR("out of shared memory for the DMQ tombstones\n");
		return -1;
	}
	if(dmq_load_api(&pres_dmqb) != 0) {
		LM_ERR("enable_dmq needs the dmq module: load dmq.so before"
			   " presence\n");
		return -1;
	}
	self = self_uri();
	self_ok = self
			  && parse_uri(self->s, self->len, &self_node.uri) == 0;
	if(pres.cfg.subs_dmq && subs_init(self) < 0)
		return -1;
	sync_pres = sync;
	sync_subs = subs_sync;
	memset(&peer, 0, sizeof(peer));
	peer.callback = handle_msg;
	peer.init_callback = sync || subs_sync ? request_sync : NULL;
	peer.peer_id.s = "presence";
	peer.peer_id.len = 8;
	peer.description.s = "presence";
	peer.description.len = 8;
	pres_dmq_peer = pres_dmqb.register_dmq_peer(&peer);
	if(!pres_dmq_peer) {
		LM_ERR("cannot register the DMQ peer 'presence'\n");
		return -1;
	}
	pres_dmq_set_sender(send_kam);
	return 0;
}
