# 40 NOTIFY failures (RFC 6665 section 4.2.2, timeout_rm_subs): a watcher
# that answers a NOTIFY with 481 loses its subscription (row gone, no more
# NOTIFYs); with timeout_rm_subs 0 the same watcher keeps it.
. "$(dirname "$0")/../../lib.sh"
ours_only "the 481 removal is checked in our active_watchers rows" || finish
B=sip:nina@127.0.0.1

# watcher: SUBSCRIBE, 200 to the first NOTIFY, 481 to the second.
scenario() { # NAME WATCHER
	{
		echo '<?xml version="1.0" encoding="ISO-8859-1"?><scenario name="'"$1"'">'
		watch_subscribe $B "$2" "sip:w@[local_ip]:[local_port]" 300 1 ""
		echo '<recv response="200" optional="true" next="acc200_1"/>' # subs_respond_200
		echo '<recv response="202"/>'
		echo '<label id="acc200_1"/>'
		watch_notify_ok
		printf '%s\n' '<recv request="NOTIFY"/>' '<send><![CDATA[' \
			'SIP/2.0 481 Subscription does not exist' '[last_Via:]' '[last_From:]' \
			'[last_To:]' '[last_Call-ID:]' '[last_CSeq:]' 'Content-Length: 0' '' \
			']]></send>'
		echo '<recv request="NOTIFY" timeout="2000" ontimeout="end"/>'
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

run_case() { # NAME WATCHER-USER PARAMS... ; leaves the watcher's trace
	local name=$1 user=$2
	shift 2
	start_kamailio --param=presence:db_update_period:1 "$@" || finish
	scenario "$name" "sip:$user@127.0.0.1"
	sipp_bg "$name" "$WORK/$name.xml" -recv_timeout 10000
	wait_notifies "$name" 1
	wait_sql "select count(*) from active_watchers where watcher_username='$user'" 1 "$user's row stored"
	publish_nina "$name-1"
	wait_notifies "$name" 2
}

run_case rm wilma
wait_sql "select count(*) from active_watchers where watcher_username='wilma'" 0 \
	"wilma's row removed after her 481 (timeout_rm_subs 1)"
publish_nina rm-2
sipp_wait rm
assert_sipp $? "wilma: 2 NOTIFYs, the 2nd answered 481"
assert_eq 2 "$(trace_count "$(watch_trace rm)" received '^NOTIFY')" "no NOTIFY after the 481"
assert_log_contains 'answered 481' "the 481 is logged"
stop_kamailio

run_case keep xavier --param=presence:timeout_rm_subs:0
publish_nina keep-2
wait_notifies keep 3 && ok "with timeout_rm_subs 0 the subscription survives the 481"
sipp_wait keep
assert_sql "select count(*) from active_watchers where watcher_username='xavier'" 1 "xavier's row kept"
assert_alive
finish
