# 37 body framing (RFC 3261 s18.3): a NOTIFY whose Content-Length is larger
# than the datagram it came in is answered 400 by handle_notify() and
# nothing of it is applied (the subscriber keeps the last well-framed
# state); before the fix the body was read past the received bytes.
. "$(dirname "$0")/../../lib.sh"
. "$CASE_DIR/../3x-b2b-lib/b2b.sh"
PORT=$(free_udp_port) UPORT=$(free_udp_port)
SIPP_LPORT=$UPORT sipp_bg uas uas-short-body.xml
use_b2b_cfg
start_kamailio --param=presence_b2b:presence_outbound_proxy:sip:127.0.0.1:$UPORT || finish
ID=$(kam_rpc presence_b2b.subscribe sip:short@example.com)
assert_match '^[0-9]+$' "$ID" "presence_b2b.subscribe returns an id"
sipp_wait uas
assert_sipp $? "server: well-framed NOTIFY -> 200, short body -> 400"
T=$BG_TRACE_uas
assert_eq "SIP/2.0 400" "$(trace_msg "$T" received '^SIP/2.0' 2 | head -n1 | cut -d' ' -f1-2)" "A's answer to the NOTIFY with a short body"
wait_list "$CTL" "id: $ID .*state: confirmed" "dialog confirmed"
assert_eq open "$(list_field "$CTL" "$ID" basic)" "state of the well-framed NOTIFY kept"
assert_eq well-framed "$(list_field "$CTL" "$ID" note)" "its note kept"
assert_eq 1 "$(list_field "$CTL" "$ID" notifies)" "the short NOTIFY is not counted"
assert_log_contains "body shorter than its Content-Length" "a log line names the framing error"
assert_alive
finish
