# 27 db_mode 2 (DB only): every change is written to the pua table at once,
# and a record this instance does not hold in memory is found in the DB; a
# restarted instance continues the publication and the dialog.
. "$(dirname "$0")/../../lib.sh"
. "$CASE_DIR/../20-pua-lib/pua-lib.sh" || exit 2
start_kamailio || finish
pua_start -A DB_MODE=2 || finish
A=sip:alice27@127.0.0.1 W=sip:bob27@127.0.0.1
ROW="from presentity where username='alice27' and event='presence'"
pidf $A open d1 >b1.xml
pidf $A closed d2 >b2.xml
assert_eq OK "$(pua_publish $A 600 p27 b1.xml)" "publish"
wait_field $A publish last_code 200 "publication answered"
E1=$(pua_field $A publish etag)
assert_eq "1|$E1" "$(pua_sql "select count(*), max(etag) from pua where pres_id='p27'")" "row written at once"
assert_eq OK "$(pua_rpc pua.subscribe $A $W presence 600)" "subscribe"
wait_field $A subscribe state active "subscription active"
CID=$(pua_field $A subscribe call_id)
TT=$(pua_field $A subscribe to_tag)
assert_eq "1|$TT" "$(pua_sql "select count(*), max(to_tag) from pua where call_id='$CID'")" "dialog row written at once"

pua_stop
pua_sql "update pua set version=version" >/dev/null
pua_start -A DB_MODE=2 || finish
assert_eq OK "$(pua_publish $A 600 p27 b2.xml)" "modify after the restart"
wait_field $A publish last_code 200 "modify with the stored ETag accepted"
E2=$(pua_field $A publish etag)
assert_eq "$E2" "$(pua_sql "select etag from pua where pres_id='p27'")" "row follows at once"
wait_sql "select count(*), max(etag) $ROW" "1|$E2" "server row"
wait_field $A subscribe notifies 1 "NOTIFY matched the stored dialog"
assert_eq OK "$(pua_publish $A 0 p27)" "remove"
wait_until "$WAIT_MAX" sh -c "[ \$(sqlite3 '$PUA_DB' \"select count(*) from pua where pres_id='p27'\") = 0 ]"
assert_eq 0 "$(pua_sql "select count(*) from pua where pres_id='p27'")" "row deleted at once"
wait_sql "select count(*) $ROW" 0 "server row removed"
finish
