# 90 hostile input, body framing and coding (issue 11 s1 and s2; RFC 3261
# s18.3, s8.2.3): a PUBLISH or SUBSCRIBE whose Content-Length is larger
# than the datagram is answered 400 and nothing of it is stored (before,
# the body was read past the received bytes); a smaller Content-Length
# makes the rest of the datagram not part of the body; a Content-Encoding
# other than identity is answered 415 with Accept-Encoding. Afterwards the
# same Kamailio PID still serves a valid PUBLISH.
. "$(dirname "$0")/../../lib.sh"
start_kamailio || finish
H=sip:framing@127.0.0.1
PIDF="Content-Type: application/pidf+xml"
pidf $H open framed >pidf.xml
SIZE=$(wc -c <pidf.xml)
{
	cat pidf.xml
	printf 'STALE-BYTES-not-part-of-the-body'
} >junk.xml
HDRS="Event: presence
Expires: 60
$PIDF"
rows() { sql "select count(*) from presentity"; }

if ours_only "Content-Length beyond the datagram -> 400 (reference: reads past it)"; then
	CLEN=$((SIZE + 300)) sip_request PUBLISH $H "$HDRS" pidf.xml
	assert_reply 400 "PUBLISH, Content-Length 300 bytes beyond the datagram"
	assert_eq 0 "$(rows)" "presentity rows after it"
	CLEN=100000 sip_request PUBLISH $H "$HDRS" pidf.xml
	assert_reply 400 "PUBLISH, Content-Length 100000"
	CLEN=40 sip_request SUBSCRIBE $H "Event: presence
Expires: 60"
	assert_reply 400 "SUBSCRIBE without body, Content-Length 40"
	wait_db
	assert_sql "select count(*) from active_watchers" 0 "active_watchers rows after it"
	assert_log_contains "body shorter than its Content-Length" "the framing error is logged"
	assert_log_contains "PUBLISH from 127.0.0.1 rejected with 400: body shorter" "the rejection is logged"
fi
assert_eq 0 "$(rows)" "presentity rows after the short datagrams"

# the bytes after Content-Length are not part of the body (RFC 3261 s18.3)
CLEN=$SIZE sip_request PUBLISH $H "$HDRS" junk.xml
assert_reply 200 "PUBLISH whose datagram carries bytes after its Content-Length"
if ours_only "bytes after Content-Length not stored (reference: stores them)"; then
	wait_db
	assert_eq "$SIZE" "$(sql "select length(body) from presentity")" "stored body length: the Content-Length bytes"
	assert_no_match STALE-BYTES "$(sql "select $BODY_SQL from presentity")" "stored body, without the rest of the datagram"
fi
wait_db
assert_match '</presence>' "$(sql "select $BODY_SQL from presentity")" "stored body, the whole document"
ETAG=$(msg_hdr "$REPLY" SIP-ETag)
if ours_only "a modify whose body is cut short -> 400, not a refresh (reference: reads past it)"; then
	# before the fix the short body read as none: a refresh, answered 200
	CLEN=$((SIZE + 50)) sip_request PUBLISH $H "$HDRS
SIP-If-Match: $ETAG" pidf.xml
	assert_reply 400 "PUBLISH SIP-If-Match + body shorter than its Content-Length"
	wait_db
	assert_eq "$ETAG" "$(sql "select etag from presentity")" "the publication is untouched (same ETag)"
fi
CLEN=$((SIZE - 20)) sip_request PUBLISH $H "$HDRS" pidf.xml
assert_reply '4[0-9][0-9]' "PUBLISH whose Content-Length cuts the document"
ours_only "a cut document -> 400 (reference: 415)" &&
	assert_reply 400 "PUBLISH whose Content-Length cuts the document"
assert_eq 1 "$(rows)" "presentity rows (the cut document is not stored)"

if ours_only "Content-Encoding other than identity -> 415 + Accept-Encoding (reference: stores it)"; then
	sip_request PUBLISH sip:coded@127.0.0.1 "$HDRS
Content-Encoding: gzip" pidf.xml
	assert_reply 415 "PUBLISH with Content-Encoding: gzip"
	assert_eq identity "$(msg_hdr "$REPLY" Accept-Encoding)" "Accept-Encoding of the 415"
	sip_request PUBLISH sip:coded@127.0.0.1 "$HDRS
Content-Encoding: identity
e: x-unknown" pidf.xml
	assert_reply 415 "PUBLISH with identity and (compact e:) x-unknown"
	sip_request SUBSCRIBE sip:coded@127.0.0.1 "Event: presence
Expires: 60
Content-Encoding: deflate"
	assert_reply 415 "SUBSCRIBE with Content-Encoding: deflate"
	wait_db
	assert_eq 0 "$(sql "select count(*) from presentity where username='coded'")" "nothing stored for the coded PUBLISHes"
	assert_sql "select count(*) from active_watchers" 0 "active_watchers rows"
	assert_log_contains "rejected with 415: unsupported Content-Encoding" "the 415 is logged"
fi
sip_request PUBLISH sip:coded@127.0.0.1 "$HDRS
Content-Encoding: identity" pidf.xml
assert_reply 200 "PUBLISH with Content-Encoding: identity"

assert_alive
sip_request PUBLISH sip:after@127.0.0.1 "$HDRS" pidf.xml
assert_reply 200 "valid PUBLISH afterwards, same PID"
finish
