# 31 refresh timing with short expiries.
# Part 1, against SIPp as the server: accepted for 6 s, the refresh comes
# resubscribe_delta (2 s) before expiry, 4 s after the first SUBSCRIBE;
# the refresh is accepted for 3 s only, yet the next one waits for
# min_resubscribe_time (3 s) after the last SUBSCRIBE. Refreshes stay in
# the dialog (same Call-ID and tags, CSeq + 1, to the 2xx's Contact).
# Part 2, against our presence server B: subscribed for 4 s, the dialog is
# kept alive by refreshes; B keeps exactly one watcher and each refresh
# brings a NOTIFY.
. "$(dirname "$0")/../../lib.sh"
. "$CASE_DIR/../3x-b2b-lib/b2b.sh"
PORT=$(free_udp_port) UPORT=$(free_udp_port)
SIPP_LPORT=$UPORT sipp_bg uas uas-refresh.xml
use_b2b_cfg
start_kamailio --param=presence_b2b:presence_outbound_proxy:sip:127.0.0.1:$UPORT \
	--param=presence_b2b:resubscribe_delta:2 \
	--param=presence_b2b:min_resubscribe_time:3 \
	--param=presence_b2b:default_expiration:6 || finish
ID=$(kam_rpc presence_b2b.subscribe sip:rita@example.com)
assert_match '^[0-9]+$' "$ID" "presence_b2b.subscribe returns an id"
sipp_wait uas
assert_sipp $? "server: three SUBSCRIBEs accepted (6 s, 3 s, 60 s)"
T=$BG_TRACE_uas
mapfile -t TS < <(trace_times "$T" received '^SUBSCRIBE')
assert_eq 3 "${#TS[@]}" "SUBSCRIBEs received"
tenths() { echo "(${TS[$2]:-0} - ${TS[$1]:-0}) * 10 / 1" | bc; }
G1=$(tenths 0 1) G2=$(tenths 1 2)
assert_num -ge 35 "$G1" "tenths of s to the 1st refresh (6 s - delta 2 s = 4 s)"
assert_num -le 50 "$G1" "tenths of s to the 1st refresh (6 s - delta 2 s = 4 s)"
assert_num -ge 25 "$G2" "tenths of s to the 2nd refresh (3 s - 2 s = 1 s, but min_resubscribe_time 3 s)"
assert_num -le 38 "$G2" "tenths of s to the 2nd refresh (min_resubscribe_time 3 s)"
S1=$(trace_msg "$T" received '^SUBSCRIBE' 1) S2=$(trace_msg "$T" received '^SUBSCRIBE' 2)
assert_eq "$(msg_hdr "$S1" Call-ID)" "$(msg_hdr "$S2" Call-ID)" "refresh Call-ID"
assert_match "tag=srv" "$(msg_hdr "$S2" To)" "refresh To carries the server's tag"
assert_eq "2 SUBSCRIBE" "$(msg_hdr "$S2" CSeq)" "refresh CSeq"
assert_match "^SUBSCRIBE sip:uas@127.0.0.1:$UPORT " "$(echo "$S2" | head -n1)" "refresh goes to the 2xx's Contact"
assert_eq 6 "$(msg_hdr "$S2" Expires)" "refresh Expires (default_expiration)"
wait_list "$CTL" "id: $ID .*state: confirmed .*subscribes_sent: 3" "still confirmed after two refreshes"
stop_kamailio

# part 2: A subscribing to B with a 4 s expiry
KAM_CFG=$REPO/scripts/kamailio-presence.cfg
PORT=
start_kamailio --param=presence:db_update_period:1 || finish
start_b2b --param=presence_b2b:default_expiration:4 \
	--param=presence_b2b:resubscribe_delta:2 \
	--param=presence_b2b:min_resubscribe_time:1 || finish
BOB=sip:bob@127.0.0.1
pidf $BOB open b2b-31 >bob.xml
sip_request PUBLISH $BOB "Event: presence
Expires: 600
Content-Type: application/pidf+xml" bob.xml
assert_reply 200 "bob publishes at B"
ID=$(b2b_rpc presence_b2b.subscribe "sip:bob@127.0.0.1:$PORT")
wait_list "$A_CTL" "id: $ID .*state: confirmed .*subscribes_sent: 4 " "three refreshes of a 4 s subscription (every 2 s)"
assert_eq confirmed "$(list_field "$A_CTL" "$ID" state)" "dialog state"
assert_num -ge 4 "$(list_field "$A_CTL" "$ID" notifies)" "NOTIFYs from B (one per SUBSCRIBE)"
assert_eq active "$(list_field "$A_CTL" "$ID" status_state)" "the subscription never lapsed"
assert_eq b2b-31 "$(list_field "$A_CTL" "$ID" note)" "status note"
wait_sql "select count(*) from active_watchers where presentity_uri='$BOB'" 1 "B has one watcher of bob"
finish
