# 38 presence_b2b and a busy or strict presence server (RFC 6665 s4.1.2.1,
# RFC 3261 s20.33): a 423 with Min-Expires makes the next SUBSCRIBE ask for
# that interval, at once; a 503 with Retry-After: 2 is retried after 2 s,
# not after on_error_retry_time (120 s); the third SUBSCRIBE is accepted
# and its NOTIFY reaches the subscriber.
. "$(dirname "$0")/../../lib.sh"
. "$CASE_DIR/../3x-b2b-lib/b2b.sh"
PORT=$(free_udp_port) UPORT=$(free_udp_port)
SIPP_LPORT=$UPORT sipp_bg uas uas-423.xml
use_b2b_cfg
start_kamailio --param=presence_b2b:presence_outbound_proxy:sip:127.0.0.1:$UPORT \
	--param=presence_b2b:default_expiration:60 \
	--param=presence_b2b:on_error_retry_time:120 || finish
ID=$(kam_rpc presence_b2b.subscribe sip:ivy@example.com)
assert_match '^[0-9]+$' "$ID" "presence_b2b.subscribe returns an id"
sipp_wait uas
assert_sipp $? "server: 423 -> SUBSCRIBE with Expires 1800, 503 -> retry, 200 + NOTIFY"
T=$BG_TRACE_uas
assert_eq 60 "$(msg_hdr "$(trace_msg "$T" received '^SUBSCRIBE' 1)" Expires)" "first SUBSCRIBE asks default_expiration"
assert_eq 1800 "$(msg_hdr "$(trace_msg "$T" received '^SUBSCRIBE' 2)" Expires)" "after 423: Min-Expires"
# seconds between the 503 and the next SUBSCRIBE, from sipp's own trace times
ts() { grep -n "$1" "$T" | sed -n "${2}p" | cut -d: -f1; }
t_of() {
	awk -v l="$1" 'NR < l && /^-+ [0-9-]+ [0-9:.]+$/ {
		split($3, h, ":"); t = h[1] * 3600 + h[2] * 60 + h[3] } END { printf "%.3f", t }' "$T"
}
t503=$(t_of "$(ts '^SIP/2.0 503' 1)")
t3=$(t_of "$(ts '^SUBSCRIBE' 3)")
gap=$(awk -v a="$t503" -v b="$t3" 'BEGIN { printf "%d", (b - a) * 1000 }')
note "503 at $t503, next SUBSCRIBE at $t3 ($gap ms)"
assert_num -ge 1500 "$gap" "Retry-After: 2 waited (ms)"
assert_num -le 6000 "$gap" "and not on_error_retry_time (ms)"
wait_list "$CTL" "id: $ID .*state: confirmed" "dialog confirmed"
assert_eq third-time "$(list_field "$CTL" "$ID" note)" "the NOTIFY reached the subscriber"
assert_alive
finish
