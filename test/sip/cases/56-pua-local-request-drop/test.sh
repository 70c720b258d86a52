# 56 a PUBLISH dropped by the operator's event_route[tm:local-request]:
# tm then sends nothing and never calls pua back. pua must treat it as a
# failed request (as a 408): the initial publication is not left waiting
# for a reply forever, and another presentity's PUBLISH still goes out and
# is answered.
. "$(dirname "$0")/../../lib.sh"
. "$CASE_DIR/../20-pua-lib/pua-lib.sh" || exit 2
start_kamailio || finish
# pua's config plus a local-request route that drops one presentity's PUBLISH
cat >"$WORK/pua-drop.cfg" <<CFG
#!KAMAILIO
import_file "$PUA_CFG"
event_route[tm:local-request] {
	if (\$rU == "drop56") {
		xlog("L_NOTICE", "dropping local \$rm to \$ru\n");
		drop;
	}
}
CFG
PUA_CFG=$WORK/pua-drop.cfg
pua_start || finish
D=sip:drop56@127.0.0.1 K=sip:keep56@127.0.0.1
pidf $D open dropped >d.xml
pidf $K open kept >k.xml
assert_match "500.*send error" "$(pua_publish $D 600 . d.xml 2>&1)" "pua.publish of the dropped one reports the send failure"
assert_pua_log_contains "dropping local PUBLISH to $D" "the route dropped it"
# the failed initial PUBLISH does not stay pending
gone_or_failed() {
	local c
	c=$(pua_field $D publish last_code)
	[ -z "$(pua_field $D publish etag)" ] && { [ -z "$c" ] || [ "$c" -ge 300 ]; } &&
		[ "$(pua_field $D publish pending)" != sent ]
}
if wait_until "$WAIT_MAX" gone_or_failed; then
	ok "the dropped PUBLISH ended as a failure (last_code '$(pua_field $D publish last_code)')"
else
	fail "the dropped PUBLISH still waits: pending '$(pua_field $D publish pending)', last_code '$(pua_field $D publish last_code)'"
fi
assert_eq OK "$(pua_publish $K 600 . k.xml)" "pua.publish of another presentity"
wait_field $K publish last_code 200 "it is sent and answered"
wait_sql "select count(*) from presentity where username='keep56'" 1 "the server stored it"
wait_db
assert_eq 0 "$(sql "select count(*) from presentity where username='drop56'")" "nothing of the dropped one reached the server"
finish
