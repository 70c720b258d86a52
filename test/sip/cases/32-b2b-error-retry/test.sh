# 32 error then retry: the presence server (SIPp) answers the first
# SUBSCRIBE with 404; presence_b2b shows the error, keeps the internal
# subscription and subscribes again on_error_retry_time (3 s) later, in a
# new dialog (new From tag), which the server accepts.
. "$(dirname "$0")/../../lib.sh"
. "$CASE_DIR/../3x-b2b-lib/b2b.sh"
PORT=$(free_udp_port) UPORT=$(free_udp_port)
SIPP_LPORT=$UPORT sipp_bg uas uas-404.xml
use_b2b_cfg
start_kamailio --param=presence_b2b:presence_outbound_proxy:sip:127.0.0.1:$UPORT \
	--param=presence_b2b:on_error_retry_time:3 || finish
ID=$(kam_rpc presence_b2b.subscribe sip:nobody@example.com)
assert_match '^[0-9]+$' "$ID" "presence_b2b.subscribe returns an id"
wait_list "$CTL" "id: $ID .*state: idle .*last_code: 404" "after the 404: no dialog, last reply 404"
N=$(list_field "$CTL" "$ID" next_refresh_in)
assert_num -le 3 "$N" "seconds until the retry (on_error_retry_time 3)"
sipp_wait uas
assert_sipp $? "server: 404, then 202 to the retry"
T=$BG_TRACE_uas
mapfile -t TS < <(trace_times "$T" received '^SUBSCRIBE')
assert_eq 2 "${#TS[@]}" "SUBSCRIBEs the server received"
GAP=$(echo "${TS[1]:-0} - ${TS[0]:-0}" | bc)
assert_num -ge 25 "$(echo "$GAP * 10 / 1" | bc)" "tenths of seconds between the 404 and the retry"
assert_num -le 45 "$(echo "$GAP * 10 / 1" | bc)" "tenths of seconds between the 404 and the retry"
S1=$(trace_msg "$T" received '^SUBSCRIBE' 1) S2=$(trace_msg "$T" received '^SUBSCRIBE' 2)
assert_ne "$(msg_tag "$(msg_hdr "$S1" From)")" "$(msg_tag "$(msg_hdr "$S2" From)")" "the retry's From tag (a new dialog)"
assert_no_match 'tag=' "$(msg_hdr "$S2" To)" "the retry's To (no tag: initial request)"
wait_list "$CTL" "id: $ID .*state: confirmed .*last_code: 202" "the retry is accepted"
assert_alive
finish
