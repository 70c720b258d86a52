# 09 RPC through kamcmd: presence.cleanup removes an expired publication
# (clean_period 0: nothing else does), and presence.refreshWatchers
# <uri> presence 1 sends a NOTIFY to the presentity's watcher.
. "$(dirname "$0")/../../lib.sh"
P=(--param=presence:clean_period:0)
is_reference || P+=(--param=presence:min_expires:1)
start_kamailio "${P[@]}" || finish
J=sip:judy@127.0.0.1 I=sip:ivy@127.0.0.1
pidf $J open judy-09 >judy.xml
pidf $I open ivy-09 >ivy.xml
sip_request PUBLISH $J "Event: presence
Expires: 1
Content-Type: application/pidf+xml" judy.xml
assert_reply 200 "judy publishes with Expires: 1"
ROW="from presentity where username='judy'"
expired() { [ "$(sql "select count(*) $ROW and expires < $NOW_SQL")" = 1 ]; }
wait_until 5 expired || fail "judy's row did not reach its expiry time"
assert_sql "select count(*) $ROW" 1 "judy's expired row before cleanup (clean_period 0)"
assert_kamcmd "" presence.cleanup
assert_sql "select count(*) $ROW" 0 "judy's row after presence.cleanup"

sip_request PUBLISH $I "Event: presence
Expires: 600
Content-Type: application/pidf+xml" ivy.xml
assert_reply 200 "ivy publishes"
watch_start wi $I sip:ian@127.0.0.1 2
wait_notifies wi 1
assert_kamcmd "" presence.refreshWatchers $I presence 1
wait_notifies wi 2
N=$(watch_notify wi 2)
assert_match 'ivy-09' "$(msg_body "$N")" "body of the NOTIFY sent by refreshWatchers"
assert_match '^active' "$(msg_hdr "$N" Subscription-State)" "its Subscription-State"
watch_wait wi "ian's dialog"
assert_alive
finish
