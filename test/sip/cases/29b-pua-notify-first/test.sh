# 29b NOTIFY before the 2xx: SIPp plays the presence server (pua's
# outbound proxy) and sends the first NOTIFY of the dialog before it
# answers pua's SUBSCRIBE. pua accepts it (200): the NOTIFY confirms the
# dialog (server's tag, remote target) while the SUBSCRIBE is still
# outstanding, and pua.list shows the state it carried; the 202 that comes
# 1.5 s later completes the subscription; the end (Expires: 0) goes in that
# dialog.
. "$(dirname "$0")/../../lib.sh"
. "$CASE_DIR/../20-pua-lib/pua-lib.sh" || exit 2
PUA_PORT=$(free_udp_port) UPORT=$(free_udp_port)
A=sip:alice29b@example.com W=sip:bob29b@example.com
C="sip:srv29b@127.0.0.1:$UPORT"
PORT=$PUA_PORT SIPP_LPORT=$UPORT sipp_bg uas uas-notify-first.xml
PORT=$UPORT pua_start || finish
T=$BG_TRACE_uas

assert_eq OK "$(pua_rpc pua.subscribe $A $W presence 600)" "pua.subscribe"
wait_field $A subscribe notifies 1 "the early NOTIFY matched the subscription"
# the UAS holds its 202 back for 1.5 s after pua's answer to the NOTIFY
assert_eq initial "$(pua_field $A subscribe pending)" "SUBSCRIBE still unanswered"
assert_eq active "$(pua_field $A subscribe state)" "state from the early NOTIFY"
assert_match '^early' "$(pua_field $A subscribe to_tag)" "dialog confirmed: server's tag from the NOTIFY"
assert_eq "$C" "$(pua_field $A subscribe remote_target)" "remote target from the NOTIFY's Contact"
N1=$(trace_msg "$T" received '^SIP/2.0' 1)
assert_eq "SIP/2.0 200 OK" "$(head -n1 <<<"$N1")" "pua answered the early NOTIFY 200"
assert_eq "1 NOTIFY" "$(msg_hdr "$N1" CSeq)" "that answer is the NOTIFY's"

wait_field $A subscribe pending idle "the late 202 arrived"
assert_eq 202 "$(pua_field $A subscribe last_code)" "last reply"
assert_eq active "$(pua_field $A subscribe state)" "still active"
assert_match '^early' "$(pua_field $A subscribe to_tag)" "same server tag after the 202"
assert_eq 1 "$(pua_field $A subscribe notifies)" "one NOTIFY"
assert_num -ge 590 "$(pua_field $A subscribe expires)" "granted 600 s"

assert_eq OK "$(pua_rpc pua.subscribe $A $W presence 0)" "pua.subscribe Expires 0"
sipp_wait uas
assert_sipp $? "UAS: NOTIFY -> 200, then 202, end, terminating NOTIFY"
S2=$(subscribe_cseq "$T" 2)
assert_eq "SUBSCRIBE $C SIP/2.0" "$(head -n1 <<<"$S2")" "end of the subscription sent to the remote target"
assert_match '^early' "$(msg_tag "$(msg_hdr "$S2" To)")" "in the dialog the NOTIFY made"
assert_eq "2 SUBSCRIBE" "$(msg_hdr "$S2" CSeq)" "CSeq"
assert_eq 0 "$(msg_hdr "$S2" Expires)" "Expires"
wait_pua_count 0 "subscription gone from pua"
# The terminating NOTIFY the server sends after the unsubscribe finds no
# record (pua drops it on the 2xx to Expires: 0, as Kamailio's pua does):
# 481, which the scenario accepts; not asserted either way.
note "answer to the final NOTIFY: $(trace_msg "$T" received '^SIP/2.0' -1 | head -n1)"
finish
