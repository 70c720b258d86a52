# 85 pua's db_mode as Kamailio 5.6 treats it: mode 1 is "reserved"; an
# operator's config with it (or any value other than 0 and 2) still starts,
# the module logs the invalid value and works in mode 0 (memory). Same on
# ours and on Kamailio's pua (PUA_IMPL from IMPL); ours then keeps records
# in memory and saves them at shutdown, as mode 0 does.
PUA_IMPL=${IMPL:-ours}
. "$(dirname "$0")/../../lib.sh"
. "$CASE_DIR/../20-pua-lib/pua-lib.sh" || exit 2
start_kamailio || finish
pua_start --param=pua:db_mode:1 || finish
if pua_alive; then
	ok "the pua instance runs with db_mode 1"
else
	fail "the pua instance exited with db_mode 1"
fi
if grep -Eiq 'invalid db_?mode' "$PUA_LOG"; then
	ok "the invalid db_mode is logged"
else
	fail "no log line about the invalid db_mode in ${PUA_LOG#"$SIP_DIR"/}"
fi
if ours_only "pua.publish / pua.list are our pua's RPCs (Kamailio's need pua_rpc)"; then
	A=sip:alice85@127.0.0.1
	pidf $A open first >b1.xml
	assert_eq OK "$(pua_publish $A 600 . b1.xml)" "pua.publish in the memory mode"
	wait_field $A publish last_code 200 "PUBLISH answered"
	assert_eq 0 "$(sqlite3 "$PUA_DB" 'select count(*) from pua')" "mode 0: nothing in the pua table before shutdown"
	pua_stop
	assert_eq 1 "$(sqlite3 "$PUA_DB" 'select count(*) from pua')" "mode 0: the record saved at shutdown"
fi
pua_stop
assert_alive
finish
