# 29a pua_update_contact() end to end: SIPp plays the presence server (it
# is pua's outbound proxy). It answers pua's SUBSCRIBE with 202 and Contact
# A, then sends a NOTIFY in the dialog whose Contact is B;
# scripts/kamailio-pua.cfg calls pua_update_contact() (then
# pua_handle_notify()) for every NOTIFY. The 202 granted 3 s, so pua
# refreshes about 2 s later: that in-dialog SUBSCRIBE, and the final one
# (Expires: 0), must have B as their Request-URI.
. "$(dirname "$0")/../../lib.sh"
. "$CASE_DIR/../20-pua-lib/pua-lib.sh" || exit 2
grep -q 'pua_update_contact();' "$REPO/scripts/kamailio-pua.cfg" &&
	ok "kamailio-pua.cfg calls pua_update_contact() for NOTIFYs" ||
	fail "kamailio-pua.cfg does not call pua_update_contact()"
PUA_PORT=$(free_udp_port) UPORT=$(free_udp_port)
A=sip:alice29a@example.com W=sip:bob29a@example.com
CA="sip:contact-a@127.0.0.1:$UPORT" CB="sip:contact-b@127.0.0.1:$UPORT;moved=yes"
PORT=$PUA_PORT SIPP_LPORT=$UPORT sipp_bg uas uas-update-contact.xml
PORT=$UPORT pua_start || finish
T=$BG_TRACE_uas

assert_eq OK "$(pua_rpc pua.subscribe $A $W presence 60)" "pua.subscribe for 60 s"
# the UAS waits 1 s between its 202 and its NOTIFY
wait_field $A subscribe remote_target "$CA" "remote target from the 202's Contact (A)"
wait_field $A subscribe notifies 1 "the NOTIFY matched the dialog"
wait_field $A subscribe remote_target "$CB" "remote target taken from the NOTIFY's Contact"
assert_eq "SIP/2.0 200 OK" "$(trace_msg "$T" received '^SIP/2.0' 1 | head -n1)" "pua answered the NOTIFY"
S1=$(subscribe_cseq "$T" 1)
assert_eq "SUBSCRIBE $A SIP/2.0" "$(head -n1 <<<"$S1")" "initial SUBSCRIBE to the presentity"

wait_field $A subscribe cseq 2 "refresh sent (granted 3 s)"
wait_until "$WAIT_MAX" subscribe_cseq "$T" 2 || fail "the UAS never received the refresh SUBSCRIBE"
S2=$(subscribe_cseq "$T" 2)
assert_eq "SUBSCRIBE $CB SIP/2.0" "$(head -n1 <<<"$S2")" "refresh SUBSCRIBE goes to B (Request-URI)"
assert_eq 2 "$(msg_hdr "$S2" CSeq | awk '{print $1}')" "refresh CSeq"
assert_eq "srv" "$(msg_tag "$(msg_hdr "$S2" To)" | cut -c1-3)" "refresh in the dialog (server's To tag)"
assert_eq "$(msg_hdr "$S1" Call-ID)" "$(msg_hdr "$S2" Call-ID)" "same Call-ID"
wait_field $A subscribe pending idle "refresh answered"
assert_eq 202 "$(pua_field $A subscribe last_code)" "refresh accepted"

assert_eq OK "$(pua_rpc pua.subscribe $A $W presence 0)" "pua.subscribe Expires 0"
wait_pua_count 0 "dialog ended in pua"
sipp_wait uas
assert_sipp $? "UAS: 202 (A), NOTIFY (B) -> 200, refresh, end"
S3=$(subscribe_cseq "$T" 3)
assert_eq "SUBSCRIBE $CB SIP/2.0" "$(head -n1 <<<"$S3")" "the final SUBSCRIBE goes to B too"
assert_eq 0 "$(msg_hdr "$S3" Expires)" "final SUBSCRIBE Expires"
assert_eq 0 "$(grep -c 'matches no subscription' "$PUA_LOG")" "every NOTIFY matched"
finish
