# 65 presence.publish_cache_sync (Kamailio 6.1): with publ_cache 1 a row
# inserted into the presentity table by SQL is not seen until the RPC
# syncs the cache; then kim's watcher gets a NOTIFY with its body. A row
# deleted by SQL, then the RPC: the watcher gets a NOTIFY without it (the
# publication kim made by SIP stays). The reply counts what changed
# (added, removed, updated, skipped, notified). With publ_cache 0 there is
# no cache: the RPC answers so and changes nothing.
. "$(dirname "$0")/../../lib.sh"
ours_only "presence.publish_cache_sync is Kamailio 6.1's" || finish
start_kamailio || finish
K=sip:kim@127.0.0.1

# field OUTPUT NAME: a "name: value" line of kamcmd's struct
field() { printf '%s\n' "$1" | sed -n "s/^[[:space:]]*$2: //p" | head -n1; }
counts() {
	local f out=""
	for f in added removed updated skipped notified; do
		out="$out $f=$(field "$1" $f)"
	done
	echo "${out# }"
}

watch_start wk $K sip:lee@127.0.0.1 4
wait_notifies wk 1
pidf $K open kim-65-sip >sip.xml
sip_request PUBLISH $K "Event: presence
Expires: 600
Content-Type: application/pidf+xml" sip.xml
assert_reply 200 "kim publishes by SIP"
wait_notifies wk 2
wait_db

# the row an operator inserts: another tuple, another note
pidf $K closed kim-65-sql | sed 's/id="t1"/id="t65"/' >sql.xml
sql "insert into presentity (username, domain, event, etag, expires,
	received_time, body, sender, priority) values ('kim', '127.0.0.1',
	'presence', 'sql65', $NOW_SQL + 600, $NOW_SQL, '$(cat sql.xml)', '', 0)"
assert_no_match 'sql65' "$(kam_rpc presence.presentity_show basic $K)" \
	"before the sync the cache does not know the SQL row"
OUT=$(kam_rpc presence.publish_cache_sync 2>&1)
assert_eq "added=1 removed=0 updated=0 skipped=0 notified=1" "$(counts "$OUT")" \
	"publish_cache_sync after the INSERT"
wait_notifies wk 3
N=$(msg_body "$(watch_notify wk 3)")
assert_match 'kim-65-sql' "$N" "NOTIFY after the sync: the SQL row's tuple"
assert_match 'kim-65-sip' "$N" "NOTIFY after the sync: kim's own publication"
assert_match 'sql65' "$(kam_rpc presence.presentity_show basic $K)" \
	"after the sync the cache holds the SQL row"

OUT=$(kam_rpc presence.publish_cache_sync 2>&1)
assert_eq "added=0 removed=0 updated=0 skipped=0 notified=0" "$(counts "$OUT")" \
	"a second sync finds nothing to do"

sql "delete from presentity where etag = 'sql65'"
OUT=$(kam_rpc presence.publish_cache_sync 2>&1)
assert_eq "added=0 removed=1 updated=0 skipped=0 notified=1" "$(counts "$OUT")" \
	"publish_cache_sync after the DELETE"
wait_notifies wk 4
N=$(msg_body "$(watch_notify wk 4)")
assert_no_match 'kim-65-sql' "$N" "NOTIFY after the DELETE: without the SQL row's tuple"
assert_match 'kim-65-sip' "$N" "NOTIFY after the DELETE: kim's own publication"
assert_no_match 'sql65' "$(kam_rpc presence.presentity_show basic $K)" \
	"after the sync the cache no longer holds the SQL row"
watch_wait wk "lee's dialog"
assert_alive

stop_kamailio
start_kamailio --param=presence:publ_cache:0 || finish
assert_kamcmd "publ_cache is 0: no publish cache to sync" presence.publish_cache_sync
finish
