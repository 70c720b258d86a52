# 11 Transaction mode (-A WITH_TM: the script calls t_newtran() first): the
# PUBLISH life cycle, an error reply and the SUBSCRIBE dialog of 01/03 in
# short form, each request answered exactly once.  One worker, so that a
# second reply to a request would arrive before the reply to the OPTIONS
# that ends each scenario.
. "$(dirname "$0")/../../lib.sh"
CHILDREN=1 start_kamailio -A WITH_TM || finish
L=sip:leo@127.0.0.1
sipp_run tm-publish.xml -k presentity $L
assert_sipp $? "PUBLISH initial/refresh/modify/remove, Event: foo, OPTIONS"
assert_eq "200 200 200 200 489 200" "$(for i in 1 2 3 4 5 6; do reply_code $i; done | xargs)" "reply codes"
assert_eq 6 "$(trace_count "$SIPP_TRACE" received '^SIP/2.0')" "replies to 6 requests"
wait_db
assert_sql "select count(*) from presentity where username='leo'" 0 "leo's rows after the cycle"

pidf $L open leo-11 >pidf.xml
sip_request PUBLISH $L "Event: presence
Expires: 600
Content-Type: application/pidf+xml" pidf.xml
assert_reply 200 "leo publishes"
sipp_run tm-subscribe.xml -k presentity $L -k watcher sip:lena@127.0.0.1
assert_sipp $? "SUBSCRIBE, NOTIFY, unsubscribe, NOTIFY, OPTIONS"
assert_eq 3 "$(trace_count "$SIPP_TRACE" received '^SIP/2.0')" "replies to 3 requests"
assert_eq 2 "$(trace_count "$SIPP_TRACE" received '^NOTIFY')" "NOTIFYs received"
N=$(trace_msg "$SIPP_TRACE" received '^NOTIFY' 1)
assert_match 'leo-11' "$(msg_body "$N")" "NOTIFY body"
assert_match '^terminated' "$(msg_hdr "$(trace_msg "$SIPP_TRACE" received '^NOTIFY' 2)" Subscription-State)" "final NOTIFY"
assert_alive
finish
