# 97 A row the database refuses among good ones (issue 11): the
# active_watchers.user_agent column of this case's schema is narrowed to 32
# characters (SQLite, which has no lengths, gets a trigger that refuses the
# same), a value that request-time checks let through. Three watchers
# subscribe, the middle one with a longer User-Agent: the flush
# (db_update_period 1) stores the two good ones, skips the refused one with
# one rate-limited log line, and keeps flushing (a fourth watcher is stored
# later). After a restart the good watchers get NOTIFYs in their dialogs.
# On SQLite also a full disk (the database on a small tmpfs): in-memory
# service goes on (a refresh is answered with its NOTIFY) while the flush
# fails, and once space is freed the flush resumes by itself.
. "$(dirname "$0")/../../lib.sh"
ours_only "row isolation in our subscription flush" || finish

narrow_user_agent() {
	case "$ENGINE" in
	sqlite)
		sql "CREATE TRIGGER ua_len_ins BEFORE INSERT ON active_watchers
			WHEN length(NEW.user_agent) > 32
			BEGIN SELECT RAISE(ABORT, 'value too long for user_agent'); END;
			CREATE TRIGGER ua_len_upd BEFORE UPDATE ON active_watchers
			WHEN length(NEW.user_agent) > 32
			BEGIN SELECT RAISE(ABORT, 'value too long for user_agent'); END;" ;;
	postgres) sql "ALTER TABLE active_watchers ALTER COLUMN user_agent TYPE VARCHAR(32)" ;;
	mysql) sql "ALTER TABLE active_watchers MODIFY user_agent VARCHAR(32) DEFAULT ''" ;;
	esac
}

create_db && narrow_user_agent && ok "user_agent narrowed to 32 characters" ||
	{ fail "cannot prepare the $ENGINE schema"; finish; }
start_kamailio --param=presence:db_update_period:1 || finish
A=sip:alice97@127.0.0.1
pidf $A open a97-open >open.xml
pidf $A closed a97-closed >closed.xml
sip_request PUBLISH $A "Event: presence
Expires: 600
Content-Type: application/pidf+xml" open.xml
assert_reply 200 "alice97 publishes"

LONG_UA="BadPhone/1.0 (a user agent longer than the column allows)"
declare -A WPORT CID
for w in good1 bad good2; do
	ua=GoodPhone/1.0
	[ $w = bad ] && ua=$LONG_UA
	WPORT[$w]=$(free_udp_port)
	CID[$w]=cid97-$w@127.0.0.1
	SIPP_LPORT=${WPORT[$w]} sipp_run subscribe-ua.xml -cid_str "${CID[$w]}" \
		-k presentity $A -k watcher sip:$w@127.0.0.1 -k ua "$ua" -k expires 600
	assert_sipp $? "$w subscribes (User-Agent '$ua') and gets the first NOTIFY"
done
wait_sql "select count(*) from active_watchers where callid in ('${CID[good1]}','${CID[good2]}')" 2 \
	"both good subscriptions stored by the flush"
wait_db
assert_sql "select count(*) from active_watchers where callid='${CID[bad]}'" 0 \
	"the refused subscription has no row"
assert_log_contains "subscription ${CID[bad]} of bad@127.0.0.1 refused by the database" \
	"the refused row is logged"

# the flush is not stuck: a later watcher is stored too, and the refused
# record is not retried (nor logged) at every period meanwhile
W4PORT=$(free_udp_port)
SIPP_LPORT=$W4PORT sipp_run subscribe-ua.xml -cid_str cid97-good3@127.0.0.1 \
	-k presentity $A -k watcher sip:good3@127.0.0.1 -k ua GoodPhone/1.0 -k expires 600
assert_sipp $? "good3 subscribes after the refusal"
wait_sql "select count(*) from active_watchers where callid='cid97-good3@127.0.0.1'" 1 \
	"a later subscription is stored (the flush goes on)"
assert_eq 1 "$(grep -c "subscription ${CID[bad]} .*refused by the database" "$KAM_LOG")" \
	"the refusal is logged once, not at every flush"

stop_kamailio
wait_db
assert_sql "select count(*) from active_watchers" 3 "three good rows after the stop"
start_kamailio --param=presence:db_update_period:1 || finish
SIPP_LPORT=${WPORT[good1]} sipp_bg lis1 "$SIP_DIR/scenarios/notify-listener.xml"
SIPP_LPORT=${WPORT[good2]} sipp_bg lis2 "$SIP_DIR/scenarios/notify-listener.xml"
sip_request PUBLISH $A "Event: presence
Expires: 600
Content-Type: application/pidf+xml" closed.xml
assert_reply 200 "alice97 publishes after the restart"
for n in lis1 lis2; do
	sipp_wait $n
	assert_sipp $? "watcher $n got a NOTIFY after the restart"
done
assert_eq "${CID[good1]}" "$(msg_hdr "$(watch_notify lis1 1)" Call-ID)" "good1's NOTIFY in its dialog"
assert_match a97-closed "$(msg_body "$(watch_notify lis2 1)")" "good2's NOTIFY carries the new state"
assert_alive

[ "$ENGINE" = sqlite ] || finish

# ---- a full disk under SQLite ----
stop_kamailio
MNT=$WORK/tmpfs
mkdir -p "$MNT"
if ! mount -t tmpfs -o size=2m tmpfs "$MNT" 2>/dev/null; then
	note "cannot mount a tmpfs here (not root?): full-disk part skipped"
	finish
fi
trap 'cleanup; umount "$MNT" 2>/dev/null' EXIT
DB=$MNT/presence.db DB_URL=sqlite://$MNT/presence.db
create_db || fail "cannot create the database on the tmpfs"
start_kamailio --param=presence:db_update_period:1 || finish
sip_request PUBLISH $A "Event: presence
Expires: 600
Content-Type: application/pidf+xml" open.xml
assert_reply 200 "alice97 publishes (database on a 2 MB tmpfs)"
FPORT=$(free_udp_port) FCID=cid97-full@127.0.0.1 FFT=ft97full
SIPP_LPORT=$FPORT sipp_run "$SIP_DIR/scenarios/subscribe.xml" -cid_str $FCID \
	-k presentity $A -k watcher sip:full@127.0.0.1 -k fromtag $FFT -k expires 300
assert_sipp $? "a watcher subscribes (Expires 300)"
FTT=$(msg_tag "$(msg_hdr "$(reply 1)" To)")
wait_sql "select expires - $NOW_SQL < 400 from active_watchers where callid='$FCID'" 1 \
	"its row is stored"
dd if=/dev/zero of="$MNT/filler" bs=4k 2>/dev/null
note "tmpfs full: $(df -k --output=avail "$MNT" | tail -1 | tr -d ' ') kB left"
# the refresh (Expires 600) is answered and NOTIFYed from memory; its row
# cannot be written while the disk is full
SIPP_LPORT=$FPORT sipp_run "$SIP_DIR/scenarios/refresh-unsub.xml" -cid_str $FCID -k presentity $A \
	-k watcher sip:full@127.0.0.1 -k fromtag $FFT -k totag "$FTT" -k expires 3000 -k dlg_cseq 2
assert_sipp $? "refresh answered with its NOTIFY while the disk is full"
wait_until "$WAIT_MAX" grep -q "cannot write 1 subscriptions" "$KAM_LOG" &&
	ok "the failed flush is logged" || fail "no log line of the failed flush"
wait_db
assert_sql "select expires - $NOW_SQL < 400 from active_watchers where callid='$FCID'" 1 \
	"the row still has the old expiry while the disk is full"
rm -f "$MNT/filler"
wait_sql "select expires - $NOW_SQL > 2000 from active_watchers where callid='$FCID'" 1 \
	"space freed: the flush writes the refresh by itself"
assert_alive
stop_kamailio
umount "$MNT" 2>/dev/null
finish
