# 53 Kamailio's pua_reginfo (Debian's binary) on our pua: a REGISTER saved
# by registrar/usrloc publishes the AoR's registration state (Event: reg,
# application/reginfo+xml, RFC 3680) through pua. pua_reginfo sends every
# PUBLISH with UPDATE_TYPE: ours stores the first one anew, as Kamailio's
# pua does (before, ours refused it: nothing was sent). The re-REGISTER
# updates the publication with the ETag of the first reply. A SIPp UAS
# plays the presence server; bodies are parsed with xmllint. The same
# script runs with Kamailio's own pua (IMPL=reference).
PUA_IMPL=${IMPL:-ours}
. "$(dirname "$0")/../../lib.sh"
. "$CASE_DIR/../20-pua-lib/pua-lib.sh" || exit 2
. "$CASE_DIR/../20-pua-lib/pua-mods-lib.sh" || exit 2
PUA_PORT=$(free_udp_port) UPORT=$(free_udp_port)
A=sip:dave53@127.0.0.1

uas_start
PORT=$UPORT pua_start -A WITH_REGINFO || finish

register() {
	PORT=$PUA_PORT FROM="<$A>" TO="<$A>" CALLID=reg53-$$ CSEQ=$1 \
		sip_request REGISTER sip:127.0.0.1 "Expires: $2"
}
# reg BODY XPATH-TAIL: a value inside <reginfo>'s registration
reg() { xq "$1" "/*[local-name()=\"reginfo\"]/*[local-name()=\"registration\"]$2"; }

register 1 600
assert_reply 200 "REGISTER"
wait_publishes 1 "PUBLISH after the REGISTER"
P1=$(publish_msg 1) B1=$(msg_body "$(publish_msg 1)")
note "body 1: $(tr -d '\n' <<<"$B1")"
assert_eq "PUBLISH $A SIP/2.0" "$(head -n1 <<<"$P1")" "PUBLISH for the AoR"
assert_eq reg "$(msg_hdr "$P1" Event)" "Event"
assert_eq application/reginfo+xml "$(msg_hdr "$P1" Content-Type)" "Content-Type"
assert_eq "" "$(msg_hdr "$P1" SIP-If-Match)" "initial PUBLISH"
xml_ok "$B1" || fail "body 1 is not well-formed XML"
assert_eq "$A" "$(reg "$B1" '/@aor')" "registration aor"
assert_eq active "$(reg "$B1" '/@state')" "registration active"
assert_eq active "$(reg "$B1" '/*[local-name()="contact"]/@state')" "contact active"
assert_match 'sip:probe@127.0.0.1' "$(reg "$B1" '/*[local-name()="contact"]/*[local-name()="uri"]')" "contact uri"

register 2 600
assert_reply 200 "re-REGISTER"
wait_publishes 2 "PUBLISH after the re-REGISTER"
P2=$(publish_msg 2) B2=$(msg_body "$(publish_msg 2)")
note "body 2: $(tr -d '\n' <<<"$B2")"
E1=$(trace_msg "$UAS_TRACE" sent '^SIP/2.0 200' 1 | sed -n 's/^SIP-ETag: *//p')
assert_eq "$E1" "$(msg_hdr "$P2" SIP-If-Match)" "update with the ETag of the first 200"
assert_eq active "$(reg "$B2" '/@state')" "still active"
PORT=$PUA_PORT sip_request OPTIONS sip:127.0.0.1 ""
assert_reply 200 "pua's Kamailio still answers"
finish
