# 13 Database faults: the DB server is stopped in the middle of a bounded
# PUBLISH load and started again. While it is down PUBLISH and SUBSCRIBE
# get 500 with a log line and Kamailio keeps answering other requests; once
# it is back service resumes without restarting Kamailio, and every PUBLISH
# that got a 200 is in the database (rows counted). PostgreSQL and MariaDB
# only (a SQLite file has no server to stop).
. "$(dirname "$0")/../../lib.sh"
[ "$ENGINE" != sqlite ] || { note "ENGINE=sqlite: no server to stop"; finish; }
ours_only "DB fault handling of our drivers" || finish
. "$REPO/test/db/servers.sh"
if [ "$ENGINE" = postgres ]; then down=pg_down up=pg_up; else down=my_down up=my_up; fi
start_kamailio --param=presence:db_update_period:1 || finish

sipp_bg load "$CASE_DIR/load.xml" -m 400 -l 50 -r 40
T=$(watch_trace load)
ok_ge() { [ "$(trace_count "$T" received '^SIP/2.0 200')" -ge "$1" ]; }
err_ge() { [ "$(trace_count "$T" received '^SIP/2.0 500')" -ge "$1" ]; }
wait_until 20 ok_ge 60 || fail "no 60 PUBLISHes answered 200 before the outage"
$down && ok "database server stopped in the middle of the load"
wait_until 20 err_ge 20 || fail "PUBLISHes did not get 500 while the DB was down"

sip_request OPTIONS sip:127.0.0.1 ""
assert_reply 200 "OPTIONS while the DB is down"
FROM="<sip:wilma@127.0.0.1>" sip_request SUBSCRIBE sip:fault1@127.0.0.1 "Event: presence
Expires: 300"
assert_reply 500 "SUBSCRIBE while the DB is down"
assert_log_contains 'SUBSCRIBE .* answered 500' "log line of the refused SUBSCRIBE"
assert_log_contains 'PUBLISH for fault[0-9]*@127.0.0.1 answered 500' "log line of a refused PUBLISH"

$up && ok "database server started again"
sipp_wait load
assert_sipp $? "load: every PUBLISH answered 200 or 500"
OK200=$(trace_count "$T" received '^SIP/2.0 200')
E500=$(trace_count "$T" received '^SIP/2.0 500')
note "load: $OK200 x 200, $E500 x 500 of 400"
assert_num -ge 1 "$(trace_count "$T" received '^SIP/2.0 200' )" "PUBLISHes accepted"
assert_eq 400 $((OK200 + E500)) "every PUBLISH of the load answered once"
assert_sql "select count(*) from presentity where username like 'fault%'" "$OK200" \
	"presentity rows = PUBLISHes answered 200 (nothing lost, nothing half-stored)"

pidf sip:after@127.0.0.1 open after >after.xml
sip_request PUBLISH sip:after@127.0.0.1 "Event: presence
Expires: 600
Content-Type: application/pidf+xml" after.xml
assert_reply 200 "PUBLISH after the DB came back (no Kamailio restart)"
FROM="<sip:wilma@127.0.0.1>" sip_request SUBSCRIBE sip:after@127.0.0.1 "Event: presence
Expires: 300"
assert_reply "200|202" "SUBSCRIBE after the DB came back"
assert_alive
finish
