# 04 NOTIFY on PUBLISH: a watcher of bob gets a NOTIFY with the new body when
# bob publishes and again when he modifies; the watcher named by
# handle_publish's sender_uri (the Sender header in our config) gets neither,
# but does get the next change published without a Sender.
. "$(dirname "$0")/../../lib.sh"
start_kamailio -A WITH_TRUSTED_SENDER || finish
B=sip:bob@127.0.0.1
SPORT=$(free_udp_port)
S=sip:bobsender@127.0.0.1:$SPORT # watcher URI = Contact, named by Sender

watch_start wa $B sip:wanda@127.0.0.1 4   # initial, publish, modify, 3rd
wait_notifies wa 1
SIPP_LPORT=$SPORT watch_start wb $B $S 2 300 1 $S # initial, 3rd only
wait_notifies wb 1

bob_publish() { # NOTE HEADERS...
	local note=$1
	shift
	pidf $B open "$note" >"$note.xml"
	sip_request PUBLISH $B "Event: presence
Expires: 600
Content-Type: application/pidf+xml${1:+
$1}${2:+
$2}" "$note.xml"
	assert_reply 200 "bob publishes $note"
}

bob_publish bob-1 "Sender: $S"
wait_notifies wa 2 && assert_match 'bob-1' "$(msg_body "$(watch_notify wa 2)")" "wanda's NOTIFY after the publish"
ETAG=$(msg_hdr "$REPLY" SIP-ETag)
bob_publish bob-2 "Sender: $S" "SIP-If-Match: $ETAG"
wait_notifies wa 3 && assert_match 'bob-2' "$(msg_body "$(watch_notify wa 3)")" "wanda's NOTIFY after the modify"
ETAG=$(msg_hdr "$REPLY" SIP-ETag)
bob_publish bob-3 "SIP-If-Match: $ETAG"
wait_notifies wa 4 && assert_match 'bob-3' "$(msg_body "$(watch_notify wa 4)")" "wanda's NOTIFY after the 3rd change"
wait_notifies wb 2
N=$(watch_notify wb 2)
assert_no_match 'bob-[12]' "$(msg_body "$N")" "sender watcher not notified of its own changes"
assert_match 'bob-3' "$(msg_body "$N")" "sender watcher's 2nd NOTIFY is the change without Sender"
assert_eq application/pidf+xml "$(msg_hdr "$N" Content-Type)" "its Content-Type"

watch_wait wa "wanda's dialog (4 NOTIFYs, unsubscribe, final NOTIFY)"
watch_wait wb "sender watcher's dialog (2 NOTIFYs, unsubscribe, final NOTIFY)"
assert_eq 5 "$(trace_count "$(watch_trace wa)" received '^NOTIFY')" "NOTIFYs wanda received"
assert_eq 3 "$(trace_count "$(watch_trace wb)" received '^NOTIFY')" "NOTIFYs the sender watcher received"
assert_alive
finish
