# 55 Kamailio's pua_rpc (Debian's binary) on our pua. It loads beside pua
# (pua.publish, pua.send_publish and pua.subscribe are then pua_rpc's: pua
# registers them only where no module did), and its pua.publish over
# JSON-RPC (jsonrpcs on xhttp: the transport with delayed replies) answers
# after the final reply to the PUBLISH with the SIP-ETag and Expires of
# the 2xx. A SIPp UAS plays the presence server. The same script runs with
# Kamailio's own pua (IMPL=reference). Then (ours only) without pua_rpc:
# our pua's own pua.publish gives the same answer over JSON-RPC, a fault
# with the reply's code for a 403, and answers "OK" over kamcmd, where
# Kamailio's pua_rpc refuses.
PUA_IMPL=${IMPL:-ours}
. "$(dirname "$0")/../../lib.sh"
. "$CASE_DIR/../20-pua-lib/pua-lib.sh" || exit 2
. "$CASE_DIR/../20-pua-lib/pua-mods-lib.sh" || exit 2
PUA_PORT=$(free_udp_port) UPORT=$(free_udp_port) HPORT=$(free_udp_port)
A=sip:alice55@127.0.0.1 F=sip:forbidden55@127.0.0.1
body() {
	printf '<?xml version="1.0"?><presence xmlns="urn:ietf:params:xml:ns:pidf" entity="%s"><tuple id="a1"><status><basic>%s</basic></status></tuple></presence>' "$1" "$2"
}

uas_start
PORT=$UPORT pua_start -A WITH_PUA_RPC -A "HTTP_LISTEN=tcp:127.0.0.1:$HPORT" || finish
if is_reference; then
	note "Kamailio's pua"
else
	assert_pua_log_contains 'pua.publish is another module.s \(pua_rpc\)' \
		"our pua leaves pua.publish to pua_rpc"
fi

# initial PUBLISH: answered after the 200, with its ETag
R=$(jrpc pua.publish "$A" 3600 presence application/pidf+xml . . . . "$(body "$A" open)")
note "pua.publish answer: $(tr -d '\n\t' <<<"$R")"
P1=$(publish_msg 1)
assert_eq "PUBLISH $A SIP/2.0" "$(head -n1 <<<"$P1")" "PUBLISH sent to the presentity"
assert_eq "" "$(msg_hdr "$P1" SIP-If-Match)" "initial: no SIP-If-Match"
E1=$(trace_msg "$UAS_TRACE" sent '^SIP/2.0 200' 1 | sed -n 's/^SIP-ETag: *//p')
assert_eq "$E1" "$(jfield "$R" 'r["result"]["SIP-ETag"]')" "answer: SIP-ETag of the 200"
assert_eq "$(msg_hdr "$P1" Expires)" "$(jfield "$R" 'r["result"]["Expires"]')" \
	"answer: Expires of the 200 (the UAS grants what was asked)"
assert_match '^360[01]$' "$(msg_hdr "$P1" Expires)" "Expires asked"
B1=$(msg_body "$P1")
assert_eq a1 "$(xq "$B1" '//*[local-name()="tuple"]/@id')" "body: the tuple id given"
assert_eq open "$(xq "$B1" '//*[local-name()="basic"]')" "body: basic"

# refresh with that ETag, no body
R=$(jrpc pua.publish "$A" 3600 presence . . "$E1" . .)
P2=$(publish_msg 2)
assert_eq "$E1" "$(msg_hdr "$P2" SIP-If-Match)" "refresh: SIP-If-Match"
assert_eq "" "$(msg_body "$P2" | tr -d '\r\n')" "refresh: no body"
E2=$(trace_msg "$UAS_TRACE" sent '^SIP/2.0 200' 2 | sed -n 's/^SIP-ETag: *//p')
assert_eq "$E2" "$(jfield "$R" 'r["result"]["SIP-ETag"]')" "refresh answer: the new ETag"

# a 403: the answer carries no ETag (Kamailio's pua_rpc answers {})
R=$(jrpc pua.publish "$F" 3600 presence application/pidf+xml . . . . "$(body "$F" closed)")
note "answer to the 403: $(tr -d '\n\t' <<<"$R")"
assert_eq "" "$(jfield "$R" 'r["result"].get("SIP-ETag", "")')" "403: no SIP-ETag"
assert_eq 3 "$(publish_count)" "PUBLISHes sent"
assert_match 'error|fault|failed|delayed|not supported|500' \
	"$(pua_rpc pua.publish "$A" 3600 presence . . "$E2" . . 2>&1)" \
	"pua_rpc's pua.publish refuses kamcmd (no delayed reply)"
pua_stop

if ours_only "our pua's own pua.publish (pua_rpc not loaded)"; then
	PORT=$UPORT pua_start -A WITH_JSONRPC -A "HTTP_LISTEN=tcp:127.0.0.1:$HPORT" || finish
	B=sip:bob55@127.0.0.1
	R=$(jrpc pua.publish "$B" 3600 presence application/pidf+xml . . . . "$(body "$B" open)")
	note "pua.publish answer: $(tr -d '\n\t' <<<"$R")"
	E=$(trace_msg "$UAS_TRACE" sent '^SIP/2.0 200' -1 | sed -n 's/^SIP-ETag: *//p')
	assert_eq "$E" "$(jfield "$R" 'r["result"]["SIP-ETag"]')" "ours: SIP-ETag of the 200"
	assert_eq 3600 "$(jfield "$R" 'r["result"]["Expires"]')" "ours: Expires of the 200"
	R=$(jrpc pua.publish "$F" 3600 presence application/pidf+xml . . . . "$(body "$F" closed)")
	assert_eq 403 "$(jfield "$R" 'r["error"]["code"]')" "ours: 403 -> fault code"
	assert_eq Forbidden "$(jfield "$R" 'r["error"]["message"]')" "ours: fault reason"
	assert_eq OK "$(pua_rpc pua.publish "$B" 3600 presence . . "$E" . .)" \
		"ours: pua.publish over kamcmd (expires an int there)"
	wait_until "$WAIT_MAX" publish_count_ge 6
	assert_eq "$E" "$(msg_hdr "$(publish_msg -1)" SIP-If-Match)" "kamcmd refresh sent with the ETag"
	assert_eq OK "$(pua_rpc pua.send_publish "$B" s:0 presence . . . . .)" \
		"ours: pua.send_publish (expires a string) removes"
fi
finish
