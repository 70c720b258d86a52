# 49 A refresh the server cannot take now: a SIPp presence server grants
# 12 s and answers pua's first refresh (SIP-If-Match, no body) with 503
# Service Unavailable, Retry-After: 2. The server keeps a publication until
# its grant ends (RFC 3903 s4.1), so pua keeps it too and refreshes again
# after the Retry-After, with the same ETag; before, pua dropped it at the
# 503 and the presentity went dark until its owner published again.
. "$(dirname "$0")/../../lib.sh"
. "$CASE_DIR/../20-pua-lib/pua-lib.sh" || exit 2
. "$CASE_DIR/../20-pua-lib/pua-mods-lib.sh" || exit 2
ours_only "a SIPp server and our pua: nothing of Debian's runs here" || finish
PUA_PORT=$(free_udp_port) UPORT=$(free_udp_port)
UAS_PUBLISH=$CASE_DIR/uas-busy-once.xml
A=sip:alice49@127.0.0.1
pidf $A open r1 >b1.xml

uas_start
PORT=$UPORT pua_start || finish
assert_eq OK "$(pua_publish $A 60 . b1.xml)" "pua.publish for 60 s"
wait_field $A publish last_code 200 "initial PUBLISH answered"
E1=$(pua_field $A publish etag)
wait_field $A publish last_code 503 "first refresh answered 503"
assert_eq 1 "$(pua_field $A publish failed_refreshes)" "pua.list counts the failed refresh"
assert_pua_log_contains "refresh of $A answered 503: kept until its grant ends in [0-9]* s, tried again in 2 s" \
	"pua logged the kept publication and the server's Retry-After"
wait_field $A publish sent 3 "refreshed again"
wait_field $A publish last_code 200 "second refresh answered 200"
assert_eq 0 "$(pua_field $A publish failed_refreshes)" "the count starts again after the 2xx"
assert_num -ge 30 "$(pua_field $A publish desired)" "the publication is still wanted"
assert_eq 3 "$(publish_count)" "PUBLISHes the server received"
R1=$(publish_msg 2) R2=$(publish_msg 3)
assert_eq "$E1" "$(msg_hdr "$R1" SIP-If-Match)" "the failed refresh used the initial ETag"
assert_eq "$E1" "$(msg_hdr "$R2" SIP-If-Match)" "the retry used the same ETag (still valid at the server)"
assert_eq "" "$(msg_body "$R2")" "the retry is a refresh (no body)"
t2=$(trace_time "$UAS_TRACE" received '^PUBLISH' 2)
t3=$(trace_time "$UAS_TRACE" received '^PUBLISH' 3)
assert_num -ge 1500 "$((t3 - t2))" "ms between the 503 and the retry (Retry-After: 2)"
pua_alive && ok "pua kamailio alive" || fail "pua kamailio died"
finish
