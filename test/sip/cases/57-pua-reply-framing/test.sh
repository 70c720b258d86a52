# 57 Framing of what pua receives (issue 11): SIPp plays the presence
# server. A 200 to PUBLISH whose body is shorter than its Content-Length
# is discarded (RFC 3261 s18.3): pua counts it as no answer (408), drops
# the publication, reads nothing past the datagram and keeps serving; a
# well-framed 200 to the next PUBLISH is taken. A NOTIFY with the same
# defect (it says "terminated" and moves the target) is answered 400 and
# changes nothing; the well-framed NOTIFY after it is applied.
. "$(dirname "$0")/../../lib.sh"
. "$CASE_DIR/../20-pua-lib/pua-lib.sh" || exit 2
PUA_PORT=$(free_udp_port) UPORT=$(free_udp_port)
A=sip:alice57@example.com B=sip:bella57@example.com W=sip:bob57@example.com
PORT=$PUA_PORT SIPP_LPORT=$UPORT sipp_bg uas uas-framing.xml -m 3
PORT=$UPORT pua_start || finish
T=$BG_TRACE_uas
pidf $A open v1 >b1.xml

assert_eq OK "$(pua_publish $A 60 . b1.xml)" "PUBLISH answered with a short body"
wait_pua_count 0 "publication dropped: the reply was discarded"
assert_pua_log_contains "body shorter than its Content-Length" "framing error logged"
pua_alive && ok "pua kamailio alive" || fail "pua kamailio died"
assert_eq OK "$(pua_publish $B 60 . b1.xml)" "next PUBLISH, well-framed 200"
wait_field $B publish last_code 200 "well-framed 200 taken"
assert_match '^etag-good-' "$(pua_field $B publish etag)" "its ETag stored"

assert_eq OK "$(pua_rpc pua.subscribe $A $W presence 60)" "pua.subscribe"
wait_field $A subscribe last_code 202 "202 taken"
sipp_wait uas
assert_sipp $? "UAS: short NOTIFY -> 400, good NOTIFY -> 200"
assert_eq "SIP/2.0 400 Bad Request - Content-Length" \
	"$(trace_msg "$T" received '^SIP/2.0 [0-9]' 1 | head -n1 | tr -d '\r')" \
	"short NOTIFY answered 400"
wait_field $A subscribe notifies 1 "only the well-framed NOTIFY counted"
assert_eq active "$(pua_field $A subscribe state)" "the short 'terminated' was not applied"
assert_eq "sip:uas@127.0.0.1:$UPORT" "$(pua_field $A subscribe remote_target)" \
	"the short NOTIFY's Contact was not taken"
pua_alive && ok "pua kamailio alive" || fail "pua kamailio died"
finish
