# 75 Statistics through Kamailio's counters, read with `kamcmd
# stats.get_statistics <group>:` after known sequences of requests:
# - presence: PUBLISH and SUBSCRIBE received and answered by class, NOTIFYs
#   sent, answered with an error and timed out, the gauges of live
#   publications and subscriptions (total and per event), DB operations and
#   errors (a PUBLISH after the presentity table is dropped: 500, DB error;
#   this instance runs with db_write_interval 0, the synchronous writes);
# - presence_xml: an XCAP fetch from a server that does not answer;
# - pua (a second Kamailio): PUBLISH and SUBSCRIBE sent and answered, the
#   NOTIFY received, a 412 recovery after the server lost the publication;
# - presence_b2b (a third Kamailio): its SUBSCRIBE and the NOTIFY.
# Debian's presence modules export no statistics: the checks of the presence
# server's groups are ours only (pua and presence_b2b are always ours).
. "$(dirname "$0")/../../lib.sh"
. "$CASE_DIR/../20-pua-lib/pua-lib.sh" || exit 2
. "$CASE_DIR/../3x-b2b-lib/b2b.sh"
# db_write_interval 0 (Kamailio's synchronous writes): the DB error below
# must reach the PUBLISH (with the DB writer, the default, it is answered
# 200 from memory and the writer retries)
SYNC=()
is_reference || SYNC=(--param=presence:db_write_interval:0)
start_kamailio --param=tm:fr_timer:1000 "${SYNC[@]}" || finish
A=sip:alice@127.0.0.1 C=sip:carol@127.0.0.1

# stat GROUP NAME: the value kamcmd shows for GROUP:NAME (empty: absent),
# on the ctl socket STAT_CTL (default: the presence server's)
stat() {
	kamcmd -s "unix:${STAT_CTL:-$CTL}" stats.get_statistics "$1:" |
		sed -n "s/^$1:$2 = //p"
}
# assert_stats GROUP NAME=VALUE...: each statistic has exactly that value
assert_stats() {
	local g=$1 kv
	shift
	for kv in "$@"; do
		assert_eq "${kv#*=}" "$(stat "$g" "${kv%%=*}")" "$g:${kv%%=*}"
	done
}
stat_ge() { [ "$(stat "$1" "$2")" -ge "$3" ] 2>/dev/null; }
# wait_stat GROUP NAME VALUE: poll (bounded) until the statistic is VALUE
wait_stat() {
	if wait_until "$WAIT_MAX" stat_is "$@"; then
		ok "$1:$2 reached $3"
	else
		fail "$1:$2: expected $3 within ${WAIT_MAX}s, saw '$(stat "$1" "$2")'"
	fi
}
stat_is() { [ "$(stat "$1" "$2")" = "$3" ]; }

if ours_only "statistics (Debian's presence exports none)"; then
	assert_stats presence publish_received=0 subscribe_received=0 \
		notify_sent=0 active_publications=0 active_subscriptions=0 \
		db_errors=0 notify_queue_length=0 notify_dropped=0
	OUT=$(kam_rpc stats.get_statistics presence:)
	for n in publish_received publish_replied_2xx publish_replied_4xx \
		publish_replied_5xx subscribe_received subscribe_replied_2xx \
		subscribe_replied_4xx subscribe_replied_5xx notify_sent \
		notify_replied_error notify_timeout db_ops db_errors \
		body_cache_hits body_cache_misses \
		notify_queue_length notify_dropped \
		active_publications active_subscriptions \
		active_publications_presence active_subscriptions_presence \
		active_publications_presence_winfo \
		active_subscriptions_presence_winfo; do
		assert_match "^presence:$n = [0-9]+$" "$(printf '%s\n' "$OUT" |
			grep "^presence:$n = ")" "presence:$n is listed"
	done
fi

# ---- 3 good PUBLISH and 1 with an unknown event
pidf $A open alice-75 >a.xml
pidf $C open carol-75 >c.xml
sip_request PUBLISH $A "Event: presence
Expires: 600
Content-Type: application/pidf+xml" a.xml
assert_reply 200 "alice publishes"
ETAG=$(msg_hdr "$REPLY" SIP-ETag)
sip_request PUBLISH $C "Event: presence
Expires: 600
Content-Type: application/pidf+xml" c.xml
assert_reply 200 "carol publishes"
sip_request PUBLISH $A "Event: presence
Expires: 600
SIP-If-Match: $ETAG"
assert_reply 200 "alice refreshes"
sip_request PUBLISH $A "Event: no-such-package
Expires: 600
Content-Type: application/pidf+xml" a.xml
assert_reply 489 "a PUBLISH of an unknown event"
if ours_only "statistics"; then
	assert_stats presence publish_received=4 publish_replied_2xx=3 \
		publish_replied_4xx=1 publish_replied_5xx=0 \
		active_publications=2 active_publications_presence=2 \
		active_publications_presence_winfo=0
	assert_num -gt 0 "$(stat presence db_ops)" "presence:db_ops after 3 stored PUBLISHes"
fi

# ---- SUBSCRIBEs: one answered NOTIFY, one answered 500, one bad event
watch_start w1 $A sip:bob@127.0.0.1 1 300 0
watch_wait w1 "bob subscribes to alice and answers the NOTIFY"
{
	echo '<?xml version="1.0" encoding="ISO-8859-1"?><scenario name="err">'
	watch_subscribe $C sip:dave@127.0.0.1 "sip:dave@[local_ip]:[local_port]" 300 1 ""
	printf '%s\n' '<recv response="200"/><recv request="NOTIFY"/>' \
		'<send><![CDATA[' 'SIP/2.0 500 Broken' '[last_Via:]' '[last_From:]' \
		'[last_To:]' '[last_Call-ID:]' '[last_CSeq:]' 'Content-Length: 0' \
		'' ']]></send></scenario>'
} >err.xml
sipp_run "$WORK/err.xml"
assert_sipp $? "dave subscribes to carol and answers the NOTIFY 500"
sip_request SUBSCRIBE $A "Event: no-such-package
Expires: 300"
assert_reply 489 "a SUBSCRIBE of an unknown event"
if ours_only "statistics"; then
	assert_stats presence subscribe_received=3 subscribe_replied_2xx=2 \
		subscribe_replied_4xx=1 subscribe_replied_5xx=0 notify_sent=2 \
		notify_replied_error=1 notify_timeout=0 active_subscriptions=2 \
		active_subscriptions_presence=2 active_subscriptions_presence_winfo=0
fi

# ---- a NOTIFY never answered: tm times out (fr_timer 1 s), and the
# subscription is removed (timeout_rm_subs 1)
{
	echo '<?xml version="1.0" encoding="ISO-8859-1"?><scenario name="mute">'
	watch_subscribe $A sip:moe@127.0.0.1 "sip:moe@[local_ip]:[local_port]" 300 1 ""
	echo '<recv response="200"/><recv request="NOTIFY"/></scenario>'
} >mute.xml
sipp_run "$WORK/mute.xml"
assert_sipp $? "moe subscribes to alice and leaves the NOTIFY unanswered"
if ours_only "statistics"; then
	if wait_until "$WAIT_MAX" stat_ge presence notify_timeout 1; then
		ok "presence:notify_timeout reached 1"
	else
		fail "presence:notify_timeout still '$(stat presence notify_timeout)'"
	fi
	wait_sql "select count(*) from active_watchers where watcher_username='moe'" 0 \
		"moe's subscription removed after the timeout"
	assert_stats presence subscribe_received=4 subscribe_replied_2xx=3 \
		notify_sent=3 notify_replied_error=1 notify_timeout=1 \
		active_subscriptions=2 db_errors=0
fi

# ---- a DB error: the presentity table is gone, the PUBLISH gets a 500
sql "DROP TABLE presentity"
sip_request PUBLISH sip:erin@127.0.0.1 "Event: presence
Expires: 600
Content-Type: application/pidf+xml" a.xml
assert_reply 500 "a PUBLISH that cannot be stored"
if ours_only "statistics"; then
	assert_stats presence publish_received=5 publish_replied_2xx=3 \
		publish_replied_4xx=1 publish_replied_5xx=1
	assert_num -ge 1 "$(stat presence db_errors)" "presence:db_errors after the failed store"
fi
assert_alive

# ---- presence_xml: pres-rules from an XCAP server that does not answer
tcp_free() { [ -z "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]; }
if ours_only "presence_xml statistics"; then
	XP=$(free_udp_port)
	tcp_free "$XP" || fail "TCP port $XP is taken"
	stop_kamailio
	create_db || fail "cannot empty the server DB"
	start_kamailio --param=presence_xml:integrated_xcap_server:0 \
		--param=presence_xml:force_active:0 \
		--param=presence_xml:xcap_server:127.0.0.1:$XP || finish
	assert_stats presence_xml xcap_fetches=0 xcap_failures=0 \
		xcap_not_modified=0 xcap_cache_hits=0 db_errors=0
	watch_start w3 $A sip:frank@127.0.0.1 1 300 0
	watch_wait w3 "frank subscribes to alice (pending: no rules)"
	# presence_xml's XCAP process asks the server in the background (and
	# again every 2 s): its first attempt counts one fetch, one failure
	wait_stat presence_xml xcap_fetches 1
	wait_stat presence_xml xcap_failures 1
	assert_stats presence_xml xcap_not_modified=0 xcap_cache_hits=0
fi

# ---- pua: PUBLISH, SUBSCRIBE and the 412 recovery
stop_kamailio
create_db || fail "cannot empty the server DB"
start_kamailio || finish
pua_start || finish
B=sip:bob75@127.0.0.1
STAT_CTL=$PUA_CTL assert_stats pua publish_sent=0 subscribe_sent=0 \
	active_publications=0 active_subscriptions=0
assert_eq OK "$(pua_publish $B 600 . a.xml)" "pua publishes bob75"
wait_field $B publish last_code 200 "PUBLISH answered"
assert_eq OK "$(pua_rpc pua.subscribe $A $B presence 300)" "pua subscribes to alice"
wait_field $A subscribe state active "subscription active (NOTIFY received)"
wait_field $A subscribe pending idle "SUBSCRIBE answered"
STAT_CTL=$PUA_CTL assert_stats pua publish_sent=1 publish_replied_2xx=1 \
	publish_replied_error=0 publish_timeout=0 publish_412_recovered=0 \
	subscribe_sent=1 subscribe_replied_2xx=1 subscribe_replied_error=0 \
	subscribe_timeout=0 notify_received=1 active_publications=1 \
	active_subscriptions=1 db_errors=0
stop_kamailio
create_db || fail "cannot empty the server DB"
start_kamailio || finish
assert_eq OK "$(pua_publish $B 600 .)" "pua refreshes bob75 (unknown at the server now)"
wait_field $B publish sent 3 "refresh and the initial re-send"
wait_field $B publish pending idle "re-send answered"
STAT_CTL=$PUA_CTL assert_stats pua publish_sent=3 publish_replied_2xx=2 \
	publish_replied_error=1 publish_412_recovered=1 active_publications=1
pua_stop

# ---- presence_b2b: one subscription to the presence server
start_b2b || finish
ID=$(b2b_rpc presence_b2b.subscribe "sip:carol@127.0.0.1:$PORT")
assert_match '^[0-9]+$' "$ID" "presence_b2b.subscribe returns an id"
wait_list "$A_CTL" "id: $ID .*state: confirmed" "subscription $ID confirmed"
STAT_CTL=$A_CTL wait_stat presence_b2b notify_received 1
STAT_CTL=$A_CTL assert_stats presence_b2b subscribe_sent=1 \
	subscribe_replied_2xx=1 subscribe_replied_error=0 subscribe_timeout=0 \
	notify_received=1 notify_unmatched=0 active_subscriptions=1
assert_alive
finish
