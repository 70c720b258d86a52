# 51 Kamailio's pua_dialoginfo (Debian's binary) on our pua: a call
# (INVITE, 180, 200, ACK, BYE) goes through the Kamailio that runs pua,
# pua_dialoginfo and the dialog module (record-routed, dlg_manage()), and
# the dialog states are PUBLISHed (Event: dialog, dialog-info+xml) for the
# caller and for the callee: trying/early, confirmed, terminated, each
# publication's updates with the ETag of the reply before. pua_dialoginfo
# sends every PUBLISH with UPDATE_TYPE: ours stores the first one anew, as
# Kamailio's pua does (before, ours refused it and nothing was sent). A
# SIPp UAS plays the presence server; the bodies are parsed with xmllint.
# The same script runs with Kamailio's own pua (IMPL=reference).
PUA_IMPL=${IMPL:-ours}
. "$(dirname "$0")/../../lib.sh"
. "$CASE_DIR/../20-pua-lib/pua-lib.sh" || exit 2
. "$CASE_DIR/../20-pua-lib/pua-mods-lib.sh" || exit 2
PUA_PORT=$(free_udp_port) UPORT=$(free_udp_port) CPORT=$(free_udp_port)
A=sip:alice51@127.0.0.1 B=sip:bob51@127.0.0.1

uas_start
PORT=$UPORT pua_start -A WITH_DIALOGINFO || finish
PORT=$PUA_PORT SIPP_LPORT=$CPORT sipp_bg callee uas-call.xml
PORT=$PUA_PORT sipp_run uac-call.xml -k caller "$A" -k callee "$B" -k target "sip:bob51@127.0.0.1:$CPORT"
assert_sipp $? "caller: INVITE 180 200 ACK BYE 200 through pua's Kamailio"
CID=$(msg_hdr "$(trace_msg "$SIPP_TRACE" sent '^INVITE' 1)" Call-ID)
sipp_wait callee
assert_sipp $? "callee"

# states of one entity's PUBLISHes, in order: "early confirmed ..."
states_of() {
	local i m out=()
	for i in $(publishes_for "$1"); do
		m=$(publish_msg "$i")
		out+=("$(xq "$(msg_body "$m")" '//*[local-name()="dialog"]/*[local-name()="state"]')")
	done
	echo "${out[*]}"
}
wait_until "$WAIT_MAX" eval '[ "$(states_of $A | awk "{print \$NF}")" = terminated ] && [ "$(states_of $B | awk "{print \$NF}")" = terminated ]'
assert_eq "Trying early confirmed terminated" "$(states_of $A)" "caller's published states"
assert_eq "early confirmed terminated" "$(states_of $B)" "callee's published states"

# etag_of N: the SIP-ETag of the 200 the UAS gave PUBLISH N (by Call-ID).
etag_of() {
	local cid i n r
	cid=$(msg_hdr "$(publish_msg "$1")" Call-ID)
	n=$(trace_count "$UAS_TRACE" sent '^SIP/2.0 200')
	for i in $(seq 1 "$n"); do
		r=$(trace_msg "$UAS_TRACE" sent '^SIP/2.0 200' "$i")
		[ "$(msg_hdr "$r" Call-ID)" = "$cid" ] && { msg_hdr "$r" SIP-ETag; return; }
	done
}

# check_entity URI DIRECTION: the publication of one party, PUBLISH by
# PUBLISH: headers, the ETag chain, the body. Each update carries an ETag
# the server gave an earlier PUBLISH of the party. Ours sends one PUBLISH
# at a time per publication, so the chain is strict: the ETag of the one
# before. Kamailio's pua, given two updates before the first reply, sends
# two initial PUBLISHes (two publications at the server, RFC 3903 s4.1
# wants one) and goes on with the second's ETag.
check_entity() {
	local uri=$1 dir=$2 i m b prev= etags=" " k=0 im
	for i in $(publishes_for "$uri"); do
		k=$((k + 1))
		m=$(publish_msg "$i")
		b=$(msg_body "$m")
		im=$(msg_hdr "$m" SIP-If-Match)
		assert_eq dialog "$(msg_hdr "$m" Event)" "$uri #$k Event"
		assert_eq application/dialog-info+xml "$(msg_hdr "$m" Content-Type)" "$uri #$k Content-Type"
		if [ "$k" -gt 1 ]; then
			assert_match " $im " "$etags" "$uri #$k SIP-If-Match: an ETag of an earlier 200"
		fi
		ours_only "strict ETag chain (RFC 3903 s4.1: one publication)" &&
			assert_eq "$prev" "$im" "$uri #$k SIP-If-Match: the ETag of the previous 200"
		# Kamailio's pua asks one second more than pua_dialoginfo gives
		assert_match '^(43200|43201|10|11)$' "$(msg_hdr "$m" Expires)" "$uri #$k Expires"
		xml_ok "$b" || fail "$uri #$k body is not well-formed XML"
		assert_eq "$uri" "$(xq "$b" '/*[local-name()="dialog-info"]/@entity')" "$uri #$k dialog-info entity"
		assert_eq full "$(xq "$b" '/*[local-name()="dialog-info"]/@state')" "$uri #$k dialog-info state"
		assert_eq "$CID" "$(xq "$b" '//*[local-name()="dialog"]/@call-id')" "$uri #$k dialog call-id"
		assert_eq "$dir" "$(xq "$b" '//*[local-name()="dialog"]/@direction')" "$uri #$k direction"
		prev=$(etag_of "$i")
		etags="$etags$prev "
	done
}
check_entity "$A" initiator
check_entity "$B" recipient
assert_eq 7 "$(publish_count)" "PUBLISHes in all (no retransmission, nothing else)"
finish
