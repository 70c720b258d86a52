# 07 Expiry: with clean_period 1, a publication with Expires: 2 leaves the
# presentity table by itself, and a subscription with Expires: 2 leaves
# active_watchers after a final NOTIFY with Subscription-State:
# terminated;reason=timeout.
. "$(dirname "$0")/../../lib.sh"
P=(--param=presence:clean_period:1 --param=presence:db_update_period:1)
is_reference || P+=(--param=presence:min_expires:1)
start_kamailio "${P[@]}" || finish
E=sip:eve@127.0.0.1
pidf $E open eve-07 >pidf.xml
sip_request PUBLISH $E "Event: presence
Expires: 2
Content-Type: application/pidf+xml" pidf.xml
assert_reply 200 "PUBLISH with Expires: 2"
assert_eq 2 "$(msg_hdr "$REPLY" Expires)" "Expires of its 200"
wait_db
assert_sql "select count(*) from presentity where username='eve'" 1 "eve's row right after the PUBLISH"
wait_sql "select count(*) from presentity where username='eve'" 0 "eve's row after it expired"

watch_start wf sip:frank@127.0.0.1 sip:fiona@127.0.0.1 2 2 0 # no unsubscribe
wait_notifies wf 1
watch_wait wf "SUBSCRIBE with Expires: 2, NOTIFY, then the timeout NOTIFY"
assert_eq 2 "$(msg_hdr "$(trace_msg "$(watch_trace wf)" received '^SIP/2.0' 1)" Expires)" "Expires of the SUBSCRIBE reply"
SS=$(msg_hdr "$(watch_notify wf 2)" Subscription-State)
assert_match '^terminated;[ ]*reason=timeout' "$SS" "Subscription-State of the last NOTIFY"
wait_sql "select count(*) from active_watchers where watcher_username='fiona'" 0 "fiona's active_watchers row after expiry"
assert_alive
finish
