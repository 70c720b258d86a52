# 10 Library mode: without db_url (-A NO_DB) the presence module only serves
# its API to other modules (the seed: "db_url unset means library mode"), so
# Kamailio starts with it loaded, and PUBLISH / SUBSCRIBE reaching
# handle_publish / handle_subscribe get 500 (there is no storage to serve
# them), while Kamailio keeps serving.
. "$(dirname "$0")/../../lib.sh"
if is_reference; then
	if start_kamailio_expect_exit -A NO_DB; then
		echo "  SKIP (ours-only): Debian's presence refuses to start without db_url:"
		grep -m2 -E 'ERROR|CRITICAL' "$KAM_LOG" | sed 's/^/    | /'
		finish
	fi
	note "Debian's presence started without db_url"
else
	start_kamailio -A NO_DB || finish
fi
assert_kamcmd presence core.modules
K=sip:kate@127.0.0.1
pidf $K open kate-10 >pidf.xml
sip_request PUBLISH $K "Event: presence
Expires: 60
Content-Type: application/pidf+xml" pidf.xml
assert_reply 500 "PUBLISH in library mode"
sip_request SUBSCRIBE $K "Event: presence
Expires: 60"
assert_reply 500 "SUBSCRIBE in library mode"
assert_alive
finish
