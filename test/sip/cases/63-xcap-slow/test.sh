# 63 An XCAP server that accepts the connection and never answers does not
# hold up the SIP workers (issue 11): with alice's only xcap_server silent
# (xcap_timeout 1000 ms, backed off after 2 failures for 2 s), bob
# subscribes, then a burst of 12 watchers: every SUBSCRIBE is answered
# within 500 ms and the whole burst takes well under 12 x the fetch timeout
# (a worker that fetched itself would wait 1 s per SUBSCRIBE, with 2
# workers 6 s at least); each watcher gets the default policy, pending
# without a body (nothing known of alice's rules). The XCAP process asked
# the server a few times, not once per SUBSCRIBE. The server is then fixed:
# the next refresh round fetches alice's document, which allows bob, and
# bob's NOTIFY turns active with alice's PIDF, without a new SUBSCRIBE;
# eve, blocked by the document, now gets 403.
. "$(dirname "$0")/../../lib.sh"
. "$CASE_DIR/xcap-lib.sh"

set_rules alice bob
echo silent >"$HTTP_MODE"
start_http || finish
start_kamailio --param=presence_xml:force_active:0 \
	--param=presence_xml:integrated_xcap_server:0 \
	--param=presence_xml:xcap_server:http://127.0.0.1:$HP/xcap-root \
	--param=presence_xml:xcap_timeout:1000 \
	--param=presence_xml:xcap_connect_timeout:500 \
	--param=presence_xml:xcap_backoff_failures:2 \
	--param=presence_xml:xcap_backoff_time:2 || finish

pidf $AL open alice-is-here >alice.xml
sip_request PUBLISH $AL $'Event: presence\nExpires: 600\nContent-Type: application/pidf+xml' alice.xml
assert_reply 200 "alice publishes"

watcher bob $AL
wait_notifies bob 1
assert_match '^pending' "$(sstate bob 1)" "bob pending while alice's rules are not known"
assert_eq "" "$(nbody bob 1 | tr -d '[:space:]')" "no body for bob yet"
silent_seen() { [ "$(http_lines ' silent ')" -ge 1 ]; }
wait_until "$WAIT_MAX" silent_seen
assert_num -ge 1 "$(http_lines ' silent ')" "the XCAP process asked the silent server"

burst 12 alice 500
assert_sipp $? "12 SUBSCRIBEs each answered within 500 ms, each first NOTIFY pending"
assert_num -lt 6000 "$BURST_MS" "the burst of 12 took (ms), well under 12 x 1000 ms"
note "burst of 12 SUBSCRIBEs: $BURST_MS ms"
assert_eq 12 "$(trace_count "$SIPP_TRACE" received '^NOTIFY')" "12 NOTIFYs received by the burst"
# each fetch waits 1 s, then 2 s of back-off after 2 failures: a handful
# of requests, not one per SUBSCRIBE
asked=$(http_lines ' silent ')
assert_num -le 6 "$asked" "requests to the silent server during the burst"
BACKOFF="xcap_server http://127.0.0.1:$HP/xcap-root failed 2 times in a row: not asked for 2 s"
wait_until "$WAIT_MAX" grep -q "$BACKOFF" "$KAM_LOG"
assert_log_contains "$BACKOFF" "the silent server is backed off"

# the server fixed: the rules apply without a new SUBSCRIBE
echo serve >"$HTTP_MODE"
wait_notifies bob 2
assert_match '^active' "$(sstate bob 2)" "bob active once alice's rules were fetched"
assert_eq alice-is-here "$(nbody bob 2 | xmllint --nonet --xpath "normalize-space(//*[local-name()='note'])" - 2>/dev/null)" "bob's NOTIFY carries alice's PIDF"
assert_num -ge 1 "$(http_lines "^GET /xcap-root/pres-rules/users/sip:alice@127.0.0.1/index 200 ")" "alice's document served"
FROM="<sip:eve@127.0.0.1>" sip_request SUBSCRIBE $AL $'Event: presence\nAccept: application/pidf+xml\nExpires: 300'
assert_reply 403 "eve (blocked by the fetched rules)"
stop_sipps
assert_alive
finish
