# 64 A dead XCAP server (connection refused) is backed off (issue 11): the
# first xcap_server is a closed port, the second a working server
# (xcap_server.py of case 63). xcap_backoff_failures 2, xcap_backoff_time
# 30: ten watchers subscribe to ten presentities (ten documents to fetch);
# every SUBSCRIBE is answered within 500 ms with the default policy
# (pending); the XCAP process tries the dead server twice (two "cannot
# connect" lines in the log), then logs that it backs it off and asks only
# the second one: ten requests there. bob's subscription to alice, whose
# document on the second server allows him, turns active once it is
# fetched; the dead server is still not tried again.
. "$(dirname "$0")/../../lib.sh"
. "$SIP_DIR/cases/63-xcap-slow/xcap-lib.sh"

set_rules alice bob
echo serve >"$HTTP_MODE"
start_http || finish
DEAD=$(closed_tcp_port) || { fail "no closed TCP port found"; finish; }
note "dead xcap_server: 127.0.0.1:$DEAD"
start_kamailio --param=presence_xml:force_active:0 \
	--param=presence_xml:integrated_xcap_server:0 \
	--param=presence_xml:xcap_server:http://127.0.0.1:$DEAD/xcap-root \
	--param=presence_xml:xcap_server:http://127.0.0.1:$HP/xcap-root \
	--param=presence_xml:xcap_backoff_failures:2 \
	--param=presence_xml:xcap_backoff_time:30 || finish

dead_tries() { grep -c "GET http://127.0.0.1:$DEAD/xcap-root/.*cannot connect" "$KAM_LOG"; }
served() { http_lines '^GET /xcap-root/pres-rules/users/sip:p-[0-9]+@127.0.0.1/index 404 '; }

burst 10 p- 500
assert_sipp $? "10 SUBSCRIBEs to 10 presentities each answered within 500 ms, each first NOTIFY pending"
note "burst of 10 SUBSCRIBEs: $BURST_MS ms"
all_served() { [ "$(served)" -ge 10 ]; }
wait_until "$WAIT_MAX" all_served
assert_eq 10 "$(served)" "the 10 documents asked of the second server (404: none)"
assert_eq 2 "$(dead_tries)" "connection attempts to the dead server"
assert_log_contains "xcap_server http://127.0.0.1:$DEAD/xcap-root failed 2 times in a row: not asked for 30 s" "the dead server is backed off"

pidf $AL open alice-is-here >alice.xml
sip_request PUBLISH $AL $'Event: presence\nExpires: 600\nContent-Type: application/pidf+xml' alice.xml
assert_reply 200 "alice publishes"
watcher bob $AL
wait_notifies bob 1
assert_match '^pending' "$(sstate bob 1)" "bob pending until alice's rules are fetched"
wait_notifies bob 2
assert_match '^active' "$(sstate bob 2)" "bob active with alice's rules from the second server"
assert_eq alice-is-here "$(nbody bob 2 | xmllint --nonet --xpath "normalize-space(//*[local-name()='note'])" - 2>/dev/null)" "bob's NOTIFY carries alice's PIDF"
assert_eq 2 "$(dead_tries)" "the dead server still not asked again (backed off)"
stop_sipps
assert_alive
finish
