# 22 Refresh before the granted expiry: the presence server caps Expires at
# 6 s (max_expires) while the owner asked for 60 s, so pua refreshes the
# publication (SIP-If-Match, no body) and the subscription (in-dialog
# SUBSCRIBE, CSeq growing) every few seconds, each before the grant runs
# out: the server's row and dialog outlive the first grant.
WAIT_MAX=${WAIT_MAX:-15}
. "$(dirname "$0")/../../lib.sh"
. "$CASE_DIR/../20-pua-lib/pua-lib.sh" || exit 2
# Debian's presence on SQLite answers 500 ("database is locked") now and
# then when its active_watchers flush runs every second: flush often only
# on ours, and check the server's dialog rows only there.
SRV=(--param=presence:db_update_period:1)
is_reference && SRV=()
start_kamailio --param=presence:max_expires:6 "${SRV[@]}" || finish
pua_start || finish
A=sip:alice22@127.0.0.1
ROW="from presentity where username='alice22' and event='presence'"
pidf $A open r1 >b1.xml

T0=$(date +%s)
assert_eq OK "$(pua_publish $A 60 . b1.xml)" "pua.publish for 60 s"
wait_field $A publish last_code 200 "initial PUBLISH answered"
assert_eq OK "$(pua_rpc pua.subscribe $A sip:bob22@127.0.0.1 presence 60)" "pua.subscribe for 60 s"
assert_num -le 6 "$(pua_field $A publish expires)" "granted expiry (server's max_expires 6)"
assert_num -ge 50 "$(pua_field $A publish desired)" "desired expiry kept"
wait_field $A publish sent 3 "two refreshes sent"
wait_field $A publish pending idle "refresh answered"
assert_num -ge 7 "$(($(date +%s) - T0))" "the refreshes span more than one grant"
# Debian's server may answer a refresh 500 ("database is locked"): pua
# keeps the publication and refreshes again after a second (case 49)
wait_field $A publish last_code 200 "last refresh answered 200"
wait_sql "select count(*), max(etag) $ROW" "1|$(pua_field $A publish etag)" "server row alive with pua's ETag"
assert_match 'r1' "$(sql "select $BODY_SQL $ROW")" "body kept through the refreshes"
cseq_ge() { [ "$(pua_field $A subscribe cseq)" -ge "$1" ] 2>/dev/null; }
if wait_until "$WAIT_MAX" cseq_ge 3; then
	ok "subscription refreshed at least twice (CSeq $(pua_field $A subscribe cseq))"
else
	fail "subscription refreshed twice: expected CSeq >= 3 within ${WAIT_MAX}s, saw '$(pua_field $A subscribe cseq)'"
fi
assert_eq active "$(pua_field $A subscribe state)" "subscription state"
CID=$(pua_field $A subscribe call_id)
ours_only "server dialog rows" && wait_sql "select count(*) from active_watchers where callid='$CID'" 1 "server dialog alive"
assert_num -ge 2 "$(pua_field $A subscribe notifies)" "NOTIFYs received in the dialog"
assert_alive
finish
