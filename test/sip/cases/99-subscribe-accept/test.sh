# 99 Accept on SUBSCRIBE, parsed strictly (RFC 3261 s20.1, s25.1): a list
# that takes application/pidf+xml (exactly, by application/* or */*, with
# a q above 0) is served (200 and the NOTIFY); one that does not (other
# types only, q=0 on the only match) gets 406 without an
# Accept header; a malformed value gets 400. Nothing is stored by the
# errors. (Kamailio's presence ignores Accept and answers 200 to all.)
. "$(dirname "$0")/../../lib.sh"
ours_only "strict Accept on SUBSCRIBE" || finish
start_kamailio || finish
A=sip:alice99@127.0.0.1

n=0
subscribe() { # WHAT EXPECTED ACCEPT-VALUE
	n=$((n + 1))
	FROM="<sip:w99-$n@127.0.0.1>" sip_request SUBSCRIBE $A "Event: presence
Accept: $3
Expires: 0"
	assert_reply "$2" "$1"
}

subscribe "Accept: text/plain only" 406 "text/plain"
assert_eq "" "$(msg_hdr "$REPLY" Accept)" "the 406 carries no Accept header"
subscribe "Accept: q=0 on the only matching range" 406 "*/*, application/pidf+xml;q=0"
subscribe "Accept: application/xpidf+xml, text/*" 406 "application/xpidf+xml, text/*"
subscribe "Accept: a malformed range" 400 "application/"
subscribe "Accept: a q that is no qvalue" 400 "application/pidf+xml;q=2"
subscribe "Accept: an empty element" 400 "application/pidf+xml,,text/plain"
wait_db
assert_sql "select count(*) from active_watchers" 0 "no subscription stored by the errors"

subscribe "Accept: application/pidf+xml" 200 "application/pidf+xml"
subscribe "Accept: application/*;q=0.5, text/plain" 200 "application/*;q=0.5, text/plain"
subscribe "Accept: */*" 200 "*/*"
subscribe "Accept: multipart/related;type=\"application/rlmi+xml\", Application/PIDF+XML;q=0.1" 200 \
	"multipart/related;type=\"application/rlmi+xml\", Application/PIDF+XML;q=0.1"
assert_alive
finish
