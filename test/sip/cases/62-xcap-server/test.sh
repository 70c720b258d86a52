# 62 XCAP upload through Kamailio's xcap_server reaches the watchers:
# Debian's xcap_server (HTTP over xhttp, in the same Kamailio) stores a
# pres-rules document in the xcap table that our presence_xml reads, and
# the xhttp route calls pres_update_watchers() / pres_refresh_watchers().
# A watcher without a rule is pending (no state); the PUT of a rule that
# allows it makes the subscription active with the presentity's PIDF; a
# GET returns the document; the DELETE of the rules ends the
# authorization again. Run with IMPL=reference on Debian's presence and
# presence_xml.
. "$(dirname "$0")/../../lib.sh"
BOB=sip:bob62@127.0.0.1
ALICE=sip:alice62@127.0.0.1
start_xcap_kamailio || finish

pidf $BOB open bob-is-here >bob.xml
sip_request PUBLISH $BOB $'Event: presence\nExpires: 600\nContent-Type: application/pidf+xml' bob.xml
assert_reply 200 "PUBLISH"

watch_start w1 $BOB $ALICE 6 300 0
wait_notifies w1 1
n1=$(watch_notify w1 1)
assert_match '^pending' "$(msg_hdr "$n1" Subscription-State)" "no rule yet: pending"

XURI="http://127.0.0.1:$PORT/xcap-root/pres-rules/users/$BOB/index"
cat >rules.xml <<XML
<?xml version="1.0" encoding="UTF-8"?>
<ruleset xmlns="urn:ietf:params:xml:ns:common-policy"
    xmlns:pr="urn:ietf:params:xml:ns:pres-rules">
  <rule id="allow-alice">
    <conditions><identity><one id="$ALICE"/></identity></conditions>
    <actions><pr:sub-handling>allow</pr:sub-handling></actions>
    <transformations>
      <pr:provide-services><pr:all-services/></pr:provide-services>
      <pr:provide-persons><pr:all-persons/></pr:provide-persons>
      <pr:provide-devices><pr:all-devices/></pr:provide-devices>
      <pr:provide-all-attributes/>
    </transformations>
  </rule>
</ruleset>
XML
code=$(curl -s -o put.out -w '%{http_code}' -X PUT --data-binary @rules.xml \
	-H 'Content-Type: application/auth-policy+xml' "$XURI")
assert_match '^20[01]$' "$code" "XCAP PUT of pres-rules"
wait_notifies w1 2
# pres_update_watchers() and pres_refresh_watchers() may each send one:
# the last NOTIFY after the PUT carries the result
settled() {
	local n
	n=$(trace_count "$(watch_trace w1)" received '^NOTIFY')
	[ "$n" = "${SEEN:-}" ] && return 0
	SEEN=$n
	return 1
}
SEEN=
wait_until 5 settled
k=$SEEN
note "NOTIFYs after the PUT: $k"
n2=$(watch_notify w1 "$k")
assert_match '^active' "$(msg_hdr "$n2" Subscription-State)" "the rule activates the watcher"
msg_body "$n2" >n2.xml
assert_eq open "$(xmllint --xpath "normalize-space(//*[local-name()='basic'])" n2.xml 2>/dev/null)" "the NOTIFY carries bob's state"

code=$(curl -s -o get.out -w '%{http_code}' "$XURI")
assert_eq 200 "$code" "XCAP GET"
assert_eq allow-alice "$(xmllint --xpath "string(//*[local-name()='rule']/@id)" get.out 2>/dev/null)" "GET returns the stored rules"
assert_eq 1 "$(sql "select count(*) from xcap where username='bob62' and doc_type=2")" "pres-rules row in the xcap table"

code=$(curl -s -o del.out -w '%{http_code}' -X DELETE "$XURI")
assert_eq 200 "$code" "XCAP DELETE"
wait_notifies w1 $((k + 1))
SEEN=
wait_until 5 settled
n3=$(watch_notify w1 "$SEEN")
note "after DELETE: $((SEEN - k)) NOTIFY(s), the last with Subscription-State $(msg_hdr "$n3" Subscription-State)"
# RFC 5025 3.2.1: with no rule that matches the watcher, sub-handling is
# "block"; an active subscription must not stay active once the rules that
# allowed it are gone
ours_only "Kamailio keeps the watcher active after its rules are deleted" &&
	assert_no_match '^active' "$(msg_hdr "$n3" Subscription-State)" "without rules the watcher is no longer active"
stop_sipps
assert_alive
finish
