# 93 An un-SUBSCRIBE while the database cannot take the DELETE (issue 11):
# the active_watchers table is renamed away (the DB "down" for our
# statements; SQLite has no server to stop). The watcher that leaves gets
# its 200 and final NOTIFY; its key waits in the pending-delete list, and
# once the table is back the next flush (db_update_period 1) deletes the
# row by itself. After a restart a PUBLISH NOTIFYs the watcher that stayed
# and not the one that left. Its subject is the synchronous DELETE of the
# worker, so it runs with db_write_interval 0 (with the DB writer, the
# default, the DELETE waits in the writer's queue, which keeps a change
# the DB cannot take until it can: unit suite pres_dbq,
# test_db_failing_keeps_queue).
. "$(dirname "$0")/../../lib.sh"
ours_only "pending deletes of our subscription write-back" || finish
A=sip:alice93@127.0.0.1
create_db || { fail "cannot create the database"; finish; }
P="--param=presence:db_update_period:1 --param=presence:db_write_interval:0"
start_kamailio $P || finish
stay_leave_subscribe 93 $A

sql "ALTER TABLE active_watchers RENAME TO aw_down" &&
	ok "active_watchers renamed away (the DELETE will fail)" || fail "cannot rename the table"
stay_leave_unsubscribe 93 $A
wait_until "$WAIT_MAX" grep -q "cannot delete subscription cid93-leave from the DB: retried by the next flush" "$KAM_LOG" &&
	ok "the failed DELETE is logged and kept for the flush" || fail "no log line of the kept DELETE"
assert_sql "select count(*) from aw_down where callid='cid93-leave'" 1 \
	"leave's row is still there while the table is away"
sql "ALTER TABLE aw_down RENAME TO active_watchers" && ok "active_watchers back"
wait_sql "select count(*) from active_watchers where callid='cid93-leave'" 0 \
	"the next flush deletes leave's row by itself"
wait_db
assert_sql "select count(*) from active_watchers where callid='cid93-stay'" 1 "stay's row is kept"

stop_kamailio
stay_leave_after_restart $A $P
assert_alive
finish
