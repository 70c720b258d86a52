# 29d Two pua instances in db_mode 2 on one pua table (the shared SQLite
# file; with ENGINE=postgres/mysql the server's database), publishing to
# our presence server. A publication made through instance 1 is refreshed
# and then modified through instance 2 (pua.publish with the same id): the
# row gives instance 2 the current ETag, so the server answers 200, never
# 412, and keeps one presentity row. Then instance 1 modifies it again:
# "DB only" means it must use the ETag instance 2 left in the table, not
# the one it remembers. pua.list on both shows the publication.
. "$(dirname "$0")/../../lib.sh"
. "$CASE_DIR/../20-pua-lib/pua-lib.sh" || exit 2
trap pua_inst_cleanup EXIT
start_kamailio || finish
ARGS=(-A DB_MODE=2)
if [ "$ENGINE" != sqlite ]; then
	ARGS+=("--param=pua:db_url:$DB_URL") # overrides the config's SQLite URL
	psql_rows() { sql "$1"; }
else
	psql_rows() { pua_sql "$1"; }
fi
pua_inst_new one && pua_start "${ARGS[@]}" && pua_inst_save one || finish
pua_inst_new two && pua_start "${ARGS[@]}" && pua_inst_save two || finish
A=sip:alice29d@127.0.0.1
ROW="from presentity where username='alice29d' and event='presence'"
PROW="from pua where pres_uri='$A' and pres_id='p29d'"
pidf $A open d1 >b1.xml
pidf $A closed d2 >b2.xml
pidf $A open d3 >b3.xml
server_412() { grep -c 'answered 412' "$KAM_LOG"; }

pua_inst_use one
assert_eq OK "$(pua_publish $A 600 p29d b1.xml)" "instance 1: initial PUBLISH"
wait_field $A publish last_code 200 "instance 1: answered"
E1=$(pua_field $A publish etag)
assert_eq "1|$E1" "$(psql_rows "select count(*), max(etag) $PROW")" "pua row written at once with E1"
wait_sql "select count(*), max(etag) $ROW" "1|$E1" "server row has E1"

pua_inst_use two
assert_eq 0 "$(pua_count)" "instance 2 holds nothing in memory yet"
assert_eq OK "$(pua_publish $A 600 p29d)" "instance 2: refresh of instance 1's publication"
wait_field $A publish pending idle "instance 2: refresh answered"
assert_eq 200 "$(pua_field $A publish last_code)" "instance 2: refresh accepted (If-Match E1 from the row)"
E2=$(pua_field $A publish etag)
assert_match '^[^ ]+$' "$E2" "instance 2 holds an ETag"
assert_eq "1|$E2" "$(psql_rows "select count(*), max(etag) $PROW")" "pua row has E2"
wait_sql "select count(*), max(etag) $ROW" "1|$E2" "server row refreshed (E2), still one"
assert_match 'd1' "$(sql "select $BODY_SQL $ROW")" "body kept by the refresh"

assert_eq OK "$(pua_publish $A 600 p29d b2.xml)" "instance 2: modify"
wait_field $A publish sent 2 "instance 2: modify sent"
wait_field $A publish pending idle "instance 2: modify answered"
assert_eq 200 "$(pua_field $A publish last_code)" "instance 2: modify accepted"
E3=$(pua_field $A publish etag)
assert_ne "$E2" "$E3" "a new ETag for the modification"
assert_eq "1|$E3" "$(psql_rows "select count(*), max(etag) $PROW")" "pua row has E3"
wait_sql "select count(*), max(etag) $ROW" "1|$E3" "server row modified (E3)"
assert_match 'd2' "$(sql "select $BODY_SQL $ROW")" "server has instance 2's body"
ours_only "our server logs every error reply" && assert_eq 0 "$(server_412)" "the server answered no 412"

pua_inst_use one
assert_eq 200 "$(pua_field $A publish last_code)" "pua.list on instance 1 shows the publication"
pua_inst_use two
assert_eq 200 "$(pua_field $A publish last_code)" "pua.list on instance 2 shows the publication"
assert_eq 1 "$(pua_count)" "instance 2 holds one record"

# Instance 1 again: DB only, so the row (E3) and not its own memory (E1)
# must give the SIP-If-Match.
pua_inst_use one
note "instance 1's pua.list ETag before its modify: $(pua_field $A publish etag) (row: E3=$E3)"
assert_eq OK "$(pua_publish $A 600 p29d b3.xml)" "instance 1: modify after instance 2's"
wait_field $A publish pending idle "instance 1: modify answered"
assert_eq 200 "$(pua_field $A publish last_code)" "instance 1: last reply"
# Regression (was a bug, fixed in pua_publ.c publ_record): instance 1 sends SIP-If-Match E1 (its memory copy; publ_record() in
# pua_publ.c uses a record found in memory without reading the row in
# db_mode 2): the server answers 412, pua re-publishes as an initial
# PUBLISH, and the server ends with two presentity rows for one publication.
ours_only "our server logs every error reply" &&
	assert_eq 0 "$(server_412)" "the server answered no 412 to instance 1"
# Regression (was a bug, fixed in pua_publ.c publ_record): (same cause) a third PUBLISH, the initial re-send after the 412
assert_eq 2 "$(pua_field $A publish sent)" "instance 1 sent one PUBLISH for the modify"
E4=$(pua_field $A publish etag)
assert_eq "1|$E4" "$(psql_rows "select count(*), max(etag) $PROW")" "pua row has instance 1's new ETag"
# Regression (was a bug, fixed in pua_publ.c publ_record): (same cause) E3's row (body d2) is left at the server beside E4's
wait_sql "select count(*), max(etag) $ROW" "1|$E4" "one server row, with that ETag"
assert_match 'd3' "$(sql "select $BODY_SQL $ROW")" "server has instance 1's body"

pua_inst_use two
assert_eq OK "$(pua_publish $A 0 p29d)" "instance 2: remove"
# Regression (was a bug, fixed in pua_publ.c publ_record): (same cause) instance 2 removes with its memory ETag E3, i.e. the
# orphaned row; instance 1's E4 row stays at the server, tracked by nobody
wait_pua_count 0 "instance 2: removal answered, record gone"
note "server rows left: $(sql "select etag $ROW" | tr '\n' ' ')"
wait_sql "select count(*) $ROW" 0 "server row removed"
assert_eq 0 "$(psql_rows "select count(*) $PROW")" "pua row deleted"
pua_inst_use one
assert_alive
finish
