# 13 Database faults: the DB server is stopped in the middle of a bounded
# PUBLISH load and started again. With the DB writer process (the default
# db_write_interval, 100 ms) the workers never wait on the database: while
# it is down every PUBLISH and a new SUBSCRIBE are answered 200 from memory
# (Kamailio: 500), the writer logs that it keeps the changes queued, and
# Kamailio keeps answering other requests; once the server is back the
# writer writes everything queued without a restart, so every PUBLISH that
# got a 200 is in the database (rows counted, bounded poll). PostgreSQL
# and MariaDB only (a SQLite file has no server to stop).
. "$(dirname "$0")/../../lib.sh"
[ "$ENGINE" != sqlite ] || { note "ENGINE=sqlite: no server to stop"; finish; }
ours_only "DB fault handling of our drivers" || finish
. "$REPO/test/db/servers.sh"
if [ "$ENGINE" = postgres ]; then down=pg_down up=pg_up; else down=my_down up=my_up; fi
start_kamailio --param=presence:db_update_period:1 || finish

sipp_bg load "$CASE_DIR/load.xml" -m 400 -l 50 -r 40
T=$(watch_trace load)
ok_ge() { [ "$(trace_count "$T" received '^SIP/2.0 200')" -ge "$1" ]; }
wait_until 20 ok_ge 60 || fail "no 60 PUBLISHes answered 200 before the outage"
$down && ok "database server stopped in the middle of the load"
writer_waits() { grep -q 'cannot write queued DB changes' "$KAM_LOG"; }
wait_until 20 writer_waits &&
	ok "the writer keeps the changes queued while the DB is down" ||
	fail "no 'cannot write queued DB changes' in the log while the DB is down"
OUTAGE=$(trace_count "$T" received '^SIP/2.0 200')
wait_until 20 ok_ge $((OUTAGE + 40)) &&
	ok "40 more PUBLISHes answered 200 from memory while the DB is down" ||
	fail "PUBLISHes not answered 200 while the DB was down"

sip_request OPTIONS sip:127.0.0.1 ""
assert_reply 200 "OPTIONS while the DB is down"
FROM="<sip:wilma@127.0.0.1>" sip_request SUBSCRIBE sip:fault1@127.0.0.1 "Event: presence
Expires: 300"
assert_reply "200|202" "a new SUBSCRIBE while the DB is down (from memory)"
assert_num -ge 1 "$(kam_rpc stats.get_statistics presence: |
	sed -n 's/^presence:db_queue_length = //p')" \
	"statistic db_queue_length while the DB is down"

$up && ok "database server started again"
sipp_wait load
assert_sipp $? "load: every PUBLISH answered"
OK200=$(trace_count "$T" received '^SIP/2.0 200')
assert_eq 400 "$OK200" "every PUBLISH of the load answered 200"
assert_eq 0 "$(trace_count "$T" received '^SIP/2.0 5')" "no 5xx during the outage"
wait_sql "select count(*) from presentity where username like 'fault%'" "$OK200" \
	"presentity rows = PUBLISHes answered 200, written once the DB is back"
wait_sql "select count(*) from watchers where presentity_uri='sip:fault1@127.0.0.1'" 1 \
	"watchers row of the SUBSCRIBE taken during the outage"

pidf sip:after@127.0.0.1 open after >after.xml
sip_request PUBLISH sip:after@127.0.0.1 "Event: presence
Expires: 600
Content-Type: application/pidf+xml" after.xml
assert_reply 200 "PUBLISH after the DB came back (no Kamailio restart)"
wait_sql "select count(*) from presentity where username='after'" 1 \
	"its row written"
FROM="<sip:wilma@127.0.0.1>" sip_request SUBSCRIBE sip:after@127.0.0.1 "Event: presence
Expires: 300"
assert_reply "200|202" "SUBSCRIBE after the DB came back"
assert_alive
finish
