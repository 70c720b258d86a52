# 83 force_presence_single_body: bob publishes from two devices (two ETags);
# with force_presence_single_body 1 a watcher's NOTIFY carries one document,
# the one whose <note> ranks highest in presence_single_body_priorities
# (default "Available|Ringing|On the Phone": importance grows from left to
# right), not the aggregation of both; then with the priorities reversed
# (-A SINGLE_REVERSED in a second start) the other one.
. "$(dirname "$0")/../../lib.sh"

doc() { # TUPLE NOTE (for $B)
	cat <<XML
<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="$B">
  <tuple id="$1"><status><basic>open</basic></status><note>$2</note></tuple>
</presence>
XML
}

round() { # NAME USER [--param ...]: USER's phone then PC publish; the
	# watcher's 3rd NOTIFY body goes to NAME-3.xml
	local name=$1 B=sip:$2@127.0.0.1
	shift 2
	start_kamailio --param=presence_xml:force_presence_single_body:1 "$@" || return 1
	watch_start "$name" $B sip:wanda@127.0.0.1 3
	wait_notifies "$name" 1
	doc phone "On the Phone" >phone.xml
	doc pc Available >pc.xml
	sip_request PUBLISH $B "Event: presence
Expires: 600
Content-Type: application/pidf+xml" phone.xml
	assert_reply 200 "$name: the phone publishes 'On the Phone'"
	wait_notifies "$name" 2
	sip_request PUBLISH $B "Event: presence
Expires: 600
Content-Type: application/pidf+xml" pc.xml
	assert_reply 200 "$name: the PC publishes 'Available'"
	wait_notifies "$name" 3 && msg_body "$(watch_notify "$name" 3)" >"$name-3.xml"
	watch_wait "$name" "$name: wanda's dialog"
	stop_kamailio
}

round wdef bob
B3=$(cat wdef-3.xml)
assert_match 'On the Phone' "$B3" "default priorities: the 'On the Phone' document"
assert_no_match 'Available' "$B3" "default priorities: only one document"
assert_eq 1 "$(grep -c '<tuple' wdef-3.xml)" "default priorities: one tuple"

round wrev carol --param=presence_xml:presence_single_body_priorities:"On the Phone|Available"
B3=$(cat wrev-3.xml)
assert_match 'Available' "$B3" "reversed priorities: the 'Available' document"
assert_no_match 'On the Phone' "$B3" "reversed priorities: only one document"
finish
