# 05 SUBSCRIBE errors (RFC 6665): 481 for an in-dialog SUBSCRIBE of an
# unknown dialog, 489 + Allow-Events for an unknown event, 403 for a
# presence.winfo subscription of someone else's watchers (ours), 423 +
# Min-Expires below min_expires, Expires capped at max_expires, 406 when
# Accept leaves out application/pidf+xml.
. "$(dirname "$0")/../../lib.sh"
if is_reference; then
	start_kamailio || finish # Debian's presence has no min_expires
else
	start_kamailio --param=presence:min_expires:30 || finish
fi
A=sip:alice@127.0.0.1

subscribe() { # WHAT EXPECTED HEADERS
	sip_request SUBSCRIBE $A "$3"
	assert_reply "$2" "$1"
}

TO="<$A>;tag=no-such-dialog-tag" CSEQ=2 subscribe "in-dialog SUBSCRIBE, unknown dialog" 481 "Event: presence
Expires: 300"
subscribe "Event: foo" 489 "Event: foo
Expires: 300"
assert_match '(^|[ ,])presence([ ,]|$)' "$(msg_hdr "$REPLY" Allow-Events)" "Allow-Events of 489"
assert_match '(^|[ ,])presence.winfo([ ,]|$)' "$(msg_hdr "$REPLY" Allow-Events)" "Allow-Events lists presence.winfo"
if ours_only "SUBSCRIBE to another user's presence.winfo -> 403 (RFC 3857 default policy; reference accepts it)"; then
	subscribe "Event: presence.winfo of someone else" 403 "Event: presence.winfo
Expires: 300"
fi
if ours_only "SUBSCRIBE below min_expires -> 423 with Min-Expires (reference has no min_expires)"; then
	subscribe "Expires: 1 below min_expires 30" 423 "Event: presence
Expires: 1"
	assert_eq 30 "$(msg_hdr "$REPLY" Min-Expires)" "Min-Expires of 423"
fi
if ours_only "SUBSCRIBE with Accept: text/plain only -> 406 (reference: 200, ignores Accept)"; then
	subscribe "Accept: text/plain only" 406 "Event: presence
Accept: text/plain
Expires: 300"
fi
wait_db
assert_sql "select count(*) from active_watchers" 0 "no subscription stored by the errors"

watch_start wx $A sip:xavier@127.0.0.1 1 99999
watch_wait wx "SUBSCRIBE with Expires: 99999, NOTIFY, unsubscribe"
assert_eq 3600 "$(msg_hdr "$(trace_msg "$(watch_trace wx)" received '^SIP/2.0' 1)" Expires)" "Expires capped at max_expires in the reply"
assert_match 'expires=(3600|359[0-9])' "$(msg_hdr "$(watch_notify wx 1)" Subscription-State)" "Subscription-State of the NOTIFY"
assert_alive
finish
