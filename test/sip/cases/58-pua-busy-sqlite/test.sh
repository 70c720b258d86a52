# 58 pua (db_mode 2) on a busy SQLite (issue 11): another process holds the
# write lock of pua's database until the test lets it go (at most 10 s). A modification of a publication is
# sent and answered meanwhile; the worker that takes the 200 waits for the
# DB to write the row, but without any bucket lock held: pua.list (which
# takes the publication's bucket lock) answers at once with the new ETag,
# a PUBLISH for another presentity goes out and is answered, all while the
# lock is still held; the row follows once the lock is released.
. "$(dirname "$0")/../../lib.sh"
. "$CASE_DIR/../20-pua-lib/pua-lib.sh" || exit 2
start_kamailio || finish
pua_start -A DB_MODE=2 || finish
A=sip:alice58@127.0.0.1 B=sip:bella58@127.0.0.1
pidf $A open v1 >b1.xml
pidf $A closed v2 >b2.xml
assert_eq OK "$(pua_publish $A 600 p58 b1.xml)" "publish"
wait_field $A publish last_code 200 "publication answered"
E1=$(pua_field $A publish etag)
assert_eq "$E1" "$(pua_sql "select etag from pua where pres_id='p58'")" "row written"

# the fault: a writer that keeps the lock until the file release appears
# (bounded: 10 s); the marker file locked says when the lock is held. pua
# must answer everything below while it is held: a worker that waited for
# the DB would not answer before the release, which comes only after.
sqlite3 "$PUA_DB" >"$WORK/holder.out" 2>&1 <<SQL &
BEGIN IMMEDIATE;
UPDATE pua SET version=version WHERE 0;
.shell touch $WORK/locked
.shell i=0; while [ ! -f $WORK/release ] && [ \$i -lt 100 ]; do sleep 0.1; i=\$((i+1)); done
COMMIT;
SQL
HOLDER=$!
wait_until 5 test -f "$WORK/locked" || fail "the holder never took the lock"
T0=$(date +%s%N)
assert_eq OK "$(pua_publish $A 600 p58 b2.xml)" "modify while the DB is locked"
wait_until 2 field_is $A publish sent 2 || fail "modify not sent"
until_etag() { E2=$(pua_field $A publish etag); [ -n "$E2" ] && [ "$E2" != "$E1" ]; }
wait_until 2 until_etag || fail "the 200's ETag is not in pua.list"
assert_eq OK "$(pua_publish $B 600 . b1.xml)" "another presentity while the DB is locked"
wait_until 2 field_is $B publish last_code 200 || fail "the other PUBLISH was not answered"
DT=$((($(date +%s%N) - T0) / 1000000))
kill -0 "$HOLDER" 2>/dev/null && ok "all that while the lock was held (${DT} ms)" ||
	fail "the lock was released (10 s bound) before pua answered (${DT} ms): pua waited for the DB"
touch "$WORK/release"
wait "$HOLDER"
assert_eq 0 "$?" "the holder committed"
row_is_e2() { [ "$(pua_sql "select etag from pua where pres_id='p58'")" = "$E2" ]; }
wait_until 8 row_is_e2 &&
	ok "row follows once the lock is gone" || fail "row never got the new ETag"
assert_eq 200 "$(pua_field $A publish last_code)" "publication alive"
pua_alive && ok "pua kamailio alive" || fail "pua kamailio died"
finish
