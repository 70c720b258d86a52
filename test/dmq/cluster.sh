# make check-dmq: three nodes of a DMQ cluster (enable_dmq, Kamailio's dmq module), each
# with its own SQLite database: a PUBLISH at A notifies the watchers
# subscribed at A, B and C; a refresh, a modify and a remove (Expires 0) sent to B
# with the ETags are seen by the watchers at A and C and in A's and C's
# tables; node C, restarted with an empty database, gets every live
# publication back from the others (dmq's join, our sync request); node A
# killed (SIGKILL) under a PUBLISH load loses none of the publications it
# acknowledged: they are all at B; a stale version of a publication removed
# at B, delivered to B after the removal, does not bring it back (tombstone).
. "$(dirname "$0")/../sip/lib.sh"
ours_only "our DMQ message format (Kamailio's presence speaks its own)" || finish
AL=sip:alice@127.0.0.1
BO=sip:bob@127.0.0.1

# start_node NAME NOTIFY_PORT: a node with its own DB whose dmq learns the
# cluster from the node on NOTIFY_PORT (empty: from itself, the first).
start_node() {
	inst_new "$1"
	inst_own_db "$1"
	PORT=$(free_udp_port) || return 1
	start_kamailio -A WITH_DMQ \
		-A "DMQ_NOTIFY=\"sip:127.0.0.1:${2:-$PORT}\"" && inst_save "$1"
}

sql_ge() { [ "$(sql "$1" 2>/dev/null)" -ge "$2" ] 2>/dev/null; }

# cluster_nodes: how many distinct active nodes (itself included) the
# current instance's dmq knows (the first node lists itself twice: as the
# local node and as its notification address).
cluster_nodes() {
	kam_rpc dmq.list_nodes 2>/dev/null |
		awk '/port:/ { p = $2 } /status: active/ { print p }' | sort -u | wc -l
}
nodes_are() { [ "$(cluster_nodes)" = "$1" ]; }

start_node a || finish
PA=$(inst_port a)
start_node b "$PA" || finish
start_node c "$PA" || finish
for n in a b c; do
	inst_use "$n"
	wait_until "$WAIT_MAX" nodes_are 3 && ok "node $n sees 3 active DMQ nodes" ||
		fail "node $n: DMQ cluster not formed ($(cluster_nodes) active nodes)"
done

# watchers at A, B and C: NOTIFY 1 (no state), 2 (PUBLISH at A),
# 3 (modify at B), 4 (remove at B), then unsubscribe and the final one
for n in a b c; do
	inst_use "$n"
	watch_start "w$n" $AL "sip:w$n@127.0.0.1" 4
	wait_notifies "w$n" 1
done

inst_use a
pidf $AL open from-a >a.xml
sip_request PUBLISH $AL "Event: presence
Expires: 300
Content-Type: application/pidf+xml" a.xml
assert_reply 200 "PUBLISH at A"
ETAG=$(msg_hdr "$REPLY" SIP-ETag)
for n in a b c; do
	wait_notifies "w$n" 2 && assert_match from-a "$(msg_body "$(watch_notify "w$n" 2)")" \
		"watcher at $n notified of A's PUBLISH"
done

inst_use b
wait_db # the DB writer (db_write_interval) writes rows after the reply
assert_sql "select etag from presentity where username='alice'" "$ETAG" "B's copy of A's publication"
# a refresh at B (no body): a new ETag and expiry everywhere, no NOTIFY
# (the next NOTIFY each watcher gets is the modify's)
sip_request PUBLISH $AL "Event: presence
Expires: 600
SIP-If-Match: $ETAG" ""
assert_reply 200 "refresh at B with A's ETag"
ETAGR=$(msg_hdr "$REPLY" SIP-ETag)
for n in a c; do
	inst_use "$n"
	wait_sql "select etag || ' ' || (expires - received_time) from presentity where username='alice'" \
		"$ETAGR 600" "$n's copy after the refresh at B"
done
inst_use b
pidf $AL closed from-b >b.xml
sip_request PUBLISH $AL "Event: presence
Expires: 300
SIP-If-Match: $ETAGR
Content-Type: application/pidf+xml" b.xml
assert_reply 200 "modify at B with the refreshed ETag"
ETAG2=$(msg_hdr "$REPLY" SIP-ETag)
for n in a c b; do
	wait_notifies "w$n" 3 && assert_match from-b "$(msg_body "$(watch_notify "w$n" 3)")" \
		"watcher at $n notified of B's modify"
done
for n in a c; do
	inst_use "$n"
	wait_sql "select etag || ' ' || (body like '%from-b%') from presentity where username='alice'" \
		"$ETAG2 1" "$n's copy after the modify at B"
done

inst_use b
sip_request PUBLISH $AL "Event: presence
Expires: 0
SIP-If-Match: $ETAG2" ""
assert_reply 200 "remove at B (Expires 0)"
for n in a c b; do
	wait_notifies "w$n" 4
	watch_wait "w$n" "watcher at $n: 4 NOTIFYs, unsubscribe, final NOTIFY"
	assert_no_match from- "$(msg_body "$(watch_notify "w$n" 4)")" \
		"watcher at $n: no published state after the remove"
done
for n in a c; do
	inst_use "$n"
	wait_sql "select count(*) from presentity" 0 "$n's publications after the remove at B"
done

# node C restarted with an empty database: the sync brings back the
# publications of alice (taken at A) and bob (taken at B)
inst_use a
sip_request PUBLISH $AL "Event: presence
Expires: 300
Content-Type: application/pidf+xml" a.xml
assert_reply 200 "PUBLISH alice at A"
ETA=$(msg_hdr "$REPLY" SIP-ETag)
inst_use b
pidf $BO open bob-at-b >bob.xml
sip_request PUBLISH $BO "Event: presence
Expires: 300
Content-Type: application/pidf+xml" bob.xml
assert_reply 200 "PUBLISH bob at B"
ETB=$(msg_hdr "$REPLY" SIP-ETag)
inst_use c
wait_sql "select count(*) from presentity" 2 "C's copies before the restart"
stop_kamailio
rm -f "$DB" "$DB-wal" "$DB-shm"
assert_eq no "$([ -e "$DB" ] && echo yes || echo no)" "C's database removed"
start_kamailio -A WITH_DMQ -A "DMQ_NOTIFY=\"sip:127.0.0.1:$PA\"" && inst_save c || finish
wait_sql "select username || ' ' || etag from presentity order by username" \
	"alice $ETA
bob $ETB" "C's publications after the sync from A and B"
assert_log_contains "asking the other DMQ nodes for their publications" \
	"C asked for a sync when it joined"
EXP=$(sql "select expires - received_time from presentity where username='bob'")
assert_num -ge 295 "$EXP" "bob's copy at C keeps B's received time and expiry"
# a SUBSCRIBE at C is answered from the synced copy
watch_start wc2 $BO sip:wc2@127.0.0.1 1
wait_notifies wc2 1 && assert_match bob-at-b "$(msg_body "$(watch_notify wc2 1)")" \
	"a watcher of bob at the restarted C gets B's state"
watch_wait wc2
for n in a b c; do
	inst_use "$n"
	assert_alive
done

# node A killed (SIGKILL) in the middle of a PUBLISH load: every
# publication A acknowledged (200 with its ETag) is at B. A sends the
# KDMQ of a change before its reply, so an acknowledged change is on its
# way to the others.
inst_use a
sipp_bg load "$CASE_DIR/load-publish.xml" -m 300 -r 150 -l 100
wait_until "$WAIT_MAX" sql_ge "select count(*) from presentity where username like 'load%'" 60 ||
	fail "A did not store 60 of the load's publications"
kill_kamailio
note "node A killed after $(sql "select count(*) from presentity where username like 'load%'") load publications"
inst_save a
sipp_wait load
T=$(watch_trace load)
ACKED=$(awk '/^SIP-ETag:/ { sub(/\r$/, ""); print $2 }' "$T" | sort -u)
assert_num -ge 60 "$(echo "$ACKED" | grep -c .)" "PUBLISHes A acknowledged before it was killed"
inst_use b
all_acked_at_b() { [ -z "$(missing_at_b)" ]; }
missing_at_b() {
	comm -23 <(echo "$ACKED") \
		<(sql "select etag from presentity where username like 'load%'" | sort -u)
}
if wait_until "$WAIT_MAX" all_acked_at_b; then
	ok "every publication A acknowledged is at B"
else
	fail "acknowledged by A but missing at B: $(missing_at_b | wc -l) ($(missing_at_b | head -3 | tr '\n' ' '))"
fi

# Tombstones: a publication removed at B, then a stale version of it (the
# store received before the removal) delivered late, as a KDMQ from
# 127.0.0.1 (dmq takes any request from a node's address as the node's):
# refused. The control, the same record under an ETag never removed, is
# stored, so the refusal is the tombstone's doing.
TU=sip:tomb@127.0.0.1
inst_use b
pidf $TU open tomb >tomb.xml
sip_request PUBLISH $TU "Event: presence
Expires: 300
Content-Type: application/pidf+xml" tomb.xml
assert_reply 200 "PUBLISH tomb at B"
ETT=$(msg_hdr "$REPLY" SIP-ETag)
wait_db
RT=$(sql "select received_time from presentity where username='tomb'")
sip_request PUBLISH $TU "Event: presence
Expires: 0
SIP-If-Match: $ETT" ""
assert_reply 200 "remove tomb at B (Expires 0)"
wait_db
assert_sql "select count(*) from presentity where username='tomb'" 0 \
	"tomb removed at B"
# stale_store ETAG FILE: a replicated store of tomb's publication under
# ETAG, received at RT (before the removal), expiring in 300 s
stale_store() {
	printf 'PDMQ/1 PUB\nS %s %s 0 4 9 8 %d 0 0 4\ntomb127.0.0.1presence%s<x/>\n' \
		"$RT" "$((RT + 300))" "${#1}" "$1" >"$2"
}
# kdmq FILE: FILE's bytes as a KDMQ to B's peer "presence" (Content-Length
# the file's size: sipp ends the body with a CRLF of its own)
kdmq() {
	CLEN=$(stat -c %s "$1") sip_request KDMQ sip:presence@127.0.0.1:$PORT \
		"Content-Type: application/x-presence-dmq" "$1"
}
stale_store "$ETT" stale.dmq
stale_store "control$ETT" control.dmq
kdmq stale.dmq
assert_reply 200 "stale store of the removed publication taken by B's dmq"
kdmq control.dmq
assert_reply 200 "the same store under an ETag never removed taken by B's dmq"
wait_sql "select count(*) from presentity where etag='control$ETT'" 1 \
	"B stored the control"
assert_sql "select count(*) from presentity where etag='$ETT'" 0 \
	"B did not bring the removed publication back"
finish
