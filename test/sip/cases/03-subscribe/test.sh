# 03 SUBSCRIBE (RFC 6665): initial SUBSCRIBE -> 200 (subs_respond_200) with Expires and a To
# tag, then a NOTIFY in that dialog carrying alice's published PIDF; the
# active_watchers row; a refresh in the dialog -> 200/202 and a NOTIFY with a
# higher CSeq; Expires: 0 -> a final NOTIFY with Subscription-State:
# terminated and the row gone.
. "$(dirname "$0")/../../lib.sh"
start_kamailio --param=presence:db_update_period:1 || finish
A=sip:alice@127.0.0.1 W=sip:walter@127.0.0.1 FT=ft03walter CID=cid03-walter@127.0.0.1
pidf $A open alice-03 >pidf.xml
sip_request PUBLISH $A "Event: presence
Expires: 600
Content-Type: application/pidf+xml" pidf.xml
assert_reply 200 "alice publishes"

WPORT=$(free_udp_port)
SIPP_LPORT=$WPORT sipp_run "$SIP_DIR/scenarios/subscribe.xml" -cid_str $CID -k presentity $A -k watcher $W -k fromtag $FT -k expires 600
assert_sipp $? "initial SUBSCRIBE and its NOTIFY"
R=$(reply 1) N=$(trace_msg "$SIPP_TRACE" received '^NOTIFY' 1)
# subs_respond_200 1 (Kamailio 5.6's default, RFC 6665 section 8.3.1): 200
assert_eq 200 "$(reply_code 1)" "reply to the initial SUBSCRIBE"
assert_eq 600 "$(msg_hdr "$R" Expires)" "Expires of the SUBSCRIBE reply"
TT=$(msg_tag "$(msg_hdr "$R" To)")
assert_match '^.+$' "$TT" "To tag of the SUBSCRIBE reply"
assert_eq "$TT" "$(msg_tag "$(msg_hdr "$N" From)")" "NOTIFY From tag"
assert_eq "$FT" "$(msg_tag "$(msg_hdr "$N" To)")" "NOTIFY To tag"
assert_eq "$CID" "$(msg_hdr "$N" Call-ID)" "NOTIFY Call-ID"
assert_eq presence "$(msg_hdr "$N" Event)" "NOTIFY Event"
SS=$(msg_hdr "$N" Subscription-State)
assert_match '^active;[ ]*expires=[0-9]+' "$SS" "NOTIFY Subscription-State"
assert_num -ge 590 "$(msg_param "$SS" expires)" "NOTIFY Subscription-State expires"
assert_num -le 600 "$(msg_param "$SS" expires)" "NOTIFY Subscription-State expires"
assert_eq application/pidf+xml "$(msg_hdr "$N" Content-Type)" "NOTIFY Content-Type"
assert_match 'alice-03' "$(msg_body "$N")" "NOTIFY body is alice's publication"
assert_match "^<?sip:127\.0\.0\.1:$PORT>?$" "$(msg_hdr "$N" Contact)" "NOTIFY Contact (server_address)"
CSEQ1=$(msg_hdr "$N" CSeq | awk '{print $1}')

ROW="from active_watchers where callid='$CID'"
wait_sql "select count(*) $ROW" 1 "active_watchers row (db_update_period 1)"
wait_db
assert_sql "select presentity_uri, watcher_username, watcher_domain, event, to_tag, from_tag, status $ROW" \
	"$A|walter|127.0.0.1|presence|$TT|$FT|1" "active_watchers row"

SIPP_LPORT=$WPORT sipp_run "$SIP_DIR/scenarios/resubscribe.xml" -cid_str $CID -k presentity $A -k watcher $W -k fromtag $FT -k totag "$TT"
assert_sipp $? "refresh, its NOTIFY, unsubscribe and the final NOTIFY"
assert_eq 600 "$(msg_hdr "$(reply 1)" Expires)" "Expires of the refresh reply"
N2=$(trace_msg "$SIPP_TRACE" received '^NOTIFY' 1)
N3=$(trace_msg "$SIPP_TRACE" received '^NOTIFY' 2)
assert_num -gt "$CSEQ1" "$(msg_hdr "$N2" CSeq | awk '{print $1}')" "CSeq of the refresh NOTIFY"
assert_match '^active' "$(msg_hdr "$N2" Subscription-State)" "refresh NOTIFY Subscription-State"
assert_match 'alice-03' "$(msg_body "$N2")" "refresh NOTIFY body"
assert_eq 0 "$(msg_hdr "$(reply 2)" Expires)" "Expires of the unsubscribe reply"
assert_match '^terminated' "$(msg_hdr "$N3" Subscription-State)" "final NOTIFY Subscription-State"
assert_num -gt "$(msg_hdr "$N2" CSeq | awk '{print $1}')" "$(msg_hdr "$N3" CSeq | awk '{print $1}')" "CSeq of the final NOTIFY"
wait_sql "select count(*) $ROW" 0 "active_watchers row after unsubscribe"
assert_alive
finish
