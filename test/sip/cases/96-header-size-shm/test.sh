# 96 Stored header sizes and the shared-memory floor. A User-Agent or a
# Contact longer than its active_watchers column (255) is refused with 400
# when the SUBSCRIBE arrives, so no row the DB would refuse is ever
# flushed: nothing is stored for it, while a normal subscription next to it
# is. Then Kamailio runs on 8 MB of shared memory with shm_min_free_percent
# a little below what is free at start: PUBLISHes of large documents are
# taken until the floor is reached, then answered 503 with Retry-After
# before anything is allocated (nothing stored), Kamailio keeps serving, and
# removing state (un-PUBLISH) still works.
. "$(dirname "$0")/../../lib.sh"
start_kamailio -m 8 --param=presence:db_update_period:1 \
	--param=presence:shm_min_free_percent:0 || finish
A=sip:alice@127.0.0.1
LONG=$(printf 'x%.0s' $(seq 1 300))

FROM="<sip:bob@127.0.0.1>" sip_request SUBSCRIBE $A "Event: presence
User-Agent: phone/$LONG
Expires: 300"
assert_reply 400 "SUBSCRIBE with a 306-byte User-Agent"
assert_match 'Header Too Long' "$(printf '%s\n' "$REPLY" | head -n1)" "reason of the 400"
assert_match 'User-Agent longer than 255' "$(msg_hdr "$REPLY" Warning)" "Warning says which header"
sipp_run long-contact.xml -k presentity $A -k contact "sip:carol@127.0.0.1;x=$LONG"
assert_sipp $? "SUBSCRIBE with a 322-byte Contact -> 400"
watch_start w $A sip:dave@127.0.0.1 1 300 0
watch_wait w "a normal subscription"
wait_sql "select count(*) from active_watchers" 1
wait_db
assert_sql "select watcher_username from active_watchers" dave "only the normal subscription is stored"
assert_sql "select count(*) from watchers" 1 "and only its watchers row"

# the free share of shared memory now, for a floor 3 points below it
free_pct() {
	kam_rpc core.shmmem | awk '/total:/ { t = $2 } /free:/ { f = $2 }
		END { if (t) print int(f * 100 / t) }'
}
F=$(free_pct)
assert_match '^[0-9]+$' "$F" "free shared memory in percent ($F)"
stop_kamailio
start_kamailio -m 8 --param=presence:shm_min_free_percent:$((F - 3)) \
	--param=presence:shm_retry_after:17 || finish
note "shm_min_free_percent $((F - 3))"

NOTE=$(head -c 30000 /dev/zero | tr '\0' 'n')
big_pidf() { # URI
	printf '<?xml version="1.0"?>\n<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="%s"><tuple id="t"><status><basic>open</basic></status><note>%s</note></tuple></presence>\n' "$1" "$NOTE"
}
ok200=0 code=
for i in $(seq 1 40); do
	big_pidf "sip:u$i@127.0.0.1" >big.xml
	sip_request PUBLISH "sip:u$i@127.0.0.1" "Event: presence
Expires: 300
Content-Type: application/pidf+xml" big.xml
	code=$REPLY_CODE
	[ "$code" = 200 ] || break
	ok200=$((ok200 + 1))
	[ "$ok200" = 1 ] && E1=$(msg_hdr "$REPLY" SIP-ETag)
done
if [ "$code" = 503 ] && [ "$ok200" -ge 2 ]; then
	ok "$ok200 large PUBLISHes taken, then 503 at the floor"
else
	fail "expected 200s then 503, got $ok200 x 200 then '${code:-no reply}'"
fi
assert_eq 17 "$(msg_hdr "$REPLY" Retry-After)" "Retry-After of the 503"
wait_db
assert_sql "select count(*) from presentity" "$ok200" "nothing stored for the 503"
FROM="<sip:erin@127.0.0.1>" sip_request SUBSCRIBE $A "Event: presence
Expires: 300"
assert_reply 503 "a new subscription below the floor"
sip_request PUBLISH sip:u1@127.0.0.1 "Event: presence
Expires: 0
SIP-If-Match: $E1"
assert_reply 200 "un-PUBLISH below the floor (frees state)"
wait_db
assert_sql "select count(*) from presentity" "$((ok200 - 1))" "the publication is gone"
n=$(grep -c 'shared memory low' "$KAM_LOG")
if [ "$n" -ge 1 ] && [ "$n" -le 2 ]; then
	ok "the floor logged $n time(s) (rate-limited)"
else
	fail "the floor logged $n times, expected 1 or 2"
fi
assert_alive
finish
