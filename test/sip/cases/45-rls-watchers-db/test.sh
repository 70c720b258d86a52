# 45 rls's own subscription table through our presence API: Debian's rls
# keeps its list subscriptions in a table made by our new_shtable (slots it
# locks itself, records found with search_shtable and changed with
# update_shtable, expires given as a duration) and every clean_period (1 s
# here) hands it to update_db_subs_timer with its own DB connection and
# table. A list subscription survives those runs (its refresh 3 s later is
# answered 2xx, not 481), and once the refreshed subscription (6 s) has
# expired, update_db_subs_timer hands it to rls's handle_expired, which
# sends the terminated NOTIFY. The same script runs on Debian's presence
# (IMPL=reference).
. "$(dirname "$0")/../../lib.sh"
. "$CASE_DIR/../6x-rls-lib/rls-lib.sh" || exit 2
LIST=sip:team45@127.0.0.1
BOB=sip:bob45@127.0.0.1
WATCHER=sip:alice45@127.0.0.1

rls_db_create alice45 "$LIST" team "$BOB"
rls_start --param=rls:clean_period:1 || finish

# the list watcher: SUBSCRIBE (Expires 30), every NOTIFY answered for 3 s
# (three runs of the timer), the refresh (Expires 6), then NOTIFYs until the
# subscription has expired and nothing comes for 8 s
scen=$WORK/rlsw.xml
sub() {
	printf '%s\n' '<send><![CDATA[' "SUBSCRIBE $LIST SIP/2.0" \
		'Via: SIP/2.0/UDP [local_ip]:[local_port];branch=[branch]' \
		"From: <$WATCHER>;tag=[pid]rls" "To: <$LIST>$2" 'Call-ID: [call_id]' \
		"CSeq: $1 SUBSCRIBE" 'Max-Forwards: 70' \
		'Contact: <sip:alice45@[local_ip]:[local_port]>' 'Event: presence' \
		'Supported: eventlist' \
		'Accept: application/pidf+xml, application/rlmi+xml, multipart/related' \
		"Expires: $3" 'Content-Length: 0' '' ']]></send>'
	echo "<recv response=\"200\" optional=\"true\" next=\"ok$1\"/>"
	echo '<recv response="202"/>'
	echo "<label id=\"ok$1\"/>"
}
# notifies LOOP END MS: answer NOTIFYs until none comes for MS
notifies() {
	echo "<label id=\"$1\"/>"
	echo "<recv request=\"NOTIFY\" timeout=\"$3\" ontimeout=\"$2\"/>"
	printf '%s\n' "<send next=\"$1\"><![CDATA[" 'SIP/2.0 200 OK' '[last_Via:]' \
		'[last_From:]' '[last_To:]' '[last_Call-ID:]' '[last_CSeq:]' \
		'Content-Length: 0' '' ']]></send>'
	echo "<label id=\"$2\"/>"
}
{
	echo '<?xml version="1.0" encoding="ISO-8859-1"?>'
	echo '<scenario name="rlsw">'
	sub 1 "" 30
	notifies l1 refresh 3000
	sub 2 "[peer_tag_param]" 6
	notifies l2 end 8000
	echo '</scenario>'
} >"$scen"
sipp_bg rlsw "$scen" -recv_timeout 30000
T=$(watch_trace rlsw)
wait_notifies rlsw 1
# (sipp counts a call that ends through its last timeout as failed: the
# trace is what is checked)
sipp_wait rlsw >/dev/null 2>&1
assert_match '^SIP/2.0 20[02]' "$(trace_msg "$T" received '^SIP/2.0' 2 | head -n1)" \
	"the refresh 3 s after the SUBSCRIBE finds the subscription (no 481)"
n=$(trace_count "$T" received '^NOTIFY')
terminated=0
for i in $(seq 1 "$n"); do
	st=$(msg_hdr "$(trace_msg "$T" received '^NOTIFY' "$i")" Subscription-State)
	case "$st" in terminated*) terminated=$((terminated + 1)) ;; esac
done
assert_eq 1 "$terminated" "one terminated NOTIFY: when the refreshed subscription expired"
assert_match '^terminated' "$(msg_hdr "$(trace_msg "$T" received '^NOTIFY' -1)" Subscription-State)" \
	"the last NOTIFY ends the subscription (update_db_subs_timer handed the expired record to rls)"
assert_alive
finish
