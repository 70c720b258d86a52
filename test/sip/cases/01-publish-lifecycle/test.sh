# 01 PUBLISH life cycle (RFC 3903): initial, refresh, modify, remove, with
# the presentity row checked after each step; then the same chained in one
# scenario through the SIP-ETags it captures.
. "$(dirname "$0")/../../lib.sh"
start_kamailio || finish
A=sip:alice@127.0.0.1
ROW="from presentity where username='alice' and domain='127.0.0.1' and event='presence'"

sipp_run initial.xml -k presentity $A -k expires 600 -k note first
assert_sipp $? "initial PUBLISH -> 200"
E1=$(msg_hdr "$(reply)" SIP-ETag)
assert_match '^[^ ]+$' "$E1" "SIP-ETag of initial 200"
assert_eq 600 "$(msg_hdr "$(reply)" Expires)" "Expires of initial 200"
wait_db
assert_sql "select count(*), max(etag) $ROW" "1|$E1" "presentity row after initial"
assert_match 'first' "$(sql "select $BODY_SQL $ROW")" "stored body after initial"
assert_num -ge 595 "$(sql "select expires - $NOW_SQL $ROW")" "stored expiry after initial"

sipp_run refresh.xml -k presentity $A -k etag "$E1" -k expires 900
assert_sipp $? "refresh PUBLISH (SIP-If-Match, no body) -> 200"
E2=$(msg_hdr "$(reply)" SIP-ETag)
assert_match '^[^ ]+$' "$E2" "SIP-ETag of refresh 200"
assert_ne "$E1" "$E2" "refresh SIP-ETag is new"
assert_eq 900 "$(msg_hdr "$(reply)" Expires)" "Expires of refresh 200"
wait_db
assert_sql "select count(*), max(etag) $ROW" "1|$E2" "presentity row after refresh"
assert_match 'first' "$(sql "select $BODY_SQL $ROW")" "body kept by refresh"
assert_num -ge 895 "$(sql "select expires - $NOW_SQL $ROW")" "stored expiry after refresh"

sipp_run modify.xml -k presentity $A -k etag "$E2" -k note second
assert_sipp $? "modify PUBLISH (SIP-If-Match + body) -> 200"
E3=$(msg_hdr "$(reply)" SIP-ETag)
assert_match '^[^ ]+$' "$E3" "SIP-ETag of modify 200"
wait_db
assert_sql "select count(*), max(etag) $ROW" "1|$E3" "presentity row after modify"
assert_match 'second' "$(sql "select $BODY_SQL $ROW")" "body replaced by modify"

sipp_run refresh.xml -k presentity $A -k etag "$E1" -k expires 900
assert_eq "412" "$(reply | awk 'NR==1{print $2}')" "old SIP-ETag after refresh/modify is stale (412)"

sipp_run remove.xml -k presentity $A -k etag "$E3"
assert_sipp $? "remove PUBLISH (Expires: 0) -> 200"
wait_db
assert_sql "select count(*) $ROW" 0 "presentity rows after remove"

sipp_run cycle.xml -k presentity sip:carol@127.0.0.1
assert_sipp $? "chained cycle initial/refresh/modify/remove in one scenario"
wait_db
assert_sql "select count(*) from presentity where username='carol'" 0 "carol's rows after the cycle"
assert_eq 4 "$(trace_count "$SIPP_TRACE" received '^SIP/2.0')" "replies to the 4 chained PUBLISHes"
E3=$(msg_hdr "$(reply 3)" SIP-ETag)
if ours_only "SIP-If-Match of a removed publication -> 412 (reference: 500)"; then
	sipp_run refresh.xml -k presentity sip:carol@127.0.0.1 -k etag "$E3" -k expires 60
	assert_eq "412" "$(reply | awk 'NR==1{print $2}')" "SIP-If-Match of a removed publication"
fi
assert_alive
finish
