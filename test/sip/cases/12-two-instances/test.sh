# 12 Two Kamailio instances on one database (subs_db_mode 3, publ_cache 0):
# a watcher subscribed through B gets the NOTIFYs of PUBLISHes taken by A
# (and of a modify sent to B with A's ETag), then unsubscribes through A;
# a subscription made through A that expires is ended by exactly one
# instance, and a later PUBLISH at B does not reach it. Every NOTIFY is
# counted: none lost, none duplicated. Run on each ENGINE.
. "$(dirname "$0")/../../lib.sh"
P=(--param=presence:subs_db_mode:3 --param=presence:publ_cache:0
	--param=presence:clean_period:1 --param=presence:min_expires:1)
ours_only "DB-only mode (subs_db_mode 3 / publ_cache 0) is ours" || finish
inst_new a && start_kamailio "${P[@]}" && inst_save a || finish
inst_new b && start_kamailio "${P[@]}" && inst_save b || finish
PA=${INSTANCES[a]#*|} PA=${PA%%|*}
PB=${INSTANCES[b]#*|} PB=${PB%%|*}
AL=sip:alice@127.0.0.1

# watcher wendy: SUBSCRIBE via B; NOTIFY 1 (initial), 2 (publish at A),
# 3 (modify at B); then unsubscribe via A and the final NOTIFY.
{
	echo '<?xml version="1.0" encoding="ISO-8859-1"?><scenario name="wendy">'
	watch_subscribe $AL sip:wendy@127.0.0.1 "sip:wendy@[local_ip]:[local_port]" 300 1 ""
	echo '<recv response="200" optional="true" next="acc200_1"/>' # subs_respond_200
	echo '<recv response="202"/>'
	echo '<label id="acc200_1"/>'
	for i in 1 2 3; do watch_notify_via_ok; done
	echo "<nop><action><setdest host=\"127.0.0.1\" port=\"$PA\" protocol=\"udp\"/></action></nop>"
	watch_subscribe $AL sip:wendy@127.0.0.1 "sip:wendy@[local_ip]:[local_port]" 0 2 "[peer_tag_param]"
	echo '<recv response="200" optional="true" next="acc200_2"/>' # subs_respond_200
	echo '<recv response="202"/>'
	echo '<label id="acc200_2"/>'
	watch_notify_via_ok
	echo '<recv request="NOTIFY" timeout="1500" ontimeout="end"/>'
	echo '<label id="end"/><pause milliseconds="1"/></scenario>'
} >"$WORK/wendy.xml"
inst_use b
sipp_bg wendy "$WORK/wendy.xml" -recv_timeout 10000
wait_notifies wendy 1

inst_use a
pidf $AL open from-a >a.xml
sip_request PUBLISH $AL "Event: presence
Expires: 600
Content-Type: application/pidf+xml" a.xml
assert_reply 200 "PUBLISH at A"
ETAG=$(msg_hdr "$REPLY" SIP-ETag)
wait_notifies wendy 2 && assert_match from-a "$(msg_body "$(watch_notify wendy 2)")" \
	"wendy (subscribed at B) notified of A's PUBLISH"

inst_use b
pidf $AL closed from-b >b.xml
sip_request PUBLISH $AL "Event: presence
Expires: 600
SIP-If-Match: $ETAG
Content-Type: application/pidf+xml" b.xml
assert_reply 200 "modify at B with A's ETag"
wait_notifies wendy 3 && assert_match from-b "$(msg_body "$(watch_notify wendy 3)")" \
	"wendy notified of the modify at B"
watch_wait wendy "wendy: 3 NOTIFYs, unsubscribe through A, final NOTIFY"
T=$(watch_trace wendy)
assert_eq 4 "$(trace_count "$T" received '^NOTIFY')" "NOTIFYs wendy received (none lost or duplicated)"
assert_match terminated "$(msg_hdr "$(watch_notify wendy 4)" Subscription-State)" "final NOTIFY after the unsubscribe at A"
wait_db
assert_sql "select count(*) from active_watchers where watcher_username='wendy'" 0 "wendy's row after the unsubscribe"
CSEQS=$(for i in 1 2 3 4; do msg_hdr "$(watch_notify wendy $i)" CSeq | cut -d' ' -f1; done | tr '\n' ' ')
assert_eq "1 2 3 4 " "$CSEQS" "NOTIFY CSeqs across both instances"

# watcher xena: SUBSCRIBE via A with Expires 3; NOTIFY 1 and the timeout
# NOTIFY, from one instance only; nothing after a PUBLISH at B.
{
	echo '<?xml version="1.0" encoding="ISO-8859-1"?><scenario name="xena">'
	watch_subscribe $AL sip:xena@127.0.0.1 "sip:xena@[local_ip]:[local_port]" 3 1 ""
	echo '<recv response="200" optional="true" next="acc200_3"/>' # subs_respond_200
	echo '<recv response="202"/>'
	echo '<label id="acc200_3"/>'
	watch_notify_via_ok
	watch_notify_via_ok
	echo '<recv request="NOTIFY" timeout="3000" ontimeout="end"/>'
	echo '<label id="end"/><pause milliseconds="1"/></scenario>'
} >"$WORK/xena.xml"
inst_use a
sipp_bg xena "$WORK/xena.xml" -recv_timeout 10000
wait_notifies xena 2 && assert_match 'terminated;reason=timeout' \
	"$(msg_hdr "$(watch_notify xena 2)" Subscription-State)" "xena's subscription expired"
inst_use b
pidf $AL open after-expiry >c.xml
sip_request PUBLISH $AL "Event: presence
Expires: 600
Content-Type: application/pidf+xml" c.xml
assert_reply 200 "PUBLISH at B after xena expired"
watch_wait xena "xena: initial and timeout NOTIFYs"
assert_eq 2 "$(trace_count "$(watch_trace xena)" received '^NOTIFY')" "NOTIFYs xena received (expiry sent once, nothing after)"
inst_use a && assert_alive
inst_use b && assert_alive
finish
