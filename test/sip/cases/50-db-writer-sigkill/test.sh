# 50 What a SIGKILL may lose with the DB writer process (db_write_interval,
# on by default: 100 ms; doc/presence.md "Durability"): 40 new
# publications are answered 200; then, while a load of other new
# PUBLISHes runs, every Kamailio process is killed with SIGKILL at least
# 1 s after the last of the 40 was answered (the documented window,
# db_write_interval, plus a margin for the writer's batch on a loaded
# machine). The database then holds every one of the 40; after a restart
# on it the publication is served (a refresh with its SIP-ETag from before
# the kill gets 200). Of the load, the last publications acknowledged
# before the kill may be missing: no more were stored than answered plus
# those in flight.
. "$(dirname "$0")/../../lib.sh"
ours_only "the DB writer process is ours" || finish
start_kamailio || finish
assert_kamcmd "presence db writer" core.psx

A=sip:w50first@127.0.0.1
pidf $A open w50first >first.xml
sip_request PUBLISH $A "Event: presence
Expires: 600
Content-Type: application/pidf+xml" first.xml
assert_reply 200 "a first publication"
EA=$(msg_hdr "$REPLY" SIP-ETag)
sipp_run "$CASE_DIR/load.xml" -k user w50a -m 39 -l 20 -r 200
assert_sipp $? "39 more new publications answered 200"
ACKED=$(date +%s%N)

sipp_bg load "$CASE_DIR/load.xml" -k user w50b -m 400 -l 20 -r 50
T=$(watch_trace load)
load_ge() { [ "$(trace_count "$T" received '^SIP/2.0 200')" -ge "$1" ]; }
# the kill waits for the window to pass (a time, not an event: the load
# keeps the writer busy meanwhile)
window_passed() { [ $(($(date +%s%N) - ACKED)) -ge 1000000000 ]; }
wait_until 10 load_ge 20 || fail "the load got no 20 replies"
wait_until 5 window_passed
kill_kamailio
ok "Kamailio killed (SIGKILL) $((($(date +%s%N) - ACKED) / 1000000)) ms after the 40th 200, during the load"
stop_sipps
LOAD200=$(trace_count "$T" received '^SIP/2.0 200')

assert_sql "select count(*) from presentity where username like 'w50a%' or username='w50first'" 40 \
	"every publication answered 1 s before the kill is in the table"
STORED=$(sql "select count(*) from presentity where username like 'w50b%'")
note "load: $LOAD200 answered 200 before the kill, $STORED stored"
assert_num -le $((LOAD200 + 20)) "$STORED" "load rows stored: at most those answered plus those in flight"

start_kamailio || finish
sip_request PUBLISH $A "Event: presence
Expires: 600
SIP-If-Match: $EA"
assert_reply 200 "a refresh with the SIP-ETag from before the kill"
assert_alive
finish
