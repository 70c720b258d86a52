# 52 Kamailio's pua_usrloc (Debian's binary) on our pua: a REGISTER
# marked with pua_set_publish() and saved by registrar/usrloc publishes
# the AoR's presence (PIDF) through pua. RFC 3863 requires an id on every
# <tuple>: pua_usrloc sends none, and pua adds one (Kamailio's pua does,
# ours did not before), the same id for the publication's next bodies.
# The re-REGISTER updates the publication (SIP-If-Match; Kamailio's pua
# publishes anew, a second publication). A SIPp UAS plays the presence server; bodies are
# parsed with xmllint. The same script runs with Kamailio's own pua
# (IMPL=reference).
PUA_IMPL=${IMPL:-ours}
. "$(dirname "$0")/../../lib.sh"
. "$CASE_DIR/../20-pua-lib/pua-lib.sh" || exit 2
. "$CASE_DIR/../20-pua-lib/pua-mods-lib.sh" || exit 2
PUA_PORT=$(free_udp_port) UPORT=$(free_udp_port)
A=sip:carol52@127.0.0.1

uas_start
PORT=$UPORT pua_start -A WITH_USRLOC || finish

register() {
	PORT=$PUA_PORT FROM="<$A>" TO="<$A>" CALLID=reg52-$$ CSEQ=$1 \
		sip_request REGISTER sip:127.0.0.1 "Expires: $2"
}
register 1 600
assert_reply 200 "REGISTER"
wait_publishes 1 "PUBLISH after the REGISTER"
P1=$(publish_msg 1) B1=$(msg_body "$(publish_msg 1)")
note "body 1: $(tr -d '\n' <<<"$B1")"
assert_eq "PUBLISH $A SIP/2.0" "$(head -n1 <<<"$P1")" "PUBLISH for the AoR"
assert_eq presence "$(msg_hdr "$P1" Event)" "Event"
assert_eq application/pidf+xml "$(msg_hdr "$P1" Content-Type)" "Content-Type"
assert_eq "" "$(msg_hdr "$P1" SIP-If-Match)" "initial PUBLISH"
xml_ok "$B1" || fail "body 1 is not well-formed XML"
# pua_usrloc writes the entity without its scheme (both pua modules pass
# it on as it is)
assert_match 'carol52@127.0.0.1$' "$(xq "$B1" '/*[local-name()="presence"]/@entity')" "presence entity"
assert_eq 1 "$(xq "$B1" 'count(/*[local-name()="presence"]/*[local-name()="tuple"])')" "one tuple"
T1=$(xq "$B1" '//*[local-name()="tuple"]/@id')
assert_ne "" "$T1" "the tuple has an id"
# xs:ID: Kamailio's pua writes a pointer value (0x7f...), not an XML ID
ours_only "tuple id is an XML ID (RFC 3863: xs:ID)" &&
	assert_match '^[A-Za-z_][-A-Za-z0-9_.]*$' "$T1" "the tuple id is an XML ID"
assert_eq open "$(xq "$B1" '//*[local-name()="tuple"]/*[local-name()="status"]/*[local-name()="basic"]')" "basic open"

register 2 600
assert_reply 200 "re-REGISTER"
wait_publishes 2 "PUBLISH after the re-REGISTER"
P2=$(publish_msg 2) B2=$(msg_body "$(publish_msg 2)")
E1=$(trace_msg "$UAS_TRACE" sent '^SIP/2.0 200' 1 | sed -n 's/^SIP-ETag: *//p')
assert_ne "" "$(xq "$B2" '//*[local-name()="tuple"]/@id')" "body 2: the tuple has an id"
# Kamailio's pua sends the re-REGISTER's body as a new initial PUBLISH
# (a second publication at the server, the first left to expire) with a
# new tuple id; ours modifies its publication (RFC 3903 4.4)
if ours_only "the re-REGISTER modifies the publication (RFC 3903 4.4)"; then
	assert_eq "$E1" "$(msg_hdr "$P2" SIP-If-Match)" "update with the ETag of the first 200"
	assert_eq "$T1" "$(xq "$B2" '//*[local-name()="tuple"]/@id')" "the same tuple id"
fi

# (the de-REGISTER publishes nothing within seconds, neither on ours nor
# on Kamailio's pua: pua_usrloc leaves the publication to expire)
PORT=$PUA_PORT sip_request OPTIONS sip:127.0.0.1 ""
assert_reply 200 "pua's Kamailio still answers"
finish
