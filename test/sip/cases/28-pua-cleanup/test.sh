# 28 pua.cleanup: with update_period 0 nothing removes expired records
# by itself; pua.cleanup drops a publication whose grant ran out (the
# owner asked for 2 s, so no refresh) and keeps a live one.
. "$(dirname "$0")/../../lib.sh"
. "$CASE_DIR/../20-pua-lib/pua-lib.sh" || exit 2
start_kamailio || finish
pua_start -A UPDATE_PERIOD=0 || finish
A=sip:alice28@127.0.0.1 B=sip:bea28@127.0.0.1
pidf $A open c1 >a.xml
pidf $B open c2 >b.xml
assert_eq OK "$(pua_publish $A 2 . a.xml)" "short publication"
assert_eq OK "$(pua_publish $B 600 . b.xml)" "long publication"
wait_field $A publish last_code 200 "short one answered"
wait_field $B publish last_code 200 "long one answered"
assert_eq "OK 0" "$(pua_rpc pua.cleanup)" "nothing expired yet"
cleaned() { [ "$(pua_rpc pua.cleanup)" = "OK 1" ]; }
if wait_until "$WAIT_MAX" cleaned; then ok "pua.cleanup removed the expired one"; else fail "pua.cleanup never removed it"; fi
assert_eq "" "$(pua_field $A publish etag)" "expired publication gone"
assert_match '^[^ ]+$' "$(pua_field $B publish etag)" "live publication kept"
assert_eq 1 "$(pua_count)" "one record left"
finish
