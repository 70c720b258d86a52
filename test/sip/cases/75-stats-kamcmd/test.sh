# 75 Statistics through Kamailio's counters, read with `kamcmd
# stats.get_statistics presence:` after a known sequence of requests:
# PUBLISH and SUBSCRIBE received and answered by class, NOTIFYs sent,
# answered with an error and timed out, the gauges of live publications
# and subscriptions (total and per event), DB operations and errors (a
# PUBLISH after the presentity table is dropped is a 500 and a DB error).
# Debian's modules export no statistics: every statistic check is ours only.
. "$(dirname "$0")/../../lib.sh"
start_kamailio --param=tm:fr_timer:1000 || finish
A=sip:alice@127.0.0.1 C=sip:carol@127.0.0.1

# stat GROUP NAME: the value kamcmd shows for GROUP:NAME (empty: absent)
stat() { kam_rpc stats.get_statistics "$1:" | sed -n "s/^$1:$2 = //p"; }
# assert_stats GROUP NAME=VALUE...: each statistic has exactly that value
assert_stats() {
	local g=$1 kv
	shift
	for kv in "$@"; do
		assert_eq "${kv#*=}" "$(stat "$g" "${kv%%=*}")" "$g:${kv%%=*}"
	done
}
stat_ge() { [ "$(stat "$1" "$2")" -ge "$3" ] 2>/dev/null; }

if ours_only "statistics (Debian's presence exports none)"; then
	assert_stats presence publish_received=0 subscribe_received=0 \
		notify_sent=0 active_publications=0 active_subscriptions=0 \
		db_errors=0
	OUT=$(kam_rpc stats.get_statistics presence:)
	for n in publish_received publish_replied_2xx publish_replied_4xx \
		publish_replied_5xx subscribe_received subscribe_replied_2xx \
		subscribe_replied_4xx subscribe_replied_5xx notify_sent \
		notify_replied_error notify_timeout db_ops db_errors \
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
finish
