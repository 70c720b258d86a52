# 54 Kamailio's pua_bla (Debian's binary) on our pua. A REGISTER to the
# BLA AoR (bla_set_flag()) makes pua_bla subscribe, through pua, to
# dialog;sla at the phone; the phone's NOTIFY in that dialog is accepted
# by bla_handle_notify() (pua's is_dialog finds it: 200) and republished
# through pua as a PUBLISH. A dialog;sla NOTIFY in a dialog pua does not
# know is refused (481) and published nowhere, as with Kamailio's pua
# (before, ours answered is_dialog with another API function: accepted).
# SIPp is pua's outbound proxy and the phone behind it. The same script
# runs with Kamailio's own pua (IMPL=reference). pua_bla needs a presence
# module in the same Kamailio: ours, or Debian's under IMPL=reference.
PUA_IMPL=${IMPL:-ours}
. "$(dirname "$0")/../../lib.sh"
. "$CASE_DIR/../20-pua-lib/pua-lib.sh" || exit 2
. "$CASE_DIR/../20-pua-lib/pua-mods-lib.sh" || exit 2
PUA_PORT=$(free_udp_port) UPORT=$(free_udp_port)
A=sip:bla54@127.0.0.1

PORT=$PUA_PORT SIPP_LPORT=$UPORT sipp_bg phone uas-bla-phone.xml -m 2
UAS_TRACE=$BG_TRACE_phone
PORT=$UPORT pua_start -A WITH_BLA || finish

PORT=$PUA_PORT FROM="<$A>" TO="<$A>" sip_request REGISTER sip:127.0.0.1 "Expires: 600"
assert_reply 200 "REGISTER to the BLA AoR"
sipp_wait phone
assert_sipp $? "phone: SUBSCRIBE -> 202, NOTIFY -> 200, PUBLISH -> 200"
S=$(trace_msg "$UAS_TRACE" received '^SUBSCRIBE' 1)
assert_eq "dialog;sla" "$(msg_hdr "$S" Event)" "pua_bla's SUBSCRIBE Event"
N=$(trace_msg "$UAS_TRACE" received '^SIP/2.0' 1)
assert_eq "SIP/2.0 200 OK" "$(head -n1 <<<"$N")" "the NOTIFY in pua's dialog: 200"
P=$(publish_msg 1)
assert_eq "PUBLISH $A SIP/2.0" "$(head -n1 <<<"$P")" "republished for the AoR"
assert_eq "dialog;sla" "$(msg_hdr "$P" Event)" "PUBLISH Event"
B=$(msg_body "$P")
assert_eq confirmed "$(xq "$B" '//*[local-name()="dialog"]/*[local-name()="state"]')" "the NOTIFY's dialog state"

# a NOTIFY in a dialog nobody subscribed: pua's is_dialog does not find
# it, pua_bla refuses it and makes the script drop it (its function
# returns 0: the 481 of the config is never reached, on either pua), and
# publishes nothing
D=$(msg_body "$(trace_msg "$UAS_TRACE" sent '^NOTIFY' 1)")
printf '%s\n' "$D" >"$WORK/dialog.xml"
PORT=$PUA_PORT FROM="<$A>;tag=stranger" TO="<sip:bla@127.0.0.1>;tag=nobody" \
	CALLID=unknown54-$$ sip_request NOTIFY sip:bla@127.0.0.1 \
	"$(printf 'Event: dialog;sla\nSubscription-State: active;expires=600\nContent-Type: application/dialog-info+xml')" \
	"$WORK/dialog.xml"
assert_no_match '^(2[0-9][0-9])$' "$REPLY_CODE" "NOTIFY of an unknown dialog;sla subscription not accepted"
assert_pua_log_contains 'pua_bla.*Notify in a non existing dialog' "pua_bla: is_dialog found no dialog"
assert_eq 1 "$(publish_count)" "nothing republished for it"
PORT=$PUA_PORT sip_request OPTIONS sip:127.0.0.1 ""
assert_reply 200 "pua's Kamailio still answers"
assert_eq 0 "$(grep -c "didn't release transaction\|still linked in hash table" "$PUA_LOG")" "no tm warning in pua's log"
finish
