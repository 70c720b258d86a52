# 29c 423 Interval Too Brief: SIPp plays the presence server (pua's
# outbound proxy). pua.publish asks for 60 s; the server answers 423 with
# Min-Expires: 120; pua sends the PUBLISH again, still an initial one with
# the body, with Expires: 120, and the publication ends up stored with the
# ETag of the 200. Its removal then carries that ETag.
. "$(dirname "$0")/../../lib.sh"
. "$CASE_DIR/../20-pua-lib/pua-lib.sh" || exit 2
PUA_PORT=$(free_udp_port) UPORT=$(free_udp_port)
A=sip:alice29c@example.com
PORT=$PUA_PORT SIPP_LPORT=$UPORT sipp_bg uas uas-423.xml -m 3
PORT=$UPORT pua_start || finish
T=$BG_TRACE_uas
pidf $A open m1 >b1.xml

assert_eq OK "$(pua_publish $A 60 p29c b1.xml)" "pua.publish for 60 s"
wait_field $A publish last_code 200 "publication accepted after the 423"
assert_eq idle "$(pua_field $A publish pending)" "nothing outstanding"
assert_eq 2 "$(pua_field $A publish sent)" "two PUBLISHes sent"
ETAG=$(pua_field $A publish etag)
assert_match '^etag29c-' "$ETAG" "pua.list holds the server's ETag"
assert_num -ge 110 "$(pua_field $A publish expires)" "granted 120 s"
assert_num -ge 110 "$(pua_field $A publish desired)" "desired raised to Min-Expires"

P1=$(trace_msg "$T" received '^PUBLISH' 1)
P2=$(trace_msg "$T" received '^PUBLISH' 2)
assert_eq 60 "$(msg_hdr "$P1" Expires)" "first PUBLISH Expires"
assert_eq 120 "$(msg_hdr "$P2" Expires)" "retry Expires = Min-Expires"
assert_eq "" "$(msg_hdr "$P2" SIP-If-Match)" "retry is still an initial PUBLISH (no SIP-If-Match)"
assert_match 'm1' "$(msg_body "$P2")" "retry carries the body"
assert_eq "SIP/2.0 423 Interval Too Brief" "$(trace_msg "$T" sent '^SIP/2.0' 1 | head -n1)" "the UAS answered the first one 423"
assert_ne "$(msg_hdr "$P1" Call-ID)" "$(msg_hdr "$P2" Call-ID)" "the retry is a new request (Call-ID)"

assert_eq OK "$(pua_publish $A 0 p29c)" "pua.publish Expires 0"
wait_pua_count 0 "publication removed from pua"
sipp_wait uas
assert_sipp $? "UAS: three PUBLISHes answered"
P3=$(trace_msg "$T" received '^PUBLISH' 3)
assert_eq "$ETAG" "$(msg_hdr "$P3" SIP-If-Match)" "removal with the stored ETag"
assert_eq 0 "$(msg_hdr "$P3" Expires)" "removal Expires"
finish
