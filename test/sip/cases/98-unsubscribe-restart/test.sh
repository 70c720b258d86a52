# 98 Ended subscriptions stay ended across a restart (issue 11), with the
# write-back flush running every second (db_update_period 1) and the clean
# timer too (clean_period 1):
# - a row that expired while Kamailio was down is deleted by the clean timer;
# - a watcher that un-SUBSCRIBEs loses its row, and 30 more subscribe and
#   un-SUBSCRIBE while flushes run (a flush that copied a record before the
#   removal must not write it back): none of their rows is left;
# - a subscription that expires is NOTIFYed (terminated) and its row deleted;
# - after a restart a PUBLISH NOTIFYs the watcher that stayed, and not the
#   one that left.
. "$(dirname "$0")/../../lib.sh"
ours_only "expired and removed rows deleted in subs_db_mode 2" || finish
A=sip:alice98@127.0.0.1
create_db || { fail "cannot create the database"; finish; }
sql "INSERT INTO active_watchers (presentity_uri, watcher_username,
	watcher_domain, to_user, to_domain, event, to_tag, from_tag, callid,
	local_cseq, remote_cseq, contact, expires, status, version, socket_info,
	local_contact, from_user, from_domain, updated, updated_winfo, flags,
	user_agent) VALUES ('$A', 'ghost', '127.0.0.1', 'alice98', '127.0.0.1',
	'presence', 'tt-ghost', 'ft-ghost', 'cid98-ghost', 3, 1,
	'sip:ghost@127.0.0.1:9', $NOW_SQL - 100, 1, 0, 'udp:127.0.0.1:5060',
	'sip:127.0.0.1', 'ghost', '127.0.0.1', 0, 0, 0, '')" &&
	ok "a row that expired while Kamailio was down" || fail "cannot insert the expired row"
P="--param=presence:db_update_period:1 --param=presence:clean_period:1"
start_kamailio $P || finish
wait_sql "select count(*) from active_watchers where callid='cid98-ghost'" 0 \
	"the expired row is deleted by the clean timer"

# the watcher that stays, and the one that leaves
stay_leave_subscribe 98 $A
stay_leave_unsubscribe 98 $A
assert_match terminated "$(msg_hdr "$(trace_msg "$SIPP_TRACE" received '^NOTIFY' 1)" Subscription-State)" \
	"the final NOTIFY says terminated"
wait_sql "select count(*) from active_watchers where callid='cid98-leave'" 0 "leave's row deleted"

# subscribe / un-SUBSCRIBE churn while the flush runs
sipp_run churn.xml -k presentity $A -m 30 -l 10 -r 20
assert_sipp $? "30 watchers subscribe and un-SUBSCRIBE"
# one more subscription after the churn: once its row is there, flushes
# have run past every removal
watch_start brief $A sip:brief@127.0.0.1 2 4 0
wait_sql "select count(*) from active_watchers where watcher_username='brief'" 1 \
	"a subscription after the churn is stored"
wait_db
assert_sql "select count(*) from active_watchers where watcher_username like 'churn%'" 0 \
	"no row of the 30 watchers that left"
# brief (Expires 4) expires: a terminated NOTIFY, and its row goes
wait_notifies brief 2
assert_match 'terminated;reason=timeout' "$(msg_hdr "$(watch_notify brief 2)" Subscription-State)" \
	"brief's subscription expired"
watch_wait brief
wait_sql "select count(*) from active_watchers where watcher_username='brief'" 0 \
	"the expired subscription's row is deleted"

stop_kamailio
wait_db
assert_sql "select count(*) from active_watchers" 1 "after the stop only stay's row is left"
stay_leave_after_restart $A $P
assert_alive
finish
