# 87 Publications written by the DB writer process (db_write_interval,
# doc/presence.md "Durability"), clean restart: with a writer that writes
# only every 15 s, 60 PUBLISHes (new publications, then a modify and a
# removal of two of them, in that order) are answered 200 at once while the
# presentity table is still empty (the worker waits on no DB write); a
# normal stop (SIGTERM) writes the queued changes before Kamailio exits, so
# after it every acknowledged change is in the table, the removed one
# stays removed, the watchers rows of two new subscriptions are written
# (the ended one has no active_watchers row), and after a restart the modified publication is served:
# a modify with its SIP-ETag from before the restart is taken.
. "$(dirname "$0")/../../lib.sh"
ours_only "the DB writer process is ours" || finish
PARAMS=(--param=presence:db_write_interval:15000 --param=presence:db_queue_size:1000)
start_kamailio "${PARAMS[@]}" || finish
assert_kamcmd "presence db writer" core.psx

sipp_run "$CASE_DIR/load.xml" -m 60 -l 20 -r 200
assert_sipp $? "60 initial PUBLISHes answered 200"
H="Event: presence
Expires: 600
Content-Type: application/pidf+xml"
A=sip:w87u1@127.0.0.1 B=sip:w87u2@127.0.0.1
pidf $A closed a87-modified >mod.xml
sip_request PUBLISH $A "$H" mod.xml
assert_reply 200 "a new publication of w87u1"
EA=$(msg_hdr "$REPLY" SIP-ETag)
sip_request PUBLISH $A "$H
SIP-If-Match: $EA" mod.xml
assert_reply 200 "w87u1 modifies it"
EA2=$(msg_hdr "$REPLY" SIP-ETag)
sip_request PUBLISH $B "$H" mod.xml
assert_reply 200 "a new publication of w87u2"
EB=$(msg_hdr "$REPLY" SIP-ETag)
sip_request PUBLISH $B "Event: presence
Expires: 0
SIP-If-Match: $EB"
assert_reply 200 "w87u2 removes it"
# two watchers of w87u1: one stays, one leaves again
watch_start stay $A sip:w87stay@127.0.0.1 1 600 0
watch_wait stay "w87stay subscribes"
watch_start leave $A sip:w87leave@127.0.0.1 1 600 1
watch_wait leave "w87leave subscribes and unsubscribes"
assert_sql "select count(*) from presentity" 0 \
	"answered before any row is written (the writer waits 15 s)"
assert_sql "select count(*) from watchers" 0 \
	"the watchers rows wait in the queue too"

stop_kamailio
assert_log_contains 'wrote [0-9]+ queued DB changes at shutdown' \
	"the stop wrote the queue"
assert_sql "select count(*) from presentity where username like 'w87u%'" 61 \
	"every acknowledged publication is in the table after the stop"
assert_sql "select count(*) from presentity where etag='$EB'" 0 \
	"the removed publication stayed removed (order kept)"
assert_sql "select count(*) from presentity where etag='$EA'" 0 \
	"the modified publication's old ETag is gone"
assert_match a87-modified "$(sql "select $BODY_SQL from presentity where etag='$EA2'")" \
	"the modified body is stored under its new ETag"
assert_sql "select count(*) from watchers where watcher_username like 'w87%'" 2 \
	"both watchers rows written at the stop"
assert_sql "select watcher_username from active_watchers" w87stay \
	"only the subscription that stayed is in active_watchers"

start_kamailio "${PARAMS[@]}" || finish
sip_request PUBLISH $A "Event: presence
Expires: 600
SIP-If-Match: $EA2"
assert_reply 200 "a refresh with the SIP-ETag from before the restart"
assert_alive
finish
