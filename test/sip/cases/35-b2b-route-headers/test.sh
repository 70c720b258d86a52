# 35 what goes on the wire: with presence_route and
# additional_presence_headers, the first SUBSCRIBE carries that Route (and
# is sent where it points, loose routing) and the extra headers, besides
# Event, Expires (default_expiration), Accept and Contact; with
# presence_outbound_proxy instead, the SUBSCRIBE goes to the proxy with the
# record URI as Request-URI and no Route.
. "$(dirname "$0")/../../lib.sh"
. "$CASE_DIR/../3x-b2b-lib/b2b.sh"
UAS=$CASE_DIR/../3x-b2b-lib/uas-ok.xml
PORT=$(free_udp_port) UPORT=$(free_udp_port)
SIPP_LPORT=$UPORT sipp_bg uas1 "$UAS" -k expires 600
use_b2b_cfg
start_kamailio "--param=presence_b2b:presence_route:<sip:127.0.0.1:$UPORT;lr>" \
	'--param=presence_b2b:additional_presence_headers:X-B2B-Test: yes\r\nP-Origin: b2b-35' \
	--param=presence_b2b:default_expiration:900 || finish
ID=$(kam_rpc presence_b2b.subscribe sip:carol@example.invalid)
assert_match '^[0-9]+$' "$ID" "presence_b2b.subscribe returns an id"
sipp_wait uas1
assert_sipp $? "server behind presence_route got the SUBSCRIBE"
S=$(trace_msg "$BG_TRACE_uas1" received '^SUBSCRIBE' 1)
assert_eq "SUBSCRIBE sip:carol@example.invalid SIP/2.0" "$(echo "$S" | head -n1)" "Request-URI is the record"
assert_eq "<sip:127.0.0.1:$UPORT;lr>" "$(msg_hdr "$S" Route)" "Route header (presence_route)"
assert_eq yes "$(msg_hdr "$S" X-B2B-Test)" "additional header X-B2B-Test"
assert_eq b2b-35 "$(msg_hdr "$S" P-Origin)" "additional header P-Origin"
assert_eq presence "$(msg_hdr "$S" Event)" "Event"
assert_eq 900 "$(msg_hdr "$S" Expires)" "Expires (default_expiration)"
assert_eq application/pidf+xml "$(msg_hdr "$S" Accept)" "Accept"
assert_eq "<sip:presence_b2b@127.0.0.1:$PORT>" "$(msg_hdr "$S" Contact)" "Contact"
assert_match "^<sip:carol@example.invalid>$" "$(msg_hdr "$S" To)" "To (no tag)"
assert_match "^<sip:presence_b2b@127.0.0.1:$PORT>;tag=" "$(msg_hdr "$S" From)" "From (default subscriber)"
wait_list "$CTL" "id: $ID .*state: confirmed" "dialog confirmed through the route"
stop_kamailio
stop_sipps

# presence_outbound_proxy, and a subscriber URI given to the RPC
PORT=$(free_udp_port) UPORT=$(free_udp_port)
SIPP_LPORT=$UPORT sipp_bg uas2 "$UAS" -k expires 600
start_kamailio --param=presence_b2b:presence_outbound_proxy:sip:127.0.0.1:$UPORT || finish
ID=$(kam_rpc presence_b2b.subscribe sip:dave@192.0.2.1 presence sip:watcher@example.org)
assert_match '^[0-9]+$' "$ID" "presence_b2b.subscribe with package and subscriber"
sipp_wait uas2
assert_sipp $? "the outbound proxy got the SUBSCRIBE"
S=$(trace_msg "$BG_TRACE_uas2" received '^SUBSCRIBE' 1)
assert_eq "SUBSCRIBE sip:dave@192.0.2.1 SIP/2.0" "$(echo "$S" | head -n1)" "Request-URI is the record"
assert_eq "" "$(msg_hdr "$S" Route)" "no Route header"
assert_eq "" "$(msg_hdr "$S" X-B2B-Test)" "no additional headers when none are set"
assert_match "^<sip:watcher@example.org>;tag=" "$(msg_hdr "$S" From)" "From is the subscriber"
wait_list "$CTL" "id: $ID .*subscriber: sip:watcher@example.org .*state: confirmed" "listed with its subscriber"
assert_match "404 - no provider" "$(kam_rpc presence_b2b.subscribe sip:dave@192.0.2.1 dialog 2>&1)" "a package without provider is refused"
assert_alive
finish
