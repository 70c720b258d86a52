# make check-dmq, second part: subscription replication (Kamailio 6.1's
# enable_subs_dmq) on three DMQ nodes, each with its own SQLite database.
# A watcher subscribed at A is listed at B and C (replicas); a PUBLISH at B
# reaches it once, from its owner A; A killed (SIGKILL): once dmq at B no
# longer lists A as active, a PUBLISH at B reaches the watcher from B with a
# higher CSeq, B owns it (its DB row) and says so: a PUBLISH at C then
# reaches it from B, not from C; C restarted with an empty database gets
# the subscription back (sync). Each watcher NOTIFY is counted: one per
# change, never two. Alice's watcher-info subscription at B hears of the
# watcher that came at A.
. "$(dirname "$0")/../sip/lib.sh"
ours_only "our DMQ message format (Kamailio's presence speaks its own)" || finish
AL=sip:alice@127.0.0.1
# dmq pings every 5 s (its minimum); a ping to a dead node ends in 408
# after tm's fr_timer: 2 s
# subs_db_mode 1: the owners' rows are written at once (the writer's next round)
PARAMS=(-A WITH_DMQ_SUBS --param=presence:subs_db_mode:1
	--param=dmq:ping_interval:5
	--param=tm:fr_timer:2000)

# start_node NAME NOTIFY_PORT: a node with its own DB whose dmq learns the
# cluster from the node on NOTIFY_PORT (empty: from itself, the first).
start_node() {
	inst_new "$1"
	inst_own_db "$1"
	PORT=$(free_udp_port) || return 1
	start_kamailio -A WITH_DMQ -A "DMQ_NOTIFY=\"sip:127.0.0.1:${2:-$PORT}\"" \
		"${PARAMS[@]}" && inst_save "$1"
}

# active_ports: the ports of the nodes the current instance's dmq lists as
# active, one per line.
active_ports() {
	kam_rpc dmq.list_nodes 2>/dev/null |
		awk '/port:/ { p = $2 } /status: active/ { print p }' | sort -u
}
nodes_are() { [ "$(active_ports | wc -l)" = "$1" ]; }
node_inactive() { ! active_ports | grep -qx "$1"; }

# watchers_of URI: the watcher user names the current instance lists.
watchers_of() {
	kam_rpc presence.watcher_list basic "$1" 2>/dev/null |
		awk '/watcher_username:/ { print $2 }' | sort
}
lists_watcher() { watchers_of "$1" | grep -qx "$2"; }

# watch_failover NAME PRESENTITY WATCHER N: a watcher answering N NOTIFYs
# at the address in their Via (they may come from any node); no
# unsubscribe (the cluster loses the node it subscribed at).
watch_failover() {
	local scen=$WORK/$1.xml user=${3#sip:} i
	user=${user%%@*}
	{
		echo '<?xml version="1.0" encoding="ISO-8859-1"?>'
		echo "<scenario name=\"$1\">"
		watch_subscribe "$2" "$3" "sip:$user@[local_ip]:[local_port]" 300 1 ""
		echo '<recv response="200" optional="true" next="sub_ok"/>'
		echo '<recv response="202"/>'
		echo '<label id="sub_ok"/>'
		for i in $(seq 1 "$4"); do watch_notify_via_ok; done
		echo '</scenario>'
	} >"$scen"
	SIPP_TIMEOUT=90 sipp_bg "$1" "$scen" -recv_timeout 60000
}

# notify_from NAME K: the Via port of the K-th NOTIFY (the node that sent it)
notify_from() {
	watch_notify "$1" "$2" | awk -F'[:;]' '/^Via:/ { print $3; exit }' |
		tr -d ' '
}
notify_cseq() { msg_hdr "$(watch_notify "$1" "$2")" CSeq | awk '{ print $1 }'; }
notify_count() { trace_count "$(watch_trace "$1")" received '^NOTIFY'; }

# publish_at NODE TAG: PUBLISH alice at NODE with a body naming TAG
publish_at() {
	inst_use "$1"
	pidf $AL open "$2" >"$WORK/$2.xml"
	sip_request PUBLISH $AL "Event: presence
Expires: 300
Content-Type: application/pidf+xml" "$WORK/$2.xml"
	assert_reply 200 "PUBLISH $2 at $1"
}

# expect_notify K TAG PORT WHAT: NOTIFY K of wa carries TAG, came from the
# node on PORT, and has a higher CSeq than NOTIFY K-1.
expect_notify() {
	wait_notifies wa "$1" || return 1
	assert_match "$2" "$(msg_body "$(watch_notify wa "$1")")" "NOTIFY $1 carries $2"
	assert_eq "$3" "$(notify_from wa "$1")" "NOTIFY $1 sent by $4"
	assert_num -gt "$(notify_cseq wa $(($1 - 1)))" "$(notify_cseq wa "$1")" \
		"NOTIFY $1's CSeq above NOTIFY $(($1 - 1))'s"
}

start_node a || finish
PA=$(inst_port a)
start_node b "$PA" || finish
PB=$(inst_port b)
start_node c "$PA" || finish
PC=$(inst_port c)
for n in a b c; do
	inst_use "$n"
	wait_until "$WAIT_MAX" nodes_are 3 && ok "node $n sees 3 active DMQ nodes" ||
		fail "node $n: DMQ cluster not formed ($(active_ports | wc -l) active nodes)"
done

# alice watches her watchers at B: the watcher that comes at A reaches her
# from B (the replica's arrival), once
inst_use b
WATCH_EVENT=presence.winfo WATCH_ACCEPT=application/watcherinfo+xml \
	watch_start aw $AL $AL 2 300 0
wait_notifies aw 1
assert_no_match 'sip:wa@' "$(msg_body "$(watch_notify aw 1)")" \
	"alice's first watcherinfo at B: no wa yet"

# 1. a subscription at A is replicated to B and C
inst_use a
watch_failover wa $AL sip:wa@127.0.0.1 5
wait_notifies wa 1
wait_notifies aw 2 && assert_match 'sip:wa@127.0.0.1' "$(msg_body "$(watch_notify aw 2)")" \
	"alice's watcherinfo at B lists the watcher subscribed at A"
watch_wait aw "alice's watcherinfo subscription at B: 2 NOTIFYs"
for n in b c; do
	inst_use "$n"
	wait_until "$WAIT_MAX" lists_watcher $AL wa && ok "node $n lists A's watcher" ||
		fail "node $n does not list the watcher subscribed at A: $(watchers_of $AL)"
	assert_sql "select count(*) from active_watchers where watcher_username='wa'" 0 \
		"node $n keeps the replica out of its DB"
done
inst_use a
wait_sql "select count(*) from active_watchers where watcher_username='wa'" 1 \
	"A, the owner, has the row"

# A is its own dmq notification_address, which dmq lists as a second node:
# A's broadcasts skip it (by then B and C have A's record, sent with it)
inst_use a
if grep -q 'DMQ messages of this node come back to it' "$KAM_LOG"; then
	fail "A sent its broadcasts to itself too"
else
	ok "A does not send its broadcasts to itself"
fi

# 2. a PUBLISH at B reaches the watcher once, from its owner A
publish_at b from-b
expect_notify 2 from-b "$PA" "A (the owner)"
inst_use c
wait_sql "select count(*) from presentity where body like '%from-b%'" 1 \
	"C has B's publication"
publish_at c from-c
expect_notify 3 from-c "$PA" "A (the owner)"
assert_match from-c "$(msg_body "$(watch_notify wa -1)")" \
	"no second NOTIFY for a change: the last one is C's"

# 3. A killed: B, which takes the next PUBLISH, notifies the watcher and
# takes the subscription over
inst_use a
kill_kamailio
inst_save a
for n in b c; do
	inst_use "$n"
	wait_until 30 node_inactive "$PA" && ok "dmq at $n no longer lists A as active" ||
		fail "dmq at $n still lists A as active"
done
publish_at b from-b2
expect_notify 4 from-b2 "$PB" "B (A is gone)"
wait_sql "select count(*) from active_watchers where watcher_username='wa'" 1 \
	"B, the new owner, has the row"
inst_use c
publish_at c from-c2
expect_notify 5 from-c2 "$PB" "B (C learnt B took it over)"
watch_wait wa "watcher: 5 NOTIFYs, one per change"
assert_eq 5 "$(notify_count wa)" "the watcher got 5 NOTIFYs in all"

# 4. C restarted with an empty database gets the subscription back
inst_use c
stop_kamailio
rm -f "$DB" "$DB-wal" "$DB-shm"
start_kamailio -A WITH_DMQ -A "DMQ_NOTIFY=\"sip:127.0.0.1:$PB\"" "${PARAMS[@]}" &&
	inst_save c || finish
wait_until "$WAIT_MAX" lists_watcher $AL wa && ok "the restarted C lists the watcher again" ||
	fail "the restarted C lists: $(watchers_of $AL)"
assert_log_contains "asking the other DMQ nodes for their subscriptions" \
	"C asked for the subscriptions when it joined"
assert_sql "select count(*) from active_watchers" 0 "C keeps the synced replica out of its DB"
for n in b c; do
	inst_use "$n"
	assert_alive
	stop_kamailio
done

# 5. skip_notify_dmq 1 on two new nodes: the node that takes a PUBLISH
# notifies every watcher, its own and the replicas; the other sends nothing
PARAMS+=(--param=presence:skip_notify_dmq:1)
start_node d || finish
PD=$(inst_port d)
start_node e "$PD" || finish
PE=$(inst_port e)
for n in d e; do
	inst_use "$n"
	wait_until "$WAIT_MAX" nodes_are 2 && ok "node $n sees 2 active DMQ nodes" ||
		fail "node $n: DMQ cluster not formed ($(active_ports | wc -l) active nodes)"
done
inst_use e
watch_failover we $AL sip:we@127.0.0.1 3
wait_notifies we 1
inst_use d
wait_until "$WAIT_MAX" lists_watcher $AL we && ok "node d lists E's watcher" ||
	fail "node d does not list the watcher subscribed at E"
publish_at d skip-d
wait_notifies we 2 && assert_eq "$PD" "$(notify_from we 2)" \
	"skip_notify_dmq: the PUBLISH at D reaches E's watcher from D"
inst_use e
wait_sql "select count(*) from presentity where body like '%skip-d%'" 1 \
	"E has D's publication"
publish_at e skip-e
wait_notifies we 3 && assert_match skip-e "$(msg_body "$(watch_notify we 3)")" \
	"NOTIFY 3 carries E's change: E sent nothing for D's"
assert_eq "$PE" "$(notify_from we 3)" \
	"E's change reaches it from E, the node that took that PUBLISH"
assert_num -gt "$(notify_cseq we 2)" "$(notify_cseq we 3)" \
	"E's NOTIFY has a higher CSeq than D's"
watch_wait we "watcher at E: 3 NOTIFYs"
finish
