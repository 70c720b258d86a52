# 95 Identifiers nobody can guess, and limits on what one party may store:
# two PUBLISHes get ETags of 128 random bits (32 hex digits) that share no
# time/PID prefix, the To tag of a SUBSCRIBE is to_tag_pref and 32 random
# hex digits; max_publications_per_presentity refuses a new publication
# over the limit with 403 (a refresh with SIP-If-Match is still taken,
# nothing more stored); max_subscriptions_per_watcher refuses a watcher's
# subscription over its limit with 403 (another watcher is not affected).
. "$(dirname "$0")/../../lib.sh"
start_kamailio --param=presence:max_publications_per_presentity:3 \
	--param=presence:max_subscriptions_per_watcher:2 || finish
A=sip:alice@127.0.0.1
pidf $A open >open.xml
HDRS="Event: presence
Expires: 300
Content-Type: application/pidf+xml"

sip_request PUBLISH $A "$HDRS" open.xml
assert_reply 200 "first PUBLISH"
E1=$(msg_hdr "$REPLY" SIP-ETag)
sip_request PUBLISH $A "$HDRS" open.xml
assert_reply 200 "second PUBLISH"
E2=$(msg_hdr "$REPLY" SIP-ETag)
assert_match '^[0-9a-f]{32}$' "$E1" "ETag is 128 bits of hex"
assert_match '^[0-9a-f]{32}$' "$E2" "second ETag is 128 bits of hex"
assert_ne "${E1:0:8}" "${E2:0:8}" "the two ETags share no time/PID prefix"

sip_request PUBLISH $A "$HDRS" open.xml
assert_reply 200 "third PUBLISH (the limit is 3)"
sip_request PUBLISH $A "$HDRS" open.xml
assert_reply 403 "fourth PUBLISH without SIP-If-Match, over the limit"
assert_match 'Too Many Publications' "$(printf '%s\n' "$REPLY" | head -n1)" "reason of the 403"
wait_db
assert_sql "select count(*) from presentity where username='alice'" 3 "nothing stored over the limit"
sip_request PUBLISH $A "Event: presence
Expires: 300
SIP-If-Match: $E1"
assert_reply 200 "a refresh of an existing publication is taken at the limit"
sip_request PUBLISH sip:bob@127.0.0.1 "$HDRS" open.xml
assert_reply 200 "another presentity is not affected"

# subscriptions of one watcher: two live ones, the third refused
watch_start w1 $A sip:wendy@127.0.0.1 1 300 0
watch_start w2 sip:bob@127.0.0.1 sip:wendy@127.0.0.1 1 300 0
watch_wait w1 "wendy's first subscription"
watch_wait w2 "wendy's second subscription"
assert_match '^10\.[0-9a-f]{32}$' "$(msg_tag "$(msg_hdr "$(trace_msg "$(watch_trace w1)" received '^SIP/2.0' 1)" To)")" "To tag: to_tag_pref and 128 random bits"
FROM="<sip:wendy@127.0.0.1>" sip_request SUBSCRIBE sip:carol@127.0.0.1 "Event: presence
Expires: 300"
assert_reply 403 "wendy's third subscription, over max_subscriptions_per_watcher 2"
FROM="<sip:xavier@127.0.0.1>" sip_request SUBSCRIBE sip:carol@127.0.0.1 "Event: presence
Expires: 0"
assert_reply 200 "another watcher is not affected"
assert_alive
finish
