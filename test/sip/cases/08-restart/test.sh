# 08 Restart survival: alice2 publishes, a watcher subscribes; once the
# subscription is in active_watchers (db_update_period 1) Kamailio is stopped
# and started again on the same DB and port.  A modify with the old SIP-ETag
# succeeds, and the watcher (a listener on the same port) gets a NOTIFY in
# the old dialog with the new body.
. "$(dirname "$0")/../../lib.sh"
start_kamailio --param=presence:db_update_period:1 || finish
A=sip:gina@127.0.0.1 W=sip:hank@127.0.0.1 FT=ft08hank CID=cid08-hank@127.0.0.1
pidf $A open gina-1 >g1.xml
pidf $A closed gina-2 >g2.xml
sip_request PUBLISH $A "Event: presence
Expires: 600
Content-Type: application/pidf+xml" g1.xml
assert_reply 200 "gina publishes"
ETAG=$(msg_hdr "$REPLY" SIP-ETag)

WPORT=$(free_udp_port)
SIPP_LPORT=$WPORT sipp_run "$SIP_DIR/scenarios/subscribe.xml" -cid_str $CID -k presentity $A -k watcher $W -k fromtag $FT -k expires 600
assert_sipp $? "hank subscribes and gets the first NOTIFY"
TT=$(msg_tag "$(msg_hdr "$(reply 1)" To)")
CSEQ1=$(msg_hdr "$(trace_msg "$SIPP_TRACE" received '^NOTIFY' 1)" CSeq | awk '{print $1}')
wait_sql "select count(*) from active_watchers where callid='$CID'" 1 "hank's active_watchers row before the restart"

OLDPID=$KAM_PID
stop_kamailio
assert_eq dead "$(kill -0 "$OLDPID" 2>/dev/null && echo alive || echo dead)" "old kamailio stopped"
start_kamailio --param=presence:db_update_period:1 || finish
assert_ne "$OLDPID" "$KAM_PID" "a new kamailio PID"

SIPP_LPORT=$WPORT sipp_bg lis "$SIP_DIR/scenarios/notify-listener.xml"
sip_request PUBLISH $A "Event: presence
Expires: 600
SIP-If-Match: $ETAG
Content-Type: application/pidf+xml" g2.xml
assert_reply 200 "gina modifies with the SIP-ETag from before the restart"
sipp_wait lis
assert_sipp $? "hank's listener got a NOTIFY after the restart"
N=$(trace_msg "$SIPP_TRACE" received '^NOTIFY' 1)
assert_eq "$CID" "$(msg_hdr "$N" Call-ID)" "NOTIFY Call-ID (old dialog)"
assert_eq "$FT" "$(msg_tag "$(msg_hdr "$N" To)")" "NOTIFY To tag (old dialog)"
assert_eq "$TT" "$(msg_tag "$(msg_hdr "$N" From)")" "NOTIFY From tag (old dialog)"
assert_num -gt "$CSEQ1" "$(msg_hdr "$N" CSeq | awk '{print $1}')" "NOTIFY CSeq continues the dialog"
assert_match 'gina-2' "$(msg_body "$N")" "NOTIFY body is the change"
assert_match '^active' "$(msg_hdr "$N" Subscription-State)" "NOTIFY Subscription-State"
assert_alive
finish
