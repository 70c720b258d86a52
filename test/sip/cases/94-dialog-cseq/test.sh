# 94 In-dialog SUBSCRIBE state an attacker cannot poison (RFC 3261 s12.2.2,
# RFC 6665): a delayed (lower CSeq) or replayed (equal CSeq) un-SUBSCRIBE
# is answered 500 and the subscription stays (a PUBLISH still NOTIFYs the
# watcher; the last CSeq taken is what is stored); an in-dialog SUBSCRIBE
# of a dialog we do not know is answered 481, and a burst of them leaves a
# rate-limited log.
. "$(dirname "$0")/../../lib.sh"
start_kamailio --param=presence:db_update_period:1 || finish
A=sip:alice@127.0.0.1
pidf $A open >open.xml
pidf $A closed >closed.xml

SIPP_TIMEOUT=60 sipp_bg w watcher.xml -k presentity $A -recv_timeout 45000
T=$(watch_trace w)
two_notifies() { [ "$(trace_count "$T" received '^NOTIFY')" -ge 2 ]; }
wait_until "$WAIT_MAX" two_notifies || fail "watcher: no NOTIFY after its refresh"
R=$(trace_msg "$T" received '^SIP/2.0 200' 2)
CID=$(msg_hdr "$R" Call-ID)
FTAG=$(msg_hdr "$R" From | sed 's/.*;tag=//')
TTAG=$(msg_hdr "$R" To | sed 's/.*;tag=//')
for c in 2 3; do # delayed (lower CSeq), replayed (the last CSeq taken)
	printf '%s\n' "SUBSCRIBE $A SIP/2.0" \
		"Via: SIP/2.0/UDP 127.0.0.1:LPORT;branch=z9hG4bK-replay-$c" \
		"From: <sip:bob@127.0.0.1>;tag=$FTAG" "To: <$A>;tag=$TTAG" \
		"Call-ID: $CID" "CSeq: $c SUBSCRIBE" "Max-Forwards: 70" \
		"Contact: <sip:bob@127.0.0.1:LPORT>" "Event: presence" "Expires: 0" \
		"Content-Length: 0" "" >replay-$c.sip
	R=$(python3 "$CASE_DIR/udp_request.py" "$PORT" replay-$c.sip)
	assert_match '^SIP/2.0 500 Out of order' "$(printf '%s\n' "$R" | head -n1)" \
		"un-SUBSCRIBE of the dialog with CSeq $c (last taken: 3) -> 500"
done
wait_sql "select remote_cseq from active_watchers where watcher_username='bob'" 3
wait_db
assert_sql "select count(*) from active_watchers" 1 "the subscription is still stored"
sip_request PUBLISH $A "Event: presence
Expires: 60
Content-Type: application/pidf+xml" closed.xml
assert_reply 200 "PUBLISH after the replays"
sipp_wait w
assert_sipp $? "watcher got the NOTIFY after the replays, then unsubscribed with CSeq 4"
assert_match '<basic>closed</basic>' "$(msg_body "$(trace_msg "$T" received '^NOTIFY' 3)")" "the NOTIFY carries the PUBLISHed state"
wait_sql "select count(*) from active_watchers" 0

# unknown dialogs: 481, and a burst of them does not flood the log
for i in 1 2 3 4 5; do
	TO="<$A>;tag=10.0123456789abcdef0123456789abcd$i" CSEQ=2 \
		sip_request SUBSCRIBE $A "Event: presence
Expires: 300"
	assert_reply 481 "in-dialog SUBSCRIBE of an unknown dialog ($i)"
done
n=$(grep -c 'in-dialog SUBSCRIBE for unknown dialog' "$KAM_LOG")
if [ "$n" -ge 1 ] && [ "$n" -le 2 ]; then
	ok "5 unknown dialogs logged $n time(s) (rate-limited)"
else
	fail "5 unknown dialogs logged $n times, expected 1 or 2"
fi
assert_alive
finish
