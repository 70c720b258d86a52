# 67 The line each NOTIFY logs at local_log_level ("NOTIFY <uri> via
# <contact> on behalf of <presentity> for event <event> : <call-id>",
# doc/presence.md) is held back during a fan-out and written after its last
# NOTIFY has gone to tm (pres_nlog_kam.h): the fan-out's NOTIFYs leave
# without a log write between two of them. The config's
# event_route[tm:local-request] logs "LOCAL-NOTIFY <Call-ID>" as each
# NOTIFY is handed to tm, so the log shows the order: a NOTIFY sent on its
# own (after a SUBSCRIBE) has its line before it leaves, as Kamailio's; the
# three of a PUBLISH's fan-out leave first, then their three lines follow,
# one per watcher, with the same text. With local_log_level above the
# core's debug level there are no lines, and the NOTIFYs still leave.
. "$(dirname "$0")/../../lib.sh"
KAM_CFG=$CASE_DIR/kamailio.cfg
A=sip:amy@127.0.0.1

# notify_lines FROM_LINE: presence's NOTIFY lines and the config's
# LOCAL-NOTIFY lines of the log after line FROM_LINE
notify_lines() {
	tail -n +"$(($1 + 1))" "$KAM_LOG" |
		grep -E 'pres_kam_send_notify\(\): NOTIFY |LOCAL-NOTIFY '
}
# order FROM_LINE [COUNT]: one letter per such line (the first COUNT), N for
# presence's line, L for LOCAL-NOTIFY
order() {
	notify_lines "$1" | head -n "${2:-1000}" |
		awk '/LOCAL-NOTIFY / { printf "L"; next } { printf "N" }'
}
amy_publishes() { # NOTE
	pidf $A open "$1" >"$1.xml"
	sip_request PUBLISH $A "Event: presence
Expires: 600
Content-Type: application/pidf+xml" "$1.xml"
	assert_reply 200 "amy publishes $1"
}

start_kamailio || finish
amy_publishes amy-67a
L0=$(wc -l <"$KAM_LOG")
for w in 1 2 3; do
	watch_start w$w $A sip:wes$w@127.0.0.1 2
	wait_notifies w$w 1
done
assert_eq NLNLNL "$(order "$L0")" \
	"a NOTIFY after a SUBSCRIBE: its line, then it leaves (three watchers)"

L1=$(wc -l <"$KAM_LOG")
amy_publishes amy-67b
for w in 1 2 3; do
	wait_notifies w$w 2 &&
		assert_match amy-67b "$(msg_body "$(watch_notify w$w 2)")" "wes$w's NOTIFY of the fan-out"
done
wait_until "$WAIT_MAX" eval '[ "$(order "$L1" | tr -cd N | wc -c)" -ge 3 ]'
# (then each watcher unsubscribes: a NOTIFY on its own each)
assert_eq LLLNNN "$(order "$L1" 6)" \
	"the fan-out: its three NOTIFYs leave, then their three lines"
for w in 1 2 3; do
	CID=$(msg_hdr "$(watch_notify w$w 2)" Call-ID)
	assert_eq 1 "$(notify_lines "$L1" | head -n 6 |
		grep -c "INFO: presence \[pres_nlog_kam.c:[0-9]*\]: pres_kam_send_notify(): NOTIFY sip:wes$w@127.0.0.1 via sip:wes$w@127.0.0.1:[0-9]* on behalf of $A for event presence : $CID\$")" \
		"the fan-out's line for wes$w, whole"
done
for w in 1 2 3; do
	watch_wait w$w "wes$w: SUBSCRIBE, 2 NOTIFYs, unsubscribe, final NOTIFY"
done
assert_alive
stop_kamailio

# local_log_level 3 (debug) while the core logs at 2: no NOTIFY line, held
# or not; the NOTIFYs leave all the same
start_kamailio --param=presence:local_log_level:3 || finish
L2=$(wc -l <"$KAM_LOG")
watch_start w4 $A sip:wes4@127.0.0.1 2
wait_notifies w4 1
amy_publishes amy-67c
wait_notifies w4 2 &&
	assert_match amy-67c "$(msg_body "$(watch_notify w4 2)")" "wes4's NOTIFY of the fan-out"
watch_wait w4 "wes4: SUBSCRIBE, 2 NOTIFYs, unsubscribe, final NOTIFY"
assert_eq LLL "$(order "$L2")" "local_log_level 3: the three NOTIFYs left, no line for them"
assert_alive
finish
