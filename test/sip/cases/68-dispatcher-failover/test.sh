# 68 Failover in the shared-database mode: two presence instances in
# DB-only mode (subs_db_mode 3, publ_cache 0) on one database behind a
# third Kamailio running Debian's dispatcher (proxy.cfg: round robin over
# the instances that answer its OPTIONS probes, record_route on the initial
# SUBSCRIBE). Both instances have the proxy's address as server_address, so
# the dialog's remote target is the proxy, not an instance. A watcher
# subscribes through the proxy; the instance that took the SUBSCRIBE is
# killed (SIGKILL to its processes, by PID, as a crash); once the
# dispatcher has marked it inactive, a PUBLISH sent to the proxy reaches
# the other instance, which sends the watcher the NOTIFY: in the same
# dialog (Call-ID, tags), with a higher CSeq than the first NOTIFY's, along
# the dialog's route set (through the proxy). Then the watcher refreshes
# its subscription in the dialog: the proxy dispatches the in-dialog
# SUBSCRIBE (addressed to itself) to the surviving instance, which answers
# it and NOTIFYs with a still higher CSeq. SQLite is enough: the instances
# share one file, as on a server engine (case 12 runs them all).
. "$(dirname "$0")/../../lib.sh"
ours_only "DB-only mode (subs_db_mode 3 / publ_cache 0) is ours" || finish
PP=$(free_udp_port) || finish
P=(--param=presence:subs_db_mode:3 --param=presence:publ_cache:0
	--param=presence:server_address:sip:127.0.0.1:$PP)
inst_new a && start_kamailio "${P[@]}" && inst_save a || finish
inst_new b && start_kamailio "${P[@]}" && inst_save b || finish
PA=${INSTANCES[a]#*|} PA=${PA%%|*}
PB=${INSTANCES[b]#*|} PB=${PB%%|*}
printf '1 sip:127.0.0.1:%s\n1 sip:127.0.0.1:%s\n' "$PA" "$PB" >"$WORK/dispatcher.list"
inst_new p
PORT=$PP
KAM_CFG=$CASE_DIR/proxy.cfg start_kamailio -A "DSLIST=\"$WORK/dispatcher.list\"" && inst_save p || finish
AL=sip:alice@127.0.0.1

# ds_flags PORT: the dispatcher's flags of destination PORT ("AP" active
# and probed, "IP" inactive)
ds_flags() {
	kam_rpc dispatcher.list | awk -v u="sip:127.0.0.1:$1" '
		$1 == "URI:" { hit = ($2 == u) } hit && $1 == "FLAGS:" { print $2; exit }'
}
ds_is() { [[ "$(ds_flags "$1")" == $2* ]]; }
wait_until 10 ds_is "$PA" A && wait_until 10 ds_is "$PB" A ||
	fail "dispatcher: both instances active (flags '$(ds_flags "$PA")' '$(ds_flags "$PB")')"

pidf $AL open before-failover >before.xml
inst_use a && sip_request PUBLISH $AL "Event: presence
Expires: 600
Content-Type: application/pidf+xml" before.xml
assert_reply 200 "PUBLISH of alice's first state"

# wendy: SUBSCRIBE through the proxy, two NOTIFYs answered at their Via,
# then a refresh in the dialog (to the 2xx's Contact along its
# Record-Route: rrs, [next_url], [routes]), its 2xx and a third NOTIFY.
# The proxy may pass a NOTIFY on before the 2xx (they cross it in
# different workers; RFC 6665 s4.1.2.4 lets a NOTIFY come first): either
# order is taken.
# two_xx NEXT: the 2xx of a SUBSCRIBE (200 or 202), optional, then NEXT;
# keeps its route set and To tag
two_xx() {
	local c
	for c in 200 202; do
		echo "<recv response=\"$c\" optional=\"true\" next=\"$1\" rrs=\"true\"><action>"
		echo '<ereg regexp=";tag=([^;> ]*)" search_in="hdr" header="To:" assign_to="tt,totag"/>'
		echo '</action></recv>'
	done
}
{
	echo '<?xml version="1.0" encoding="ISO-8859-1"?><scenario name="wendy">'
	watch_subscribe $AL sip:wendy@127.0.0.1 "sip:wendy@[local_ip]:[local_port]" 300 1 ""
	two_xx acc
	watch_notify_via_ok
	two_xx one
	echo '<recv response="999"/>'
	echo '<label id="acc"/>'
	watch_notify_via_ok
	echo '<label id="one"/>'
	watch_notify_via_ok
	printf '%s\n' '<send><![CDATA[' \
		'SUBSCRIBE [next_url] SIP/2.0' \
		'Via: SIP/2.0/UDP [local_ip]:[local_port];branch=[branch]' \
		"From: <sip:wendy@127.0.0.1>;tag=[pid]w[call_number]" \
		"To: <$AL>;tag=[\$totag]" \
		'Call-ID: [call_id]' \
		'CSeq: 2 SUBSCRIBE' \
		'[routes]' \
		'Max-Forwards: 70' \
		'Contact: <sip:wendy@[local_ip]:[local_port]>' \
		'Event: presence' \
		'Expires: 300' \
		'Content-Length: 0' \
		'' ']]></send>'
	echo '<recv response="100" optional="true"/>'
	two_xx racc
	watch_notify_via_ok
	two_xx rdone
	echo '<recv response="999"/>'
	echo '<label id="racc"/>'
	watch_notify_via_ok
	echo '<label id="rdone"/>'
	echo '</scenario>'
} >"$WORK/wendy.xml"
inst_use p
sipp_bg wendy "$WORK/wendy.xml" -recv_timeout 15000
wait_notifies wendy 1 || finish
T=$(watch_trace wendy)
got_2xx() { [ -n "$(trace_msg "$T" received '^SIP/2.0 20[02]' 1)" ]; }
wait_until 10 got_2xx || fail "no 2xx to wendy's SUBSCRIBE"
OK=$(trace_msg "$T" received '^SIP/2.0 20[02]' 1)
N1=$(watch_notify wendy 1)
assert_match "^<?sip:127.0.0.1:$PP>?\$" "$(msg_hdr "$OK" Contact)" \
	"the 2xx's Contact is server_address, the proxy"
# the instance that took the SUBSCRIBE: where the proxy sent it
inst_use p
PX=$(sed -n 's/.*SUBSCRIBE sip:alice@127\.0\.0\.1 to sip:127\.0\.0\.1:\([0-9]*\).*/\1/p' "$KAM_LOG" | head -n1)
case "$PX" in
"$PA") X=a Y=b PY=$PB ;;
"$PB") X=b Y=a PY=$PA ;;
*) fail "the proxy's log names no instance for the SUBSCRIBE: '$PX'"; finish ;;
esac
assert_match "127.0.0.1:$PP" "$(msg_hdr "$OK" Record-Route)" "the proxy record-routed the SUBSCRIBE"
assert_match "open" "$(msg_body "$N1")" "first NOTIFY: alice's state"

# crash of instance X: every process of it killed by PID
inst_use $X
KIDS=$(ps -o pid= --ppid "$KAM_PID" | tr -d ' ' | tr '\n' ' ')
kill -KILL $KIDS "$KAM_PID" 2>/dev/null
wait_until 10 proc_gone "$KAM_PID" && wait_until 10 udp_free "$PX" ||
	fail "instance $X (pid $KAM_PID, port $PX) still there"
wait "$KAM_PID" 2>/dev/null
note "instance $X (port $PX) killed: pids $KAM_PID $KIDS"
unset "INSTANCES[$X]"
KAM_PID=

inst_use p
wait_until 10 ds_is "$PX" I &&
	ok "dispatcher marked the killed instance inactive ($(ds_flags "$PX"))" ||
	fail "dispatcher: killed instance not inactive (flags '$(ds_flags "$PX")')"
pidf $AL closed after-failover >after.xml
sip_request PUBLISH $AL "Event: presence
Expires: 600
Content-Type: application/pidf+xml" after.xml
assert_reply 200 "PUBLISH through the proxy after the crash"
wait_notifies wendy 2 || finish
N2=$(watch_notify wendy 2)
assert_match "after-failover" "$(msg_body "$N2")" "second NOTIFY: the PUBLISH taken by instance $Y"
C1=$(msg_hdr "$N1" CSeq | cut -d' ' -f1) C2=$(msg_hdr "$N2" CSeq | cut -d' ' -f1)
assert_num -gt "$C1" "$C2" "CSeq of the NOTIFY from $Y ($C2) above the first one's ($C1)"
assert_eq "$(msg_hdr "$N1" Call-ID)" "$(msg_hdr "$N2" Call-ID)" "same dialog: Call-ID"
assert_eq "$(msg_tag "$(msg_hdr "$N1" From)")" "$(msg_tag "$(msg_hdr "$N2" From)")" "same dialog: From tag (the 2xx's To tag)"
assert_eq "$(msg_tag "$(msg_hdr "$OK" To)")" "$(msg_tag "$(msg_hdr "$N2" From)")" "From tag of the NOTIFY = To tag of the 2xx"
VIAS=$(printf '%s\n' "$N2" | grep -i '^Via:' | tr '\n' ' ')
assert_match "^Via: SIP/2.0/UDP 127.0.0.1:$PP;.*Via: SIP/2.0/UDP 127.0.0.1:$PY;" "$VIAS" \
	"NOTIFY sent by instance $Y along the route set (through the proxy)"
assert_log_contains "in-dialog NOTIFY from 127.0.0.1:$PY" "the proxy relayed $Y's NOTIFY by loose routing"

# the refresh: sent by wendy right after the second NOTIFY
wait_notifies wendy 3 || finish
N3=$(watch_notify wendy 3)
OK2=$(trace_msg "$T" received '^SIP/2.0 20[02]' 2)
assert_match "^SIP/2.0 20[02]" "$OK2" "the refresh after the crash got a 2xx"
assert_match "^<?sip:127.0.0.1:$PP>?\$" "$(msg_hdr "$OK2" Contact)" "its Contact is the proxy again"
assert_eq "$(msg_hdr "$N1" Call-ID)" "$(msg_hdr "$N3" Call-ID)" "third NOTIFY: same dialog"
C3=$(msg_hdr "$N3" CSeq | cut -d' ' -f1)
assert_num -gt "$C2" "$C3" "CSeq of the refresh's NOTIFY ($C3) above the second one's ($C2)"
assert_match "after-failover" "$(msg_body "$N3")" "the refresh's NOTIFY: alice's current state"
assert_log_contains "in-dialog SUBSCRIBE to the cluster dispatched to sip:127.0.0.1:$PY" \
	"the proxy dispatched the in-dialog SUBSCRIBE addressed to it to $Y"
watch_wait wendy "wendy: three NOTIFYs and the refresh"
inst_use $Y && assert_alive
inst_use p && assert_alive
finish
