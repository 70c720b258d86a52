# 88 Publications written by the DB writer process while the database
# cannot be written (doc/presence.md "Durability"): another process holds
# SQLite's write lock (BEGIN IMMEDIATE in the sqlite3 shell). PUBLISHes are
# still answered 200 from memory (a modify finds its ETag in the cache), and
# a new SUBSCRIBE is answered with a NOTIFY of the state in memory; once
# db_queue_size (5) changes wait, the next PUBLISH and the next new
# SUBSCRIBE get 503 with Retry-After (db_queue_retry_after) and change
# nothing; when the lock is released the writer stores every acknowledged
# change by itself (rows polled, bounded) and PUBLISH is taken again. The
# statistics db_queue_length, db_queue_high and db_queue_full follow. A
# db_queue_size of 0 stops the start-up with an error.
. "$(dirname "$0")/../../lib.sh"
# stat NAME: the value of presence:NAME in kamcmd's statistics
stat() { kam_rpc stats.get_statistics presence: | sed -n "s/^presence:$1 = //p"; }
stat_is() { [ "$(stat "$1")" = "$2" ]; }
ours_only "the DB writer process is ours" || finish
start_kamailio --param=presence:db_write_interval:100 \
	--param=presence:db_queue_size:5 --param=presence:db_queue_retry_after:9 || finish
H="Event: presence
Expires: 600
Content-Type: application/pidf+xml"
for u in p0 p1 p2 p3 p4; do pidf sip:w88$u@127.0.0.1 open "n88-$u" >$u.xml; done
pidf sip:w88p1@127.0.0.1 closed n88-p1-modified >p1b.xml

sip_request PUBLISH sip:w88p0@127.0.0.1 "$H" p0.xml
assert_reply 200 "w88p0 publishes while the database is writable"
wait_sql "select count(*) from presentity where username='w88p0'" 1 "its row is written by the writer"

# hold the write lock: a sqlite3 shell reading from a fifo
mkfifo lock.fifo
sqlite3 "$DB" <lock.fifo >lock.out 2>&1 &
LOCK_PID=$!
exec 3>lock.fifo
echo "BEGIN IMMEDIATE; SELECT 'locked';" >&3
wait_until "$WAIT_MAX" grep -q locked lock.out && ok "another process holds the write lock" ||
	fail "cannot take the write lock"

sip_request PUBLISH sip:w88p1@127.0.0.1 "$H" p1.xml
assert_reply 200 "w88p1 publishes while the database is locked"
E1=$(msg_hdr "$REPLY" SIP-ETag)
sip_request PUBLISH sip:w88p1@127.0.0.1 "$H
SIP-If-Match: $E1" p1b.xml
assert_reply 200 "w88p1 modifies it (the cache knows its ETag)"
for u in p2 p3; do
	sip_request PUBLISH sip:w88$u@127.0.0.1 "$H" $u.xml
	assert_reply 200 "w88$u publishes while the database is locked"
done
# a new subscription: answered, its NOTIFY built from memory, its
# watchers row queued (the fifth change)
watch_start w1 sip:w88p1@127.0.0.1 sip:w88watcher@127.0.0.1 1 300 0
watch_wait w1 "a watcher subscribes while the database is locked"
assert_match n88-p1-modified "$(msg_body "$(watch_notify w1 1)")" \
	"its NOTIFY carries the modified state (from memory)"

# 5 changes wait: the queue is full
sip_request PUBLISH sip:w88p4@127.0.0.1 "$H" p4.xml
assert_reply 503 "a sixth change while five wait: 503"
assert_eq 9 "$(msg_hdr "$REPLY" Retry-After)" "Retry-After of the 503"
FROM="<sip:w88other@127.0.0.1>" sip_request SUBSCRIBE sip:w88p2@127.0.0.1 "Event: presence
Expires: 300"
assert_reply 503 "a new subscription while the queue is full: 503"
assert_eq 9 "$(msg_hdr "$REPLY" Retry-After)" "Retry-After of that 503"
assert_log_contains 'DB write queue full' "the full queue is logged"
assert_sql "select count(*) from presentity where username like 'w88p%'" 1 \
	"nothing written while the lock is held"
assert_eq 5 "$(stat db_queue_length)" "statistic db_queue_length while locked"
assert_eq 2 "$(stat db_queue_full)" "statistic db_queue_full (the two 503s)"

echo "ROLLBACK;" >&3
exec 3>&-
wait "$LOCK_PID"
ok "the write lock released"
wait_sql "select count(*) from presentity where username like 'w88p%'" 4 \
	"every acknowledged publication written once the database is writable"
wait_until "$WAIT_MAX" stat_is db_queue_length 0 &&
	ok "statistic db_queue_length back to 0" || fail "db_queue_length not back to 0"
assert_eq 5 "$(stat db_queue_high)" "statistic db_queue_high"
assert_match n88-p1-modified "$(sql "select $BODY_SQL from presentity where username='w88p1'")" \
	"the modify written after the insert (order kept)"
assert_sql "select count(*) from watchers where watcher_username='w88watcher'" 1 \
	"the watchers row of the subscription is written too"
assert_sql "select count(*) from presentity where username='w88p4'" 0 \
	"the refused PUBLISH stored nothing"
assert_sql "select count(*) from watchers where watcher_username='w88other'" 0 \
	"the refused SUBSCRIBE stored nothing"
sip_request PUBLISH sip:w88p4@127.0.0.1 "$H" p4.xml
assert_reply 200 "PUBLISH taken again"
wait_sql "select count(*) from presentity where username='w88p4'" 1 "and written"
assert_alive

stop_kamailio
if start_kamailio_expect_exit --param=presence:db_write_interval:100 \
	--param=presence:db_queue_size:0; then
	ok "db_queue_size 0 refused at start-up"
else
	fail "db_queue_size 0 accepted"
	stop_kamailio
fi
assert_log_contains 'db_write_interval must be 0..60000 \(ms\), db_queue_size >= 1' \
	"the start-up error names the parameters"
finish
