# 48 forked SUBSCRIBE (RFC 6665 s4.1.2.4): the SUBSCRIBE of presence_b2b
# reaches two notifiers (one SIPp playing a forking proxy's branches A and
# B, plus a third, C). Each NOTIFY with its own From tag is a dialog of its
# own, up to max_branches (2): C's NOTIFY is answered 481, a replay of B's
# (a terminating one) with a lower CSeq 500 (RFC 3261 s12.2.2) and B lives
# on. Both bodies reach
# the subscriber as they come; each dialog is refreshed in itself (its To
# tag, CSeq, Request-URI = its Contact, B's route set from its NOTIFY's
# Record-Route); the unsubscribe sends each dialog its own SUBSCRIBE with
# Expires: 0, and the subscription is gone once both have ended.
. "$(dirname "$0")/../../lib.sh"
. "$CASE_DIR/../3x-b2b-lib/b2b.sh"
PORT=$(free_udp_port) UPORT=$(free_udp_port)
SIPP_LPORT=$UPORT sipp_bg uas uas-fork.xml
use_b2b_cfg
start_kamailio --param=presence_b2b:presence_outbound_proxy:sip:127.0.0.1:$UPORT \
	--param=presence_b2b:default_expiration:12 \
	--param=presence_b2b:resubscribe_delta:5 \
	--param=presence_b2b:min_resubscribe_time:1 \
	--param=presence_b2b:max_branches:2 || finish
ID=$(kam_rpc presence_b2b.subscribe sip:max@example.com)
assert_match '^[0-9]+$' "$ID" "presence_b2b.subscribe returns an id"
T=$BG_TRACE_uas
wait_list "$CTL" "id: $ID .*state: confirmed .*branches: 2" "two dialogs (branches A and B)"
# both refreshes answered (200 to the two NOTIFYs, then to the two refreshes)
refreshed() { [ "$(trace_count "$T" sent '^SIP/2.0 200')" -ge 3 ]; }
if wait_until 20 refreshed; then ok "both dialogs refreshed"; else fail "both dialogs refreshed (see $T)"; fi
assert_eq 2 "$(list_field "$CTL" "$ID" messages)" "status messages taken by the subscriber (A's and B's NOTIFY, not C's)"
assert_eq from-B "$(list_field "$CTL" "$ID" note)" "the last one is B's"
assert_eq 1 "$(kam_rpc presence_b2b.unsubscribe "$ID")" "presence_b2b.unsubscribe"
sipp_wait uas
assert_sipp $? "server: A and B NOTIFY (C gets 481, B's replay 500), each refreshed, each unsubscribed"
assert_eq 481 "$(trace_msg "$T" received '^SIP/2.0 481' 1 | awk 'NR == 1 { print $2 }')" "C's NOTIFY over max_branches"
S1=$(trace_msg "$T" received '^SUBSCRIBE' 1)
RB=$(trace_msg "$T" received '^SUBSCRIBE' 2) RA=$(trace_msg "$T" received '^SUBSCRIBE' 3)
U1=$(trace_msg "$T" received '^SUBSCRIBE' 4) U2=$(trace_msg "$T" received '^SUBSCRIBE' 5)
FT=$(msg_tag "$(msg_hdr "$S1" From)")
C1=$(msg_hdr "$S1" CSeq)
C1=${C1%% *}
for m in RB RA U1 U2; do
	assert_eq "$FT" "$(msg_tag "$(msg_hdr "${!m}" From)")" "$m: From tag of the forked SUBSCRIBE"
done
assert_match "^brB" "$(msg_tag "$(msg_hdr "$RB" To)")" "B's refresh: B's To tag"
assert_match "^SUBSCRIBE sip:uasB@" "$(printf '%s\n' "$RB" | head -n 1)" "B's refresh: to B's Contact"
assert_match "br=b" "$(msg_hdr "$RB" Route)" "B's refresh: route set of B's NOTIFY"
assert_eq $((C1 + 1)) "$(msg_hdr "$RB" CSeq | cut -d' ' -f1)" "B's refresh: CSeq of its dialog"
assert_match "^brA" "$(msg_tag "$(msg_hdr "$RA" To)")" "A's refresh: A's To tag"
assert_match "^SUBSCRIBE sip:uasA@" "$(printf '%s\n' "$RA" | head -n 1)" "A's refresh: to A's Contact"
assert_eq "" "$(msg_hdr "$RA" Route)" "A's refresh: no route set (none recorded)"
assert_eq $((C1 + 1)) "$(msg_hdr "$RA" CSeq | cut -d' ' -f1)" "A's refresh: CSeq of its dialog"
UT=$(printf '%s\n%s\n' "$(msg_tag "$(msg_hdr "$U1" To)")" "$(msg_tag "$(msg_hdr "$U2" To)")" | sed 's/[0-9]*$//' | sort | tr '\n' ' ')
assert_eq "brA brB " "$UT" "one SUBSCRIBE with Expires: 0 for each dialog (To tags)"
assert_eq "00" "$(msg_hdr "$U1" Expires)$(msg_hdr "$U2" Expires)" "both un-SUBSCRIBEs say Expires: 0"
assert_eq "$((C1 + 2)) $((C1 + 2))" "$(msg_hdr "$U1" CSeq | cut -d' ' -f1) $(msg_hdr "$U2" CSeq | cut -d' ' -f1)" "their CSeqs, each next in its dialog"
gone() { ! list_has "$CTL" "id: $ID "; }
if wait_until "$WAIT_MAX" gone; then ok "the subscription is gone after both terminating NOTIFYs"; else fail "subscription $ID still listed"; fi
assert_alive
finish
