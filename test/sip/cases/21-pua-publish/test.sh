# 21 pua PUBLISH life cycle (RFC 3903) against a presence server in a second
# Kamailio: pua.publish initial, refresh (no body: the stored ETag as
# SIP-If-Match), modify, remove; after each step the server's presentity
# row and pua.list agree on the ETag. A watcher subscribed at the server
# sees the modification.
. "$(dirname "$0")/../../lib.sh"
. "$CASE_DIR/../20-pua-lib/pua-lib.sh" || exit 2
start_kamailio || finish
pua_start || finish
A=sip:alice21@127.0.0.1
ROW="from presentity where username='alice21' and event='presence'"
pidf $A open first >b1.xml
pidf $A closed second >b2.xml

assert_eq OK "$(pua_publish $A 600 . b1.xml)" "pua.publish initial"
wait_field $A publish last_code 200 "initial PUBLISH answered"
E1=$(pua_field $A publish etag)
assert_match '^[^ ]+$' "$E1" "pua holds an ETag"
wait_sql "select count(*), max(etag) $ROW" "1|$E1" "server row has pua's ETag"
assert_match 'first' "$(sql "select $BODY_SQL $ROW")" "server stored the body"
assert_num -ge 590 "$(pua_field $A publish expires)" "pua.list expires after initial"

assert_eq OK "$(pua_publish $A 600 .)" "pua.publish refresh (no body, no ETag)"
wait_field $A publish sent 2 "refresh sent"
wait_field $A publish pending idle "refresh answered"
assert_eq 200 "$(pua_field $A publish last_code)" "refresh last_code"
E2=$(pua_field $A publish etag)
ours_only "our server gives a refresh a new ETag" && assert_ne "$E1" "$E2" "refresh ETag"
wait_sql "select count(*), max(etag) $ROW" "1|$E2" "server row after refresh"
assert_match 'first' "$(sql "select $BODY_SQL $ROW")" "body kept by the refresh"

watch_start w1 $A sip:watcher21@127.0.0.1 2 300
wait_notifies w1 1
assert_eq OK "$(pua_publish $A 600 . b2.xml)" "pua.publish modify"
wait_notifies w1 2
assert_match 'second' "$(msg_body "$(watch_notify w1 2)")" "watcher's NOTIFY carries the modification"
watch_wait w1
# the NOTIFY may overtake pua's handling of the 200: wait for the answer
wait_field $A publish pending idle "modify answered"
E3=$(pua_field $A publish etag)
wait_sql "select count(*), max(etag) $ROW" "1|$E3" "server row after modify"
assert_match 'second' "$(sql "select $BODY_SQL $ROW")" "body replaced by the modify"
assert_eq 200 "$(pua_field $A publish last_code)" "last_code after modify"

assert_eq OK "$(pua_publish $A 0 .)" "pua.publish Expires 0"
wait_sql "select count(*) $ROW" 0 "server row removed"
wait_pua_count 0 "pua forgot the publication"

out=$(pua_publish $A 600 . 2>&1)
assert_match 'unknown publication|500' "$out" "refresh of an unknown publication is refused"
assert_alive
finish
