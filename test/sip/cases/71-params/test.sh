# 71 Kamailio 5.6's presence parameters that change what a user sees, each
# in its own Kamailio: subs_respond_200 (200 by default, 202 with 0),
# min_expires_action (1: 423, 2: the subscription gets min_expires),
# cseq_offset (an in-dialog SUBSCRIBE with an older CSeq), delete_same_subs,
# send_fast_notify 0, force_delete, sip_uri_match, timer_mode 0,
# local_log_level; enable_dmq 1 without dmq.so stops the start with a clear error, a
# parameter for a mechanism ours lacks (notifier_processes) is accepted and
# reported. The same assertions run on Kamailio's presence where it has the
# behaviour.
. "$(dirname "$0")/../../lib.sh"
A=sip:ana@127.0.0.1

# sub_scenario NAME WATCHER EXPIRES CSEQ2 [EXPIRES2]: SUBSCRIBE (CSeq 10),
# any final reply, then (CSEQ2 set) an in-dialog SUBSCRIBE with CSeq CSEQ2
# and any final reply; NOTIFYs are answered 200 whenever they come.
sub_scenario() {
	local name=$1 w=$2 exp=$3 c2=${4:-} e2=${5:-300}
	{
		echo '<?xml version="1.0" encoding="ISO-8859-1"?>'
		echo "<scenario name=\"$name\">"
		watch_subscribe $A "$w" "sip:w@[local_ip]:[local_port]" "$exp" 10 ""
		echo '<recv response="200" optional="true" next="r1"/>'
		echo '<recv response="202" optional="true" next="r1"/>'
		echo '<recv response="423" next="done"/>'
		echo '<label id="r1"/>'
		echo '<recv request="NOTIFY" timeout="1500" ontimeout="n1"/>'
		printf '%s\n' '<send><![CDATA[' 'SIP/2.0 200 OK' '[last_Via:]' \
			'[last_From:]' '[last_To:]' '[last_Call-ID:]' '[last_CSeq:]' \
			'Content-Length: 0' '' ']]></send>'
		echo '<label id="n1"/>'
		if [ -n "$c2" ]; then
			watch_subscribe $A "$w" "sip:w@[local_ip]:[local_port]" "$e2" "$c2" "[peer_tag_param]"
			echo '<recv response="200" optional="true" next="done"/>'
			echo '<recv response="202" optional="true" next="done"/>'
			echo '<recv response="500" next="done"/>'
		fi
		echo '<label id="done"/>'
		echo '<recv request="NOTIFY" timeout="800" ontimeout="end"/>'
		printf '%s\n' '<send><![CDATA[' 'SIP/2.0 200 OK' '[last_Via:]' \
			'[last_From:]' '[last_To:]' '[last_Call-ID:]' '[last_CSeq:]' \
			'Content-Length: 0' '' ']]></send>'
		echo '<label id="end"/><pause milliseconds="1"/></scenario>'
	} >"$WORK/$name.xml"
}
sub_codes() { trace_msg "$SIPP_TRACE" received '^SIP/2.0' 0 >/dev/null;
	for i in 1 2; do reply_code $i; done | xargs; }
publish_ana() {
	pidf $A open "$1" >"$1.xml"
	sip_request PUBLISH $A "Event: presence
Expires: ${2:-600}
Content-Type: application/pidf+xml" "$1.xml"
	assert_reply 200 "ana publishes $1"
}

# ---- subs_respond_200 (default) / min_expires_action 1 / cseq_offset 0
start_kamailio --param=presence:min_expires:60 || finish
publish_ana ana-71
sub_scenario s1 sip:sam@127.0.0.1 300 9
sipp_run "$WORK/s1.xml"
# an older CSeq: 500 (RFC 3261 section 12.2.2); Kamailio's answers 400.
# The same CSeq again reaches the handler only as a replay (tm absorbs a
# retransmission): 500 too (case 94), unless cseq_offset > 0
if is_reference; then OLD=400 SAME=400; else OLD=500 SAME=500; fi
assert_eq "200 $OLD" "$(sub_codes)" "SUBSCRIBE -> 200 (subs_respond_200 1); in-dialog CSeq 9 after 10 -> $OLD (out of order)"
assert_eq 1 "$(trace_count "$SIPP_TRACE" received '^NOTIFY')" "one NOTIFY (the 500 sends none)"
sub_scenario s2 sip:sid@127.0.0.1 300 10
sipp_run "$WORK/s2.xml"
assert_eq "200 $SAME" "$(sub_codes)" "in-dialog SUBSCRIBE with the same CSeq (a replay) -> $SAME"
sub_scenario s3 sip:sue@127.0.0.1 30
sipp_run "$WORK/s3.xml"
R=$(reply 1)
assert_eq 423 "$(reply_code 1)" "Expires 30 below min_expires 60 -> 423 (min_expires_action 1)"
assert_eq 60 "$(msg_hdr "$R" Min-Expires)" "Min-Expires"
n=$(grep -c 'answered' "$KAM_LOG")
ours_only "the reject lines go at local_log_level (2, INFO, by default)" &&
	assert_num -ge 1 "$n" "reject lines logged"
stop_kamailio

# ---- subs_respond_200 0, min_expires_action 2, cseq_offset 2, local_log_level 3
start_kamailio --param=presence:subs_respond_200:0 --param=presence:min_expires:60 \
	--param=presence:min_expires_action:2 --param=presence:cseq_offset:2 \
	--param=presence:local_log_level:3 --param=presence:db_update_period:1 || finish
sub_scenario s4 sip:sal@127.0.0.1 30 8
sipp_run "$WORK/s4.xml"
is_reference && OK2=400 || OK2=202
assert_eq "202 $OK2" "$(sub_codes)" "202 with subs_respond_200 0; CSeq 8 after 10 within cseq_offset 2 -> $OK2"
assert_match '^(60|59)$' "$(msg_hdr "$(reply 1)" Expires)" "Expires 30 raised to min_expires (min_expires_action 2)"
assert_match '^active;expires=(60|59)$' "$(msg_hdr "$(trace_msg "$SIPP_TRACE" received '^NOTIFY' 1)" Subscription-State)" "the NOTIFY's expires"
n=$(grep -c 'answered' "$KAM_LOG")
ours_only "local_log_level 3 (DBG) hides the reject lines at debug=2" &&
	{ sip_request SUBSCRIBE $A "Event: nosuchevent"; assert_reply 489 "unknown event";
	  assert_eq 0 "$(grep -c 'answered 489' "$KAM_LOG")" "reject line not at INFO"; }
stop_kamailio

# ---- send_fast_notify 0: no empty NOTIFY right after the SUBSCRIBE to a
# presentity with nothing published; the next change is notified; one with
# state gets its NOTIFY
start_kamailio --param=presence:send_fast_notify:0 || finish
A=sip:hal@127.0.0.1
sub_scenario s5 sip:sy@127.0.0.1 300
sipp_bg s5 "$WORK/s5.xml"
sipp_wait s5
# (Kamailio 5.6's presence, subs_db_mode 2, still sends the empty one)
ours_only "send_fast_notify 0 holds back the empty NOTIFY" &&
	assert_eq 0 "$(trace_count "$(watch_trace s5)" received '^NOTIFY')" "no NOTIFY without a body after the SUBSCRIBE (send_fast_notify 0)"
is_reference && K=2 || K=1
watch_start w5 $A sip:wyn@127.0.0.1 $K 300 0
publish_ana hal-71
wait_notifies w5 $K
assert_match 'hal-71' "$(msg_body "$(watch_notify w5 -1)")" "the change is notified"
sub_scenario s5b sip:syd@127.0.0.1 300
sipp_bg s5b "$WORK/s5b.xml"
sipp_wait s5b
assert_eq 1 "$(trace_count "$(watch_trace s5b)" received '^NOTIFY')" "a NOTIFY with state is sent after the SUBSCRIBE"
stop_kamailio

# ---- delete_same_subs 1: a SUBSCRIBE with the Call-ID of another
# subscription to the same presentity replaces it
start_kamailio --param=presence:delete_same_subs:1 --param=presence:db_update_period:1 || finish
for t in a b; do
	FROM="<sip:dee@127.0.0.1>" CALLID=same-call-71 sip_request SUBSCRIBE $A "Event: presence
Expires: 300"
	assert_reply '200' "SUBSCRIBE $t with Call-ID same-call-71 (its own From tag)"
done
TAG=$(msg_tag "$(msg_hdr "$REPLY" From)")
wait_sql "select count(*) from active_watchers where callid='same-call-71'" 1 "one subscription left for the Call-ID"
wait_db
assert_sql "select from_tag from active_watchers where callid='same-call-71'" "$TAG" "the newer one"
stop_kamailio

# ---- force_delete 1, timer_mode 0: an expired publication goes without
# a NOTIFY (clean_period 1, on the main timer)
start_kamailio --param=presence:force_delete:1 --param=presence:timer_mode:0 \
	--param=presence:clean_period:1 --param=presence:min_expires:0 || finish
A=sip:fay@127.0.0.1
publish_ana fay-71 2
watch_start w6 $A sip:wes@127.0.0.1 1 300 0
wait_notifies w6 1
wait_sql "select count(*) from presentity where username='fay'" 0 "the expired publication removed by the timer"
sleep 1.2 # a NOTIFY for the removal would have come by now
assert_eq 1 "$(trace_count "$(watch_trace w6)" received '^NOTIFY')" "no NOTIFY for the removal (force_delete 1)"
stop_kamailio

# ---- sip_uri_match 1: a SUBSCRIBE for sip:GUS@127.0.0.1 sees gus's state
ours_only "sip_uri_match 1 (our presentity URIs compare case-insensitively)" && {
	start_kamailio --param=presence:sip_uri_match:1 || finish
	A=sip:gus@127.0.0.1
	publish_ana gus-71
	watch_start w7 sip:GUS@127.0.0.1 sip:wil@127.0.0.1 1 300 0
	wait_notifies w7 1
	assert_match 'gus-71' "$(msg_body "$(watch_notify w7 1)")" "sip:GUS@ gets gus's document"
	stop_kamailio
}

# ---- enable_dmq 1 without the dmq module loaded: the start fails and says
# why; Kamailio 6.1's subscription switches without enable_dmq start and
# say so (the clusters themselves: make check-dmq)
if ours_only "our error text for enable_dmq"; then
	if start_kamailio_expect_exit --param=presence:enable_dmq:1; then
		ok "enable_dmq 1 without dmq.so: Kamailio does not start"
	else
		fail "enable_dmq 1 without dmq.so: Kamailio started"
		stop_kamailio
	fi
	assert_log_contains 'enable_dmq needs the dmq module: load dmq.so before presence' "the start-up error says why"
	# Kamailio 6.1's switches under enable_dmq, set without it: the start
	# goes on and says they do nothing
	start_kamailio --param=presence:enable_subs_dmq:1 \
		--param=presence:enable_subs_sync_dmq:1 --param=presence:skip_notify_dmq:1 \
		--param=presence:default_socket:udp:127.0.0.1:5060 || finish
	assert_alive
	assert_log_contains 'enable_subs_dmq has no effect without enable_dmq 1' \
		"enable_subs_dmq without enable_dmq: reported at start-up"
	stop_kamailio
fi

# ---- a parameter of a mechanism ours does not have: accepted, reported
start_kamailio --param=presence:notifier_processes:2 --param=presence:waitn_time:10 \
	--param=presence:fetch_rows:100 --param=presence:db_table_lock_type:0 \
	--param=presence:startup_mode:0 --param=presence:notifier_poll_rate:20 \
	--param=presence:local_log_facility:LOG_LOCAL3 --param=presence:retrieve_order:1 \
	--param=presence:retrieve_order_by:"priority, received_time" \
	--param=presence:subs_remove_match:1 --param=presence:pres_subs_mode:0 || finish
assert_alive
ours_only "our start-up notice" &&
	assert_log_contains 'notifier_processes=2 is accepted and has no effect here' "notifier_processes reported once"
finish
