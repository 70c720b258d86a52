# 26 db_mode 0 restart: pua keeps its records in memory and saves them to
# the pua table at shutdown; started again on the same database it loads
# them: the publication is refreshed with its stored ETag and the
# subscription continues in its dialog (same Call-ID and tags, CSeq goes on,
# NOTIFYs still match).
. "$(dirname "$0")/../../lib.sh"
. "$CASE_DIR/../20-pua-lib/pua-lib.sh" || exit 2
# Debian's presence on SQLite answers 500 ("database is locked") now and
# then when its active_watchers flush runs every second: flush often only
# on ours, and check the server's dialog rows only there.
SRV=(--param=presence:db_update_period:1)
is_reference && SRV=()
start_kamailio "${SRV[@]}" || finish
pua_start || finish
A=sip:alice26@127.0.0.1 W=sip:bob26@127.0.0.1
ROW="from presentity where username='alice26' and event='presence'"
pidf $A open k1 >b1.xml
pidf $A closed k2 >b2.xml
assert_eq OK "$(pua_publish $A 600 p26 b1.xml)" "publish"
wait_field $A publish last_code 200 "publication answered"
assert_eq OK "$(pua_rpc pua.subscribe $A $W presence 600)" "subscribe"
wait_field $A subscribe state active "subscription active"
E1=$(pua_field $A publish etag)
CID=$(pua_field $A subscribe call_id)
TT=$(pua_field $A subscribe to_tag)
assert_eq 0 "$(pua_sql 'select count(*) from pua')" "nothing saved yet (update_period 100)"

pua_stop
assert_eq "1|1" "$(pua_sql "select count(*), max(etag='$E1') from pua where call_id=''")" "publication saved at shutdown"
assert_eq "1|$TT|1" "$(pua_sql "select count(*), max(to_tag), max(cseq) from pua where call_id='$CID'")" "dialog saved at shutdown"

pua_start || finish
assert_eq "$E1" "$(pua_field $A publish etag)" "ETag restored"
assert_eq "$CID" "$(pua_field $A subscribe call_id)" "dialog restored"
assert_eq OK "$(pua_publish $A 600 p26 b2.xml)" "modify after the restart"
wait_field $A publish sent 1 "modify sent"
wait_field $A publish last_code 200 "modify with the stored ETag accepted"
wait_sql "select count(*), max(etag) $ROW" "1|$(pua_field $A publish etag)" "server row has the new ETag"
assert_match 'k2' "$(sql "select $BODY_SQL $ROW")" "server has the new body"
wait_field $A subscribe notifies 1 "NOTIFY of the change matched the restored dialog"
assert_eq OK "$(pua_rpc pua.subscribe $A $W presence 600)" "refresh the subscription"
wait_field $A subscribe cseq 2 "in-dialog refresh with CSeq 2"
wait_field $A subscribe pending idle "refresh answered"
assert_match '^20[02]$' "$(pua_field $A subscribe last_code)" "refresh accepted by the server"
ours_only "server dialog rows" && wait_sql "select count(*) from active_watchers where callid='$CID'" 1 "still one server dialog"
finish
