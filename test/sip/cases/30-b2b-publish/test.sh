# 30 presence_b2b against our presence server: Kamailio A (presence_b2b)
# subscribes through RPC to bob, held by Kamailio B (presence); bob's PUBLISH
# at B arrives at A as a status message shown, parsed, by presence_b2b.list;
# a modify arrives too; unsubscribing ends the dialog with B's terminating
# NOTIFY, long before wait_for_term_notify.
. "$(dirname "$0")/../../lib.sh"
. "$CASE_DIR/../3x-b2b-lib/b2b.sh"
start_kamailio --param=presence:db_update_period:1 || finish
start_b2b || finish
BOB=sip:bob@127.0.0.1

bob_publish() { # NOTE BASIC [HEADERS]
	pidf $BOB "$2" "$1" >"$1.xml"
	sip_request PUBLISH $BOB "Event: presence
Expires: 600
Content-Type: application/pidf+xml${3:+
$3}" "$1.xml"
	assert_reply 200 "bob publishes $1 at B"
}

bob_publish b2b-30-a open
ID=$(b2b_rpc presence_b2b.subscribe "sip:bob@127.0.0.1:$PORT")
assert_match '^[0-9]+$' "$ID" "presence_b2b.subscribe returns an id"
wait_list "$A_CTL" "id: $ID .*state: confirmed" "subscription $ID confirmed by B"
wait_list "$A_CTL" "basic: open .*note: b2b-30-a" "B's first NOTIFY (bob open, b2b-30-a) in the list"
assert_eq application/pidf+xml "$(list_field "$A_CTL" "$ID" content_type)" "content type of the status"
assert_eq active "$(list_field "$A_CTL" "$ID" status_state)" "state of the status"
assert_match '^<\?xml' "$(list_field "$A_CTL" "$ID" document)" "the document is shown"
wait_sql "select count(*) from active_watchers where presentity_uri='$BOB' and event='presence'" 1 "B has one watcher of bob"

ETAG=$(msg_hdr "$REPLY" SIP-ETag)
bob_publish b2b-30-b closed "SIP-If-Match: $ETAG"
wait_list "$A_CTL" "basic: closed .*note: b2b-30-b" "bob's modify (closed, b2b-30-b) reaches A"
assert_eq 2 "$(list_field "$A_CTL" "$ID" messages)" "status messages received by the RPC subscriber"

t0=$(date +%s)
assert_eq 1 "$(b2b_rpc presence_b2b.unsubscribe "$ID")" "presence_b2b.unsubscribe $ID"
if wait_until 5 bash -c "! kamcmd -s unix:$A_CTL presence_b2b.list | grep -q 'id: $ID\$'"; then
	ok "subscription gone $(($(date +%s) - t0)) s after unsubscribe (B's terminating NOTIFY; wait_for_term_notify is 30)"
else
	fail "subscription $ID still listed 5 s after unsubscribe"
fi
wait_sql "select count(*) from active_watchers where presentity_uri='$BOB'" 0 "B dropped the watcher"
finish
