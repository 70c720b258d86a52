# 23 412 recovery: the presence server restarts with an empty database (it
# lost every publication), so pua's next refresh gets 412 Conditional
# Request Failed; pua publishes again as an initial PUBLISH with the
# current body and holds the new ETag.
. "$(dirname "$0")/../../lib.sh"
. "$CASE_DIR/../20-pua-lib/pua-lib.sh" || exit 2
start_kamailio || finish
pua_start || finish
A=sip:alice23@127.0.0.1
ROW="from presentity where username='alice23' and event='presence'"
pidf $A open v1 >b1.xml
pidf $A closed v2 >b2.xml

assert_eq OK "$(pua_publish $A 600 . b1.xml)" "initial"
wait_field $A publish last_code 200 "initial answered"
assert_eq OK "$(pua_publish $A 600 . b2.xml)" "modify"
wait_field $A publish sent 2 "modify sent"
wait_field $A publish pending idle "modify answered"
E1=$(pua_field $A publish etag)
wait_sql "select count(*), max(etag) $ROW" "1|$E1" "server row"

stop_kamailio
create_db || fail "cannot empty the server DB"
start_kamailio || finish
assert_sql "select count(*) $ROW" 0 "server starts without the publication"

assert_eq OK "$(pua_publish $A 600 .)" "refresh with the old ETag"
wait_field $A publish sent 4 "refresh and the initial re-send"
wait_field $A publish pending idle "re-send answered"
assert_eq 200 "$(pua_field $A publish last_code)" "publication recovered"
E2=$(pua_field $A publish etag)
assert_ne "$E1" "$E2" "a new ETag"
wait_sql "select count(*), max(etag) $ROW" "1|$E2" "server row back with pua's ETag"
assert_match 'v2' "$(sql "select $BODY_SQL $ROW")" "re-published with the current body"
assert_pua_log_contains "412 for $A: publishing again" "pua logged the 412 recovery"
assert_alive
finish
