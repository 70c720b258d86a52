# 39 presence_b2b and a presence server that says when to come back: a
# refresh answered 503 with Retry-After: 2 is sent again in the same dialog
# (same To tag, next CSeq) 2 s later, not a new dialog and not after
# on_error_retry_time (120 s), as the subscription is still valid (RFC 6665
# s4.1.2.2); a NOTIFY "terminated;reason=probation;retry-after=3" is passed
# to the subscriber and the new initial SUBSCRIBE waits those 3 s (RFC 6665
# s4.1.3), not on_error_retry_time. A NOTIFY whose Contact is longer than
# a dialog keeps (512 bytes) is answered 400 and changes nothing.
. "$(dirname "$0")/../../lib.sh"
. "$CASE_DIR/../3x-b2b-lib/b2b.sh"
PORT=$(free_udp_port) UPORT=$(free_udp_port)
SIPP_LPORT=$UPORT sipp_bg uas uas-retry.xml
use_b2b_cfg
start_kamailio --param=presence_b2b:presence_outbound_proxy:sip:127.0.0.1:$UPORT \
	--param=presence_b2b:default_expiration:60 \
	--param=presence_b2b:resubscribe_delta:5 \
	--param=presence_b2b:min_resubscribe_time:1 \
	--param=presence_b2b:on_error_retry_time:120 || finish
ID=$(kam_rpc presence_b2b.subscribe sip:lea@example.com)
assert_match '^[0-9]+$' "$ID" "presence_b2b.subscribe returns an id"
sipp_wait uas
assert_sipp $? "server: 200, 503 to the refresh, 200 to its retry in the dialog, terminated NOTIFY, new SUBSCRIBE, 400 to an oversized NOTIFY"
T=$BG_TRACE_uas
mapfile -t TS < <(trace_times "$T" received '^SUBSCRIBE')
mapfile -t T503 < <(trace_times "$T" sent '^SIP/2.0 503')
mapfile -t TN < <(trace_times "$T" sent '^NOTIFY')
assert_eq 4 "${#TS[@]}" "SUBSCRIBEs the server received"
tenths() { echo "(${2:-0} - ${1:-0}) * 10 / 1" | bc; }
# the module's clock counts whole seconds: a wait of N s ends between
# N-1 and N+1 s after the answer
G1=$(tenths "${T503[0]}" "${TS[2]}")
assert_num -ge 10 "$G1" "tenths of seconds from the 503 to the refresh retry (Retry-After: 2)"
assert_num -le 50 "$G1" "... and not on_error_retry_time"
G2=$(tenths "${TN[1]}" "${TS[3]}")
assert_num -ge 20 "$G2" "tenths of seconds from the terminating NOTIFY to the new SUBSCRIBE (retry-after=3)"
assert_num -le 60 "$G2" "... and not on_error_retry_time"
S1=$(trace_msg "$T" received '^SUBSCRIBE' 1) S2=$(trace_msg "$T" received '^SUBSCRIBE' 2)
S3=$(trace_msg "$T" received '^SUBSCRIBE' 3) S4=$(trace_msg "$T" received '^SUBSCRIBE' 4)
assert_eq "$(msg_tag "$(msg_hdr "$S2" To)")" "$(msg_tag "$(msg_hdr "$S3" To)")" "the retried refresh's To tag (same dialog)"
assert_eq "$(msg_tag "$(msg_hdr "$S2" From)")" "$(msg_tag "$(msg_hdr "$S3" From)")" "the retried refresh's From tag (same dialog)"
C2=$(msg_hdr "$S2" CSeq) C3=$(msg_hdr "$S3" CSeq)
assert_eq $((${C2%% *} + 1)) "${C3%% *}" "the retried refresh's CSeq (next in the dialog)"
assert_no_match 'tag=' "$(msg_hdr "$S4" To)" "the SUBSCRIBE after the termination (initial: no To tag)"
assert_ne "$(msg_tag "$(msg_hdr "$S1" From)")" "$(msg_tag "$(msg_hdr "$S4" From)")" "its From tag (a new dialog)"
wait_list "$CTL" "id: $ID .*state: confirmed" "the new dialog is confirmed"
assert_eq second "$(list_field "$CTL" "$ID" note)" "its NOTIFY reached the subscriber"
assert_match '^sip:uas@' "$(list_field "$CTL" "$ID" remote_target)" "the oversized Contact is not kept"
assert_eq 3 "$(list_field "$CTL" "$ID" notifies)" "nor counted (two NOTIFYs of the first dialog, one of the second)"
assert_alive
finish
