# 69 The presentity document kept between NOTIFYs (body_cache) never
# outlives the state it was made from. With 4 workers (each keeps its
# own documents; a change made by one must reach the others' next
# NOTIFY), 6 rounds: a PUBLISH modifies ada's publication, then two new
# subscriptions, whose first NOTIFYs must both carry the new note. Then a
# second publication with Expires: 2 (clean_period far away, so nothing
# removes it and no NOTIFY tells of it): two subscriptions see both
# tuples; once it has expired, two more see only the first.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../../lib.sh"
CHILDREN=4
P=(--param=presence:clean_period:3600)
is_reference || P+=(--param=presence:min_expires:1)
start_kamailio "${P[@]}" || finish
A=sip:ada@127.0.0.1
CT="Content-Type: application/pidf+xml"

# watch NAME: a new subscription of NAME to ada, one NOTIFY, then its
# un-SUBSCRIBE; B is the first NOTIFY's body
watch() {
	watch_start "$1" $A "sip:$1@127.0.0.1" 1
	wait_notifies "$1" 1
	B=$(msg_body "$(watch_notify "$1" 1)")
	watch_wait "$1" "$1: SUBSCRIBE, NOTIFY, un-SUBSCRIBE"
}
past() { [ "$(date +%s)" -gt "$1" ]; }
pstat() { kam_rpc stats.get_statistics presence: | sed -n "s/^presence:$1 = //p"; }

ET=
for i in 1 2 3 4 5 6; do
	pidf $A open ada-$i >p$i.xml
	if [ -z "$ET" ]; then
		sip_request PUBLISH $A "Event: presence
Expires: 600
$CT" p$i.xml
	else
		sip_request PUBLISH $A "Event: presence
Expires: 600
SIP-If-Match: $ET
$CT" p$i.xml
	fi
	assert_reply 200 "round $i: PUBLISH ada-$i"
	ET=$(msg_hdr "$REPLY" SIP-ETag)
	for w in a b; do
		watch w$i$w
		assert_match "<note>ada-$i</note>" "$B" "round $i: watcher $w's first NOTIFY has the new note"
		assert_no_match "ada-$((i - 1))<" "$B" "round $i: watcher $w's first NOTIFY has not the old one"
	done
done

cat >short.xml <<XML
<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="$A">
  <tuple id="t2">
    <status><basic>open</basic></status>
    <note>short-lived</note>
  </tuple>
</presence>
XML
sip_request PUBLISH $A "Event: presence
Expires: 2
$CT" short.xml
assert_reply 200 "a second publication with Expires: 2"
assert_eq 2 "$(msg_hdr "$REPLY" Expires)" "Expires of its 200"
T_END=$(($(date +%s) + 2))
for w in a b; do
	watch ws$w
	if [ "$(date +%s)" -lt "$T_END" ]; then
		assert_match "short-lived" "$B" "watcher s$w, before the expiry: the second tuple"
	else
		note "watcher s$w subscribed after the expiry (slow machine): not checked"
	fi
	assert_match "ada-6" "$B" "watcher s$w: the first tuple"
done
wait_until 10 past "$T_END"
for w in a b; do
	watch wx$w
	assert_no_match "short-lived" "$B" "watcher x$w, after the expiry: no second tuple"
	assert_match "ada-6" "$B" "watcher x$w: the first tuple"
done
assert_sql "select count(*) from presentity where username='ada'" 2 "the expired row is still there (nothing cleaned)"
if ours_only "statistics (Debian's presence exports none)"; then
	H=$(pstat body_cache_hits)
	M=$(pstat body_cache_misses)
	note "body_cache: $H hits, $M misses (4 workers, each its own)"
	assert_num -ge 16 "$((H + M))" "every first NOTIFY (16) went through body_cache"
fi
assert_alive
finish
