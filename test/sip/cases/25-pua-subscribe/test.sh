# 25 SUBSCRIBE dialog: pua.subscribe makes pua a watcher at the presence
# server; the dialog (Call-ID, tags, CSeq, remote target) is in pua.list and
# matches the server's active_watchers row; each change of the presentity
# arrives as a NOTIFY that pua_handle_notify matches; pua.subscribe with
# Expires 0 ends the dialog on both sides.
. "$(dirname "$0")/../../lib.sh"
. "$CASE_DIR/../20-pua-lib/pua-lib.sh" || exit 2
# Debian's presence on SQLite answers 500 ("database is locked") now and
# then when its active_watchers flush runs every second: flush often only
# on ours, and check the server's dialog rows only there.
SRV=(--param=presence:db_update_period:1)
is_reference && SRV=()
start_kamailio "${SRV[@]}" || finish
pua_start || finish
A=sip:alice25@127.0.0.1 W=sip:bob25@127.0.0.1
pidf $A open s1 >b1.xml
pidf $A closed s2 >b2.xml
sip_request PUBLISH $A "Event: presence
Expires: 600
Content-Type: application/pidf+xml" b1.xml
assert_reply 200 "alice25 publishes at the server"
ETAG=$(msg_hdr "$REPLY" SIP-ETag)

assert_eq OK "$(pua_rpc pua.subscribe $A $W presence 300)" "pua.subscribe"
wait_field $A subscribe state active "subscription active (NOTIFY received)"
wait_field $A subscribe pending idle "SUBSCRIBE answered"
assert_match '^20[02]$' "$(pua_field $A subscribe last_code)" "SUBSCRIBE answered 2xx"
CID=$(pua_field $A subscribe call_id)
FT=$(pua_field $A subscribe from_tag)
TT=$(pua_field $A subscribe to_tag)
assert_match '^[^ ]+$' "$TT" "To tag of the dialog"
assert_eq "sip:127.0.0.1:$PORT" "$(pua_field $A subscribe remote_target)" "remote target (server's Contact)"
ours_only "server dialog rows" && wait_sql "select count(*), max(from_tag), max(to_tag) from active_watchers where callid='$CID'" "1|$FT|$TT" "server dialog = pua's"
assert_eq 1 "$(pua_field $A subscribe notifies)" "first NOTIFY"

sip_request PUBLISH $A "Event: presence
Expires: 600
SIP-If-Match: $ETAG
Content-Type: application/pidf+xml" b2.xml
assert_reply 200 "alice25 changes her state"
wait_field $A subscribe notifies 2 "the change arrived as a NOTIFY in the dialog"
assert_eq 0 "$(grep -c 'matches no subscription' "$PUA_LOG")" "every NOTIFY matched"

# a NOTIFY for an unknown dialog gets 481 from pua
PORT_SAVE=$PORT PORT=$PUA_PORT
CALLID=nodialog25 sip_request NOTIFY "sip:bob25@127.0.0.1:$PUA_PORT" "Event: presence
Subscription-State: active;expires=100"
PORT=$PORT_SAVE
assert_reply 481 "NOTIFY outside any dialog"

assert_eq OK "$(pua_rpc pua.subscribe $A $W presence 0)" "pua.subscribe Expires 0"
wait_pua_count 0 "dialog ended in pua"
ours_only "server dialog rows" && wait_sql "select count(*) from active_watchers where callid='$CID'" 0 "dialog ended at the server"
assert_alive
finish
