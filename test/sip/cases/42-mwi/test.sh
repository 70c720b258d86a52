# 42 message waiting indication: Debian's presence_mwi (Event:
# message-summary, RFC 3842) on our presence. A voicemail system PUBLISHes
# the mailbox summary, the owner SUBSCRIBEs and gets it in the NOTIFY; a new
# PUBLISH (modify) reaches the subscriber; a body that does not start with
# the Messages-Waiting line is rejected by presence_mwi's check (the
# evs_publ_handl callback) and changes nothing. Same script under
# IMPL=reference.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../../lib.sh"
. "$HERE/../41-blf-dialoginfo/evmod.sh"
start_kamailio -A WITH_MWI || finish
U=sip:vmuser@127.0.0.1
CT=application/simple-message-summary
EV=message-summary

printf 'Messages-Waiting: yes\r\nMessage-Account: sip:vmuser@127.0.0.1\r\nVoice-Message: 2/8 (0/2)\r\n' >mwi1.txt
printf 'Messages-Waiting: no\r\nMessage-Account: sip:vmuser@127.0.0.1\r\nVoice-Message: 0/10 (0/0)\r\n' >mwi2.txt
printf 'Hello, this is no summary\r\n' >bad.txt

publish $U $EV $CT mwi1.txt
assert_reply 200 "voicemail PUBLISHes the summary (2 new)"
E=$(msg_hdr "$REPLY" SIP-ETag)
assert_ne "" "$E" "SIP-ETag"

# A malformed body is the client's error: 400 (RFC 3903 section 6 step 5,
# RFC 3261 21.4.1); Kamailio's presence answers 500 when an event's check
# fails (doc/migration.md).
bad_reply() {
	if is_reference; then
		assert_reply 500 "$1 (Kamailio: 500)"
	else
		assert_reply 400 "$1"
	fi
}
publish $U $EV $CT bad.txt
bad_reply "a body without the Messages-Waiting line is rejected"
publish $U $EV $CT bad.txt "SIP-If-Match: $E"
bad_reply "a modify with a bad body is rejected"
wait_db
assert_sql "select count(*) from presentity where username='vmuser' and event='$EV'" 1 \
	"publications after the rejected ones"

subscriber owner $U $U $EV $CT sub:300:2xx notify notify sub:0:2xx notify
wait_notifies owner 1
N=$(watch_notify owner 1)
assert_eq $EV "$(msg_hdr "$N" Event)" "Event of the first NOTIFY"
assert_eq $CT "$(msg_hdr "$N" Content-Type)" "Content-Type of the first NOTIFY"
assert_match '^active' "$(msg_hdr "$N" Subscription-State)" "no authorization: the owner is active"
B=$(msg_body "$N")
assert_match '^Messages-Waiting: yes' "$B" "first NOTIFY: messages waiting"
assert_match 'Voice-Message: 2/8 \(0/2\)' "$B" "first NOTIFY: the counts published"

publish $U $EV $CT mwi2.txt "SIP-If-Match: $E"
assert_reply 200 "voicemail modifies: mailbox read"
wait_notifies owner 2
B=$(msg_body "$(watch_notify owner 2)")
assert_match '^Messages-Waiting: no' "$B" "second NOTIFY: nothing waiting"
assert_match 'Voice-Message: 0/10 \(0/0\)' "$B" "second NOTIFY: the new counts"
assert_eq 1 "$(printf '%s' "$B" | grep -c Messages-Waiting)" "second NOTIFY: one summary, not an aggregation"

watch_wait owner "owner: 2 NOTIFYs, unsubscribe, final NOTIFY"
assert_match '^terminated' "$(msg_hdr "$(watch_notify owner -1)" Subscription-State)" "final NOTIFY"
assert_alive
finish
