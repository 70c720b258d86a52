# 02 PUBLISH errors (RFC 3903 section 6): 412 unknown ETag, 400 no body and
# no SIP-If-Match, 489 + Allow-Events for presence.winfo / unknown / missing
# Event (RFC 3903 6 step 2: "If this header field is missing or its value
# does not match the event package supported by the ESC, the ESC MUST respond
# with a 489"), 415 + Accept for text/plain, 400 for malformed XML, 423 +
# Min-Expires below min_expires, Expires capped at max_expires.
. "$(dirname "$0")/../../lib.sh"
if is_reference; then
	start_kamailio || finish # Debian's presence has no min_expires
else
	start_kamailio --param=presence:min_expires:30 || finish
fi
A=sip:dave@127.0.0.1
PIDF="Content-Type: application/pidf+xml"
pidf $A open >pidf.xml
printf '<?xml version="1.0"?>\n<presence xmlns="urn:ietf:params:xml:ns:pidf"><tuple id="x">\n' >broken.xml
echo 'dave is available' >plain.txt

publish() { # WHAT EXPECTED HEADERS [BODY]
	sip_request PUBLISH "$A" "$3" "${4:-}"
	assert_reply "$2" "$1"
}

if ours_only "SIP-If-Match for a presentity that never published -> 412 (reference: 500)"; then
	publish "SIP-If-Match, nothing published" 412 "Event: presence
Expires: 60
SIP-If-Match: no-such-etag-12345"
fi
sip_request PUBLISH sip:erin@127.0.0.1 "Event: presence
Expires: 60
$PIDF" pidf.xml
assert_reply 200 "erin's initial PUBLISH"
if ours_only "made-up SIP-If-Match for a published presentity -> 412 (reference: 500; a stale ETag gets 412 in case 01)"; then
	sip_request PUBLISH sip:erin@127.0.0.1 "Event: presence
Expires: 60
SIP-If-Match: no-such-etag-12345"
	assert_reply 412 "made-up SIP-If-Match for a published presentity"
fi
publish "no body, no SIP-If-Match" 400 "Event: presence
Expires: 60"
for ev in presence.winfo foo; do
	[ $ev = foo ] ||
		ours_only "PUBLISH Event: presence.winfo -> 489 (reference: 200, stores it)" ||
		continue
	publish "Event: $ev" 489 "Event: $ev
Expires: 60
$PIDF" pidf.xml
	assert_match '(^|[ ,])presence([ ,]|$)' "$(msg_hdr "$REPLY" Allow-Events)" "Allow-Events of 489 for $ev"
done
publish "missing Event header" 489 "Expires: 60
$PIDF" pidf.xml
publish "Content-Type: text/plain" 415 "Event: presence
Expires: 60
Content-Type: text/plain" plain.txt
ours_only "Accept: application/pidf+xml in the 415 (reference: none)" &&
	assert_match 'application/pidf\+xml' "$(msg_hdr "$REPLY" Accept)" "Accept of 415"
ours_only "malformed XML body -> 400 (reference: 415)" &&
	publish "malformed XML body" 400 "Event: presence
Expires: 60
$PIDF" broken.xml
wait_db
assert_sql "select count(*) from presentity where username='dave'" 0 "no row stored by the errors"

if ours_only "PUBLISH below min_expires -> 423 with Min-Expires (reference has no min_expires)"; then
	publish "Expires: 10 below min_expires 30" 423 "Event: presence
Expires: 10
$PIDF" pidf.xml
	assert_eq 30 "$(msg_hdr "$REPLY" Min-Expires)" "Min-Expires of 423"
fi

publish "Expires: 99999" 200 "Event: presence
Expires: 99999
$PIDF" pidf.xml
assert_eq 3600 "$(msg_hdr "$REPLY" Expires)" "Expires capped at max_expires"
wait_db
assert_num -le 3600 "$(sql "select expires - $NOW_SQL from presentity where username='dave' and event='presence'")" "stored expiry capped"
assert_alive
finish
