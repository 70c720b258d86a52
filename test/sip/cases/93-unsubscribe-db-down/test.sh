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
pidf $A open a93-open >open.xml
pidf $A closed a93-closed >closed.xml
sip_request PUBLISH $A "Event: presence
Expires: 600
Content-Type: application/pidf+xml" open.xml
assert_reply 200 "alice93 publishes"

SPORT=$(free_udp_port) LPORT=$(free_udp_port)
SIPP_LPORT=$SPORT sipp_run "$SIP_DIR/scenarios/subscribe.xml" -cid_str cid93-stay \
	-k presentity $A -k watcher sip:stay@127.0.0.1 -k fromtag ft93stay -k expires 600
assert_sipp $? "stay subscribes"
SIPP_LPORT=$LPORT sipp_run "$SIP_DIR/scenarios/subscribe.xml" -cid_str cid93-leave \
	-k presentity $A -k watcher sip:leave@127.0.0.1 -k fromtag ft93leave -k expires 600
assert_sipp $? "leave subscribes"
LTT=$(msg_tag "$(msg_hdr "$(reply 1)" To)")
wait_sql "select count(*) from active_watchers where callid in ('cid93-stay','cid93-leave')" 2 \
	"both rows stored"

sql "ALTER TABLE active_watchers RENAME TO aw_down" &&
	ok "active_watchers renamed away (the DELETE will fail)" || fail "cannot rename the table"
SIPP_LPORT=$LPORT sipp_run "$SIP_DIR/scenarios/refresh-unsub.xml" -cid_str cid93-leave -k presentity $A \
	-k watcher sip:leave@127.0.0.1 -k fromtag ft93leave -k totag "$LTT" -k expires 0 -k dlg_cseq 2
assert_sipp $? "leave un-SUBSCRIBEs (Expires 0) and gets the final NOTIFY"
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
start_kamailio $P || finish
SIPP_LPORT=$SPORT sipp_bg stay "$SIP_DIR/scenarios/notify-listener.xml"
SIPP_TIMEOUT=4 SIPP_LPORT=$LPORT sipp_bg leave "$SIP_DIR/scenarios/notify-listener.xml"
sip_request PUBLISH $A "Event: presence
Expires: 600
Content-Type: application/pidf+xml" closed.xml
assert_reply 200 "alice93 publishes after the restart"
sipp_wait stay
assert_sipp $? "stay gets a NOTIFY after the restart"
sipp_wait leave
assert_eq 0 "$(trace_count "$BG_TRACE_leave" received '^NOTIFY')" \
	"leave gets no NOTIFY after the restart"
assert_alive
finish
