# 33 NOTIFY before the 2xx: the presence server (SIPp) sends its first
# NOTIFY before answering the SUBSCRIBE; handle_notify() matches it to the
# not yet confirmed dialog (A answers 200, not 481), the status reaches the
# subscriber, the later 2xx confirms the dialog; a NOTIFY that belongs to
# no subscription gets 481 from the script (handle_notify() returned -1).
. "$(dirname "$0")/../../lib.sh"
. "$CASE_DIR/../3x-b2b-lib/b2b.sh"
PORT=$(free_udp_port) UPORT=$(free_udp_port)
SIPP_LPORT=$UPORT sipp_bg uas uas-notify-first.xml
use_b2b_cfg
start_kamailio --param=presence_b2b:presence_outbound_proxy:sip:127.0.0.1:$UPORT || finish
ID=$(kam_rpc presence_b2b.subscribe sip:early@example.com)
assert_match '^[0-9]+$' "$ID" "presence_b2b.subscribe returns an id"
sipp_wait uas
assert_sipp $? "server: NOTIFY first -> 200, then 200 to SUBSCRIBE, stray NOTIFY -> 481"
T=$BG_TRACE_uas
assert_eq "SIP/2.0 200 OK" "$(trace_msg "$T" received '^SIP/2.0' 1 | head -n1)" "A's answer to the NOTIFY that came before the 2xx"
assert_eq "SIP/2.0 481 Subscription does not exist" "$(trace_msg "$T" received '^SIP/2.0' 2 | head -n1)" "A's answer to a NOTIFY of no subscription"
wait_list "$CTL" "id: $ID .*state: confirmed" "the 2xx after the NOTIFY confirms the dialog"
assert_match '^early' "$(list_field "$CTL" "$ID" remote_tag)" "remote tag learnt from the NOTIFY"
assert_eq open "$(list_field "$CTL" "$ID" basic)" "status from the early NOTIFY"
assert_eq before-2xx "$(list_field "$CTL" "$ID" note)" "its note"
assert_eq 1 "$(list_field "$CTL" "$ID" notifies)" "NOTIFYs counted for the subscription"
assert_alive
finish
