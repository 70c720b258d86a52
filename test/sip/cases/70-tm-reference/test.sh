# 70 Replies through a transaction keep tm's reference counting right: the
# script calls t_newtran() before handle_publish()/handle_subscribe()
# (-A WITH_TM), and a batch of PUBLISHes (initial, refresh, modify, remove,
# an unknown event) and SUBSCRIBE dialogs (initial, refresh, unsubscribe)
# are answered as without a transaction, while tm logs no "removed cell ...
# still linked in hash table" (a cell freed while tm still used it: the
# reply path had handed t_reply_with_body() a reference it did not own).
# tm.stats shows every transaction gone once the wait timer ran.
. "$(dirname "$0")/../../lib.sh"
CHILDREN=2 start_kamailio -A WITH_TM || finish
P=sip:tara@127.0.0.1
codes=()
for i in 1 2 3 4 5; do
	pidf $P open "tara-70-$i" >pidf.xml
	sip_request PUBLISH $P "Event: presence
Expires: 600
Content-Type: application/pidf+xml" pidf.xml
	codes+=("$REPLY_CODE")
	E=$(msg_hdr "$REPLY" SIP-ETag)
	sip_request PUBLISH $P "Event: presence
Expires: 600
SIP-If-Match: $E"
	codes+=("$REPLY_CODE")
	E=$(msg_hdr "$REPLY" SIP-ETag)
	sip_request PUBLISH $P "Event: presence
Expires: 600
SIP-If-Match: $E
Content-Type: application/pidf+xml" pidf.xml
	codes+=("$REPLY_CODE")
	E=$(msg_hdr "$REPLY" SIP-ETag)
	sip_request PUBLISH $P "Event: presence
Expires: 0
SIP-If-Match: $E"
	codes+=("$REPLY_CODE")
	sip_request PUBLISH $P "Event: nosuchevent
Expires: 600
Content-Type: application/pidf+xml" pidf.xml
	codes+=("$REPLY_CODE")
done
assert_eq "$(printf '200 200 200 200 489 %.0s' 1 2 3 4 5 | xargs)" "${codes[*]}" \
	"25 PUBLISHes in transactions: initial, refresh, modify, remove, unknown event"

pidf $P open tara-70 >pidf.xml
sip_request PUBLISH $P "Event: presence
Expires: 600
Content-Type: application/pidf+xml" pidf.xml
assert_reply 200 "tara publishes"
for i in 1 2 3; do
	watch_start w$i $P "sip:watcher$i@127.0.0.1" 1
done
for i in 1 2 3; do
	watch_wait w$i "watcher$i: SUBSCRIBE, NOTIFY, unsubscribe, final NOTIFY"
	T=$(watch_trace w$i)
	assert_eq 2 "$(trace_count "$T" received '^SIP/2.0')" "watcher$i: one reply to each SUBSCRIBE"
	assert_match 'tara-70' "$(msg_body "$(watch_notify w$i 1)")" "watcher$i: NOTIFY body"
	assert_match '^terminated' "$(msg_hdr "$(watch_notify w$i 2)" Subscription-State)" "watcher$i: final NOTIFY"
done
sipp_run ../11-transaction-mode/tm-subscribe.xml -k presentity $P -k watcher sip:tim@127.0.0.1
assert_sipp $? "SUBSCRIBE, NOTIFY, unsubscribe, NOTIFY, OPTIONS (one worker would see a second reply)"

assert_alive
n=$(grep -c 'still linked in hash table' "$KAM_LOG")
assert_eq 0 "$n" "tm warnings 'removed cell ... still linked in hash table'"
n=$(grep -Ec 'free_cell_helper|BUG|CRITICAL' "$KAM_LOG")
assert_eq 0 "$n" "no other tm cell warnings, BUG or CRITICAL lines"
# every transaction of the test ends (wait timer 5 s): none left behind
gone() { [ "$(kam_stat tm.stats current)" = 0 ]; }
if WAIT_MAX=15 wait_until 15 gone; then
	ok "tm.stats: no transaction left"
else
	fail "tm.stats: transactions left: $(kam_rpc tm.stats | tr -s '\n\t' ' ')"
fi
finish
