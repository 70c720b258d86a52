# 40 NOTIFY failures (RFC 6665 section 4.2.2, timeout_rm_subs): a watcher
# that answers a NOTIFY with 481 loses its subscription (no more NOTIFYs,
# row gone) whatever timeout_rm_subs says (RFC 6665: MUST; Kamailio does
# the same); a NOTIFY that times out (the watcher is gone: tm's fr_timer
# fires, 408) removes it by default (SHOULD), and with timeout_rm_subs 0
# the subscription survives (Kamailio's "unreliable networks"): a watcher
# back on the same port gets the next NOTIFY. Also run with IMPL=reference.
. "$(dirname "$0")/../../lib.sh"
B=sip:nina@127.0.0.1

# scenario NAME WATCHER ANSWER: SUBSCRIBE, 200 to the first NOTIFY; the
# second NOTIFY is answered 481 (ANSWER=481) or not at all (ANSWER=none:
# sipp ends, its port closes, the NOTIFY times out); then, after a 481,
# wait 2 s for a third NOTIFY that must not come.
scenario() {
	{
		echo '<?xml version="1.0" encoding="ISO-8859-1"?><scenario name="'"$1"'">'
		watch_subscribe $B "$2" "sip:w@[local_ip]:[local_port]" 300 1 ""
		echo '<recv response="200" optional="true" next="acc200_1"/>' # subs_respond_200
		echo '<recv response="202"/>'
		echo '<label id="acc200_1"/>'
		watch_notify_ok
		echo '<recv request="NOTIFY"/>'
		if [ "$3" = 481 ]; then
			printf '%s\n' '<send><![CDATA[' \
				'SIP/2.0 481 Subscription does not exist' '[last_Via:]' '[last_From:]' \
				'[last_To:]' '[last_Call-ID:]' '[last_CSeq:]' 'Content-Length: 0' '' \
				']]></send>'
			echo '<recv request="NOTIFY" timeout="2000" ontimeout="end"/>'
		fi
		echo '<label id="end"/><pause milliseconds="1"/></scenario>'
	} >"$WORK/$1.xml"
}

publish_nina() {
	pidf $B open "$1" >"$1.xml"
	sip_request PUBLISH $B "Event: presence
Expires: 600
Content-Type: application/pidf+xml" "$1.xml"
	assert_reply 200 "nina publishes $1"
}

# run_case NAME WATCHER-USER ANSWER PARAMS...: the watcher subscribed and
# notified twice; leaves its trace and port (WPORT)
run_case() {
	local name=$1 user=$2 answer=$3
	shift 3
	start_kamailio --param=presence:db_update_period:1 --param=tm:fr_timer:1000 \
		"$@" || finish
	scenario "$name" "sip:$user@127.0.0.1" "$answer"
	sipp_bg "$name" "$WORK/$name.xml" -recv_timeout 10000
	WPORT=$SIPP_PORT
	wait_notifies "$name" 1
	wait_sql "select count(*) from active_watchers where watcher_username='$user'" 1 "$user's row stored"
	publish_nina "$name-1"
	wait_notifies "$name" 2
}

# after_481 NAME USER: no NOTIFY after the 481, the row is gone
after_481() {
	wait_sql "select count(*) from active_watchers where watcher_username='$2'" 0 \
		"$2's row removed after the 481"
	publish_nina "$1-2"
	sipp_wait "$1"
	assert_sipp $? "$2: 2 NOTIFYs, the 2nd answered 481"
	assert_eq 2 "$(trace_count "$(watch_trace "$1")" received '^NOTIFY')" "$2: no NOTIFY after the 481"
}

# tm_idle: no transaction left in tm (the NOTIFY to the vanished watcher
# timed out and was freed)
tm_idle() { [ "$(kam_stat tm.stats current)" = 0 ]; }
timed_out() { grep -q 'answered 408' "$KAM_LOG"; }

# back_on_port NAME: a watcher listening again on WPORT gets a NOTIFY
# after the next PUBLISH (0) or not (1)
back_on_port() {
	SIPP_LPORT=$WPORT sipp_bg "$1back" "$REPO/test/sip/scenarios/notify-listener.xml" \
		-recv_timeout 4000
	publish_nina "$1-2"
	sipp_wait "$1back"
}

run_case rm wilma 481
after_481 rm wilma
ours_only "the log line" && assert_log_contains 'answered 481' "the 481 is logged"
stop_kamailio

run_case rm0 yolanda 481 --param=presence:timeout_rm_subs:0
after_481 rm0 yolanda
stop_kamailio

run_case to zora none
sipp_wait to
wait_until 15 tm_idle || fail "tm still holds transactions"
ours_only "the log line of the timeout" && {
	wait_until 10 timed_out && ok "the NOTIFY timed out (408)" || fail "no 408 for the NOTIFY"; }
ours_only "Kamailio leaves the row in active_watchers until it expires" &&
	wait_sql "select count(*) from active_watchers where watcher_username='zora'" 0 \
		"zora's row removed after the timeout (timeout_rm_subs 1)"
back_on_port to
[ $? -ne 0 ] && ok "no NOTIFY to zora after the timeout" || fail "zora still notified after the timeout"
stop_kamailio

run_case keep xavier none --param=presence:timeout_rm_subs:0
sipp_wait keep
wait_until 15 tm_idle || fail "tm still holds transactions"
ours_only "the log line of the timeout" && {
	wait_until 10 timed_out && ok "the NOTIFY timed out (408)" || fail "no 408 for the NOTIFY"; }
wait_db
assert_sql "select count(*) from active_watchers where watcher_username='xavier'" 1 "xavier's row kept"
back_on_port keep
assert_sipp $? "with timeout_rm_subs 0 the subscription survives the timeout: xavier back on his port is notified"
assert_alive
finish
