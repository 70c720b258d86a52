# 92 hostile input, header fields (issue 11 s2; RFC 3261 s7.3.1, RFC 3903
# s11.3.2, RFC 6665 s8.2.1): a single-valued header repeated (Expires,
# Event, SIP-If-Match, Content-Type, Content-Length) is answered 400, as is
# a SIP-If-Match holding two entity-tags (before, Kamailio's first-header
# view made a repeated SIP-If-Match a refresh); a long but well-formed
# Event id is never 489: a PUBLISH ignores the id (200), a SUBSCRIBE stores
# it in active_watchers.event_id (VARCHAR(64)) so an id up to 64 bytes is
# stored and a longer one is answered 400; a malformed or overlong (over
# 1024 bytes) Event value is 400, not 489. Nothing of a rejected request is
# stored, and the same Kamailio PID keeps serving.
. "$(dirname "$0")/../../lib.sh"
# timeout_rm_subs 0: the probes do not answer their NOTIFY, and the
# stored subscriptions must outlive its 408
start_kamailio --param=presence:subs_db_mode:1 \
	--param=presence:timeout_rm_subs:0 || finish
H=sip:headers@127.0.0.1
PIDF="Content-Type: application/pidf+xml"
pidf $H open >pidf.xml
SIZE=$(wc -c <pidf.xml)
ID64=$(head -c 64 /dev/zero | tr '\0' '7')
ID300=$(head -c 300 /dev/zero | tr '\0' '7')
LONG=$(head -c 1100 /dev/zero | tr '\0' 'e')

sip_request PUBLISH $H "Event: presence
Expires: 60
$PIDF" pidf.xml
assert_reply 200 "initial PUBLISH"
ETAG=$(msg_hdr "$REPLY" SIP-ETag)
pubs() { sql "select count(*) from presentity"; }

if ours_only "repeated single-valued headers -> 400 (reference: uses the first)"; then
	for hdrs in "Expires: 60
Expires: 60" "Event: presence
Event: presence" "Expires: 60
Event: presence
o: presence" "Content-Type: application/pidf+xml
Content-Type: application/pidf+xml" "Content-Type: application/pidf+xml
c: text/plain"; do
		case "$hdrs" in Event*) ;; *) hdrs="Event: presence
$hdrs" ;; esac
		case "$hdrs" in *Expires*) ;; *) hdrs="$hdrs
Expires: 60" ;; esac
		case "$hdrs" in *Content-Type*|*c:*) ;; *) hdrs="$hdrs
$PIDF" ;; esac
		sip_request PUBLISH sip:dup@127.0.0.1 "$hdrs" pidf.xml
		assert_reply 400 "PUBLISH with $(printf '%s' "$hdrs" | tr '\n' '|')"
	done
	# two Content-Length (the second is sip_request's own): Kamailio's
	# core (strict parser mode, its default) drops the datagram before any
	# module sees it, without a reply; handle_publish would answer 400
	sip_request PUBLISH sip:dup@127.0.0.1 "Event: presence
Expires: 60
$PIDF
Content-Length: $SIZE" pidf.xml
	if [ -z "$REPLY_CODE" ]; then
		assert_log_contains "duplicate Content-Length header field" "two Content-Length: dropped by Kamailio's core (no reply)"
	else
		assert_reply 400 "PUBLISH with two Content-Length"
	fi
	for hdrs in "Expires: 60
Expires: 60" "Event: presence
Event: presence"; do
		case "$hdrs" in Event*) ;; *) hdrs="Event: presence
$hdrs" ;; esac
		sip_request SUBSCRIBE sip:subdup@127.0.0.1 "$hdrs"
		assert_reply 400 "SUBSCRIBE with $(printf '%s' "$hdrs" | tr '\n' '|')"
	done
	wait_db
	assert_eq 0 "$(sql "select count(*) from presentity where username='dup'")" "publications stored for repeated headers"
	assert_sql "select count(*) from active_watchers where presentity_uri='sip:subdup@127.0.0.1'" 0 "subscriptions stored for repeated headers"

	# the ETag twice: before, a refresh (200 and a new ETag)
	sip_request PUBLISH $H "Event: presence
Expires: 60
SIP-If-Match: $ETAG
SIP-If-Match: $ETAG"
	assert_reply 400 "PUBLISH with SIP-If-Match repeated"
	sip_request PUBLISH $H "Event: presence
Expires: 60
SIP-If-Match: $ETAG, $ETAG"
	assert_reply 400 "PUBLISH with two entity-tags in SIP-If-Match (comma)"
	sip_request PUBLISH $H "Event: presence
Expires: 60
SIP-If-Match: $ETAG other-etag"
	assert_reply 400 "PUBLISH with two entity-tags in SIP-If-Match (blank)"
	wait_db
	assert_eq "$ETAG" "$(sql "select etag from presentity where username='headers'")" "the publication is untouched (same ETag)"
	assert_log_contains "rejected with 400: repeated Event header" "a repeated header is logged"
	assert_log_contains "rejected with 400: more than one entity-tag in SIP-If-Match" "two entity-tags are logged"
fi
sip_request PUBLISH $H "Event: presence
Expires: 60
SIP-If-Match: $ETAG"
assert_reply 200 "the refresh with one entity-tag still works"

# a long Event id: never 489
sip_request PUBLISH sip:longid@127.0.0.1 "Event: presence;id=$ID300
Expires: 60
$PIDF" pidf.xml
ours_only "PUBLISH with a 300-byte Event id -> 200 (the id is not stored)" &&
	assert_reply 200 "PUBLISH with a 300-byte Event id"
ours_only "a long Event id is never 489 (reference: 489)" &&
	assert_ne 489 "$REPLY_CODE" "reply to the PUBLISH with a 300-byte Event id"
sip_request SUBSCRIBE sip:longid@127.0.0.1 "Event: presence;id=$ID300
Expires: 60"
ours_only "SUBSCRIBE with a 300-byte Event id -> 400 (over the 64-byte event_id column)" &&
	assert_reply 400 "SUBSCRIBE with a 300-byte Event id"
ours_only "a long Event id is never 489 (reference: 489)" &&
	assert_ne 489 "$REPLY_CODE" "reply to the SUBSCRIBE with a 300-byte Event id"
sip_request SUBSCRIBE sip:id64@127.0.0.1 "Event: presence;id=$ID64
Expires: 60"
if ours_only "64-byte Event id stored; overlong Event values are 400 (reference: 489)"; then
	assert_reply '200|202' "SUBSCRIBE with a 64-byte Event id"
	wait_db
	assert_sql "select event_id from active_watchers where presentity_uri='sip:id64@127.0.0.1'" "$ID64" "the 64-byte id stored"
	assert_sql "select count(*) from active_watchers where presentity_uri='sip:longid@127.0.0.1'" 0 "nothing stored for the 300-byte id"
	for m in PUBLISH SUBSCRIBE; do
		sip_request $m sip:longid@127.0.0.1 "Event: $LONG
Expires: 60
$PIDF" pidf.xml
		assert_reply 400 "$m with an Event value of 1100 bytes"
		sip_request $m sip:longid@127.0.0.1 "Event: presence;;id=
Expires: 60
$PIDF" pidf.xml
		assert_reply 400 "$m with a malformed Event value"
	done
fi

assert_alive
sip_request PUBLISH sip:after@127.0.0.1 "Event: presence
Expires: 60
$PIDF" pidf.xml
assert_reply 200 "valid PUBLISH afterwards, same PID"
finish
