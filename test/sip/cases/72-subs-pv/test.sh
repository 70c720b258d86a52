# 72 The script interface around a subscription, as a Kamailio 5.6 config
# uses it (kamailio.cfg here): $subs(attr) after handle_subscribe() (logged),
# in event_route[tm:local-request] (each NOTIFY carries X-Subs-* headers set
# from $subs) and in event_route[presence:notify-reply] (logged with
# $notify_reply($rs), $notify_reply($rr) ...); xavp_cfg: a PUBLISH's
# $xavp(pres=>priority) lands in presentity.priority (Kamailio's time based
# priority without it), and $xavp(pres=>delete_subscription) = 1 in the
# notify-reply route (a NOTIFY answered with X-Delete: yes) removes the
# subscription; a NOTIFY that is never answered runs the route with 408;
# pres_has_subscribers() answers a MESSAGE (200 / 404).
. "$(dirname "$0")/../../lib.sh"
KAM_CFG=$CASE_DIR/kamailio.cfg
start_kamailio --param=presence:db_update_period:1 || finish
A=sip:amy@127.0.0.1

pidf $A open amy-72 >amy.xml
sip_request PUBLISH $A "Event: presence
Expires: 600
X-Priority: 5
Content-Type: application/pidf+xml" amy.xml
assert_reply 200 "amy publishes with \$xavp(pres=>priority) = 5"
sip_request PUBLISH sip:bea@127.0.0.1 "Event: presence
Expires: 600
Content-Type: application/pidf+xml" amy.xml
assert_reply 200 "bea publishes without a priority"
wait_db
assert_sql "select priority from presentity where username='amy'" 5 "presentity.priority from the xavp"
P=$(sql "select priority - (received_time - 1420070400) from presentity where username='bea'")
assert_match '^(0|-1|1)$' "$P" "without the attribute: seconds since 2015 (Kamailio's time based priority)"

has_subs() { # URI EVENT: the reply to a MESSAGE answered by pres_has_subscribers
	sip_request MESSAGE "$1" "X-Event: $2"
	echo "$REPLY_CODE"
}
assert_eq 404 "$(has_subs $A presence)" "pres_has_subscribers before any SUBSCRIBE"

# ---- a subscription: $subs after handle_subscribe, in tm:local-request and
# in presence:notify-reply
watch_start w1 $A sip:wes@127.0.0.1 1 300 1
watch_wait w1 "wes: SUBSCRIBE, NOTIFY, unsubscribe, final NOTIFY"
N1=$(watch_notify w1 1) N2=$(watch_notify w1 2)
CID=$(msg_hdr "$N1" Call-ID)
FT=$(msg_tag "$(msg_hdr "$N1" To)") TT=$(msg_tag "$(msg_hdr "$N1" From)")
assert_eq $A "$(msg_hdr "$N1" X-Subs-Uri)" "local-request: \$subs(uri)"
assert_eq wes@127.0.0.1 "$(msg_hdr "$N1" X-Subs-Watcher)" "local-request: \$subs(watcher_username)@\$subs(watcher_domain)"
assert_eq "$CID" "$(msg_hdr "$N1" X-Subs-Callid)" "local-request: \$subs(callid) is the NOTIFY's Call-ID"
assert_eq "$TT $FT" "$(msg_hdr "$N1" X-Subs-Tags)" "local-request: \$subs(to_tag) \$subs(from_tag)"
assert_eq presence "$(msg_hdr "$N1" X-Subs-Event)" "local-request: \$subs(event)"
assert_eq 1 "$(msg_hdr "$N1" X-Subs-Status)" "local-request: \$subs(status) active"
assert_match '^(300|299)$' "$(msg_hdr "$N1" X-Subs-Expires)" "local-request: \$subs(expires), seconds left"
assert_eq 3 "$(msg_hdr "$N2" X-Subs-Status)" "the unsubscribe's NOTIFY: \$subs(status) terminated"
assert_eq 0 "$(msg_hdr "$N2" X-Subs-Expires)" "the unsubscribe's NOTIFY: \$subs(expires)"
C1=$(msg_hdr "$N1" CSeq) C1=${C1%% *} C2=$(msg_hdr "$N2" CSeq) C2=${C2%% *}
# Kamailio's $subs(local_cseq) is one below the CSeq its tm sends; ours is
# the CSeq (doc/migration.md: NOTIFY CSeq)
is_reference && D=1 || D=0
assert_eq "$((C1 - D)) $((C2 - D))" "$(msg_hdr "$N1" X-Subs-Cseq) $(msg_hdr "$N2" X-Subs-Cseq)" "local-request: \$subs(local_cseq) of both NOTIFYs"
V1=$(msg_hdr "$N1" X-Subs-Version) V2=$(msg_hdr "$N2" X-Subs-Version)
assert_eq $((V1 + 1)) "$V2" "local-request: \$subs(version) counts up"

H=$(grep 'SUBS-HANDLED' "$KAM_LOG" | head -n1)
for kv in "uri=$A" "pres_uri=$A" to_user=amy to_domain=127.0.0.1 from_user=wes \
	from_domain=127.0.0.1 watcher_username=wes watcher_domain=127.0.0.1 \
	event=presence "event_id= " "to_tag=$TT" "from_tag=$FT" "callid=$CID" \
	remote_cseq=1 "contact=sip:wes@127.0.0.1:" "local_contact=sip:127.0.0.1:$PORT" \
	"record_route= " expires=300 status=1 "reason= " flags=0 "user_agent= "; do
	assert_match " $kv" "$H" "after handle_subscribe(): \$subs(${kv%%=*})"
done
assert_match ' local_cseq=[0-9]+ ' "$H" "after handle_subscribe(): \$subs(local_cseq)"
assert_match ' version=[0-9]+ ' "$H" "after handle_subscribe(): \$subs(version)"
H2=$(grep 'SUBS-HANDLED' "$KAM_LOG" | sed -n 2p)
assert_match ' remote_cseq=2 .* expires=0 ' "$H2" "after the unsubscribing handle_subscribe()"

wait_until 5 grep -q "NOTIFY-REPLY .*cseq=$((C2 - D)) " "$KAM_LOG"
R=$(grep 'NOTIFY-REPLY' "$KAM_LOG")
assert_eq 2 "$(printf '%s\n' "$R" | grep -c "callid=$CID ")" "notify-reply ran for both NOTIFYs of the dialog"
assert_match "code=200 reason=OK callid=$CID uri=$A watcher=wes cseq=$((C1 - D)) status=1 expires=(300|299) " "$R" "notify-reply: \$notify_reply(\$rs) \$notify_reply(\$rr) and \$subs(...) of the first NOTIFY"
assert_match "code=200 reason=OK callid=$CID uri=$A watcher=wes cseq=$((C2 - D)) status=3 expires=0 reason=timeout " "$R" "notify-reply of the final NOTIFY"

# ---- delete_subscription: a NOTIFY answered with X-Delete: yes
{
	echo '<?xml version="1.0" encoding="ISO-8859-1"?><scenario name="del">'
	watch_subscribe $A sip:dot@127.0.0.1 "sip:dot@[local_ip]:[local_port]" 300 1 ""
	echo '<recv response="200"/><recv request="NOTIFY"/>'
	printf '%s\n' '<send><![CDATA[' 'SIP/2.0 200 OK' '[last_Via:]' '[last_From:]' \
		'[last_To:]' '[last_Call-ID:]' '[last_CSeq:]' 'User-Agent: dot-phone' \
		'X-Delete: yes' 'Content-Length: 0' '' ']]></send>'
	echo '</scenario>'
} >del.xml
sipp_run "$WORK/del.xml"
assert_sipp $? "dot: SUBSCRIBE, NOTIFY answered 200 with X-Delete: yes"
wait_until 5 grep -q 'NOTIFY-REPLY .*watcher=dot .*ua=dot-phone' "$KAM_LOG" &&
	ok "notify-reply saw \$notify_reply(\$ua) = dot-phone" ||
	fail "no notify-reply line with ua=dot-phone"
wait_sql "select count(*) from active_watchers where watcher_username='dot'" 0 \
	"dot's subscription deleted (\$xavp(pres=>delete_subscription) = 1)"
assert_eq 404 "$(has_subs $A presence)" "pres_has_subscribers after the deletion"

# ---- a watcher that keeps its subscription; pres_has_subscribers
watch_start w3 $A sip:ida@127.0.0.1 1 300 0
watch_wait w3 "ida: SUBSCRIBE, NOTIFY (the subscription stays)"
assert_eq 200 "$(has_subs $A presence)" "pres_has_subscribers(amy, presence)"
assert_eq 404 "$(has_subs $A dialog)" "pres_has_subscribers(amy, dialog)"
assert_eq 404 "$(has_subs sip:bea@127.0.0.1 presence)" "pres_has_subscribers(bea, presence)"

# ---- a NOTIFY never answered: the route runs on the timeout (fr_timer 2 s)
{
	echo '<?xml version="1.0" encoding="ISO-8859-1"?><scenario name="mute">'
	watch_subscribe $A sip:moe@127.0.0.1 "sip:moe@[local_ip]:[local_port]" 300 1 ""
	echo '<recv response="200"/><recv request="NOTIFY"/></scenario>'
} >mute.xml
sipp_run "$WORK/mute.xml"
assert_sipp $? "moe: SUBSCRIBE, NOTIFY left unanswered"
if wait_until 10 grep -q "NOTIFY-REPLY code=408 reason=TIMEOUT .*watcher=moe " "$KAM_LOG"; then
	ok "notify-reply ran with \$notify_reply(\$rs) = 408 for the timeout"
else
	fail "no notify-reply line for moe's timeout: $(grep 'NOTIFY-REPLY.*moe' "$KAM_LOG" | head -c 300)"
fi
wait_sql "select count(*) from active_watchers where watcher_username='moe'" 0 \
	"moe's subscription removed after the timeout (timeout_rm_subs 1)"
assert_alive
finish
