# 34 unsubscribe without the terminating NOTIFY: the server (SIPp) accepts
# the unsubscribe (Expires: 0, in the dialog) but never sends the final
# NOTIFY; presence_b2b keeps the dialog "terminating" for
# wait_for_term_notify (3 s), then drops it. (Unsubscribe WITH the
# terminating NOTIFY, from our presence server, is in 30-b2b-publish.)
# Unsubscribing by record URI, and a subscription still waiting for its
# first send, are covered too.
. "$(dirname "$0")/../../lib.sh"
. "$CASE_DIR/../3x-b2b-lib/b2b.sh"
PORT=$(free_udp_port) UPORT=$(free_udp_port)
SIPP_LPORT=$UPORT sipp_bg uas uas-unsub.xml
use_b2b_cfg
start_kamailio --param=presence_b2b:presence_outbound_proxy:sip:127.0.0.1:$UPORT \
	--param=presence_b2b:wait_for_term_notify:3 || finish
ID=$(kam_rpc presence_b2b.subscribe sip:sam@example.com)
assert_match '^[0-9]+$' "$ID" "presence_b2b.subscribe returns an id"
wait_list "$CTL" "id: $ID .*state: confirmed .*basic: open .*note: sam-34" "subscribed, sam's status received"
t0=$(date +%s%N)
assert_eq 1 "$(kam_rpc presence_b2b.unsubscribe sip:sam@example.com)" "presence_b2b.unsubscribe by record URI"
sipp_wait uas
assert_sipp $? "server: the unsubscribe carried Expires: 0 and was accepted"
S=$(trace_msg "$BG_TRACE_uas" received '^SUBSCRIBE' 2)
assert_match "tag=srv" "$(msg_hdr "$S" To)" "the unsubscribe is sent in the dialog"
assert_eq terminating "$(list_field "$CTL" "$ID" state)" "waiting for the terminating NOTIFY"
gone() { ! kam_rpc presence_b2b.list | grep -q "id: $ID\$"; }
if wait_until 8 gone; then
	ms=$((($(date +%s%N) - t0) / 1000000))
	assert_num -ge 2500 "$ms" "ms until the dialog is dropped without the NOTIFY (wait_for_term_notify 3 s)"
	assert_num -le 5500 "$ms" "ms until the dialog is dropped"
else
	fail "subscription $ID still listed 8 s after unsubscribe"
fi
assert_eq "error: 404 - no such subscription" "$(kam_rpc presence_b2b.unsubscribe "$ID" 2>&1)" "unsubscribing it again"
stop_sipps

# a subscription that has not been sent yet (its server does not answer):
# unsubscribing it ends it at once
ID2=$(kam_rpc presence_b2b.subscribe sip:nobody@192.0.2.1)
assert_eq 1 "$(kam_rpc presence_b2b.unsubscribe "$ID2")" "unsubscribe a subscription without a dialog"
wait_until 5 bash -c "! kamcmd -s unix:$CTL presence_b2b.list | grep -q 'id: $ID2\$'" &&
	ok "subscription $ID2 gone" || fail "subscription $ID2 still listed"
assert_alive
finish
