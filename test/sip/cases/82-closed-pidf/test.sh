# 82 closed PIDF after the last publication: when bob's only publication is
# removed by an un-PUBLISH (Expires: 0), a watcher's NOTIFY carries a PIDF
# document for bob whose tuple keeps its id and says <basic>closed</basic>,
# nothing else of the removed document (its notes): the document Kamailio's
# presence_xml sends, compared in canonical XML (xmllint --c14n) with
# expected-closed.c14n.xml, taken from Kamailio's NOTIFY. A desk phone that
# keeps its lamp on a body-less NOTIFY shows bob offline. A presentity that
# never published gets a NOTIFY without a body. When a publication expires,
# ours sends the same closed document (the expired body goes to agg_nbody
# as after an un-PUBLISH); Kamailio's NOTIFY has no body then. When another device's
# publication remains, the NOTIFY carries it and the removed tuple closed.
. "$(dirname "$0")/../../lib.sh"
start_kamailio --param=presence:clean_period:1 || finish
xml_xpath() { xmllint --xpath "$2" "$1" 2>/dev/null; }
B=sip:bob@127.0.0.1

watch_start wa $B sip:wanda@127.0.0.1 5 # initial, publish, remove, publish, expiry
wait_notifies wa 1
assert_eq "" "$(msg_body "$(watch_notify wa 1)")" "nothing published: the first NOTIFY has no body"

pidf $B open bob-note >open.xml
sip_request PUBLISH $B "Event: presence
Expires: 600
Content-Type: application/pidf+xml" open.xml
assert_reply 200 "bob publishes"
ETAG=$(msg_hdr "$REPLY" SIP-ETag)
wait_notifies wa 2
sip_request PUBLISH $B "Event: presence
Expires: 0
SIP-If-Match: $ETAG"
assert_reply 200 "bob removes his publication"
if wait_notifies wa 3; then
	N=$(watch_notify wa 3)
	msg_body "$N" >notify-3.xml
	assert_eq application/pidf+xml "$(msg_hdr "$N" Content-Type)" "closed NOTIFY: Content-Type"
	assert_eq closed "$(xml_xpath notify-3.xml 'string(//*[local-name()="tuple"]/*[local-name()="status"]/*[local-name()="basic"])')" "closed NOTIFY: basic"
	assert_eq t1 "$(xml_xpath notify-3.xml 'string(//*[local-name()="tuple"]/@id)')" "closed NOTIFY: the removed tuple's id"
	assert_eq "$B" "$(xml_xpath notify-3.xml 'string(/*/@entity)')" "closed NOTIFY: entity"
	assert_eq "$(cat "$CASE_DIR/expected-closed.c14n.xml")" "$(xmllint --c14n notify-3.xml 2>&1)" "closed NOTIFY: Kamailio's document (canonical XML)"
fi

sip_request PUBLISH $B "Event: presence
Expires: 2
Content-Type: application/pidf+xml" open.xml
assert_reply 200 "bob publishes for 2 s"
wait_notifies wa 4
if wait_notifies wa 5; then
	N=$(watch_notify wa 5)
	assert_match 'active' "$(msg_hdr "$N" Subscription-State)" "after the expiry: still active"
	if is_reference; then
		assert_eq "" "$(msg_body "$N")" "after the expiry: Kamailio sends a NOTIFY without a body"
	else
		# ours: the expired tuple closed, as after an un-PUBLISH, so that a
		# phone does not keep showing the state that expired
		msg_body "$N" >notify-5.xml
		assert_eq closed "$(xml_xpath notify-5.xml 'string(//*[local-name()="tuple"]/*[local-name()="status"]/*[local-name()="basic"])')" "after the expiry: the expired tuple closed"
		assert_eq "$(cat "$CASE_DIR/expected-closed.c14n.xml")" "$(xmllint --c14n notify-5.xml 2>&1)" "after the expiry: the same closed document as after an un-PUBLISH"
	fi
fi
watch_wait wa "wanda's dialog"

# carol publishes from two devices (tuples c1, c2) and removes the first:
# the NOTIFY carries c2 as published and c1 closed, as Kamailio's does.
C=sip:carol@127.0.0.1
watch_start wc $C sip:wanda@127.0.0.1 4 # initial, c1, c2, removal of c1
wait_notifies wc 1
pidf $C open c1-note | sed 's/"t1"/"c1"/' >c1.xml
pidf $C open c2-note | sed 's/"t1"/"c2"/' >c2.xml
sip_request PUBLISH $C "Event: presence
Expires: 600
Content-Type: application/pidf+xml" c1.xml
assert_reply 200 "carol's first device publishes"
E1=$(msg_hdr "$REPLY" SIP-ETag)
wait_notifies wc 2
sip_request PUBLISH $C "Event: presence
Expires: 600
Content-Type: application/pidf+xml" c2.xml
assert_reply 200 "carol's second device publishes"
wait_notifies wc 3
sip_request PUBLISH $C "Event: presence
Expires: 0
SIP-If-Match: $E1"
assert_reply 200 "carol's first device removes its publication"
if wait_notifies wc 4; then
	msg_body "$(watch_notify wc 4)" >carol-4.xml
	t() { xml_xpath carol-4.xml "string(//*[local-name()=\"tuple\"][@id=\"$1\"]/*[local-name()=\"$2\"])"; }
	assert_eq closed "$(xml_xpath carol-4.xml 'string(//*[local-name()="tuple"][@id="c1"]//*[local-name()="basic"])')" "removed device's tuple c1: closed"
	assert_eq "" "$(t c1 note)" "c1 without its note"
	assert_eq open "$(xml_xpath carol-4.xml 'string(//*[local-name()="tuple"][@id="c2"]//*[local-name()="basic"])')" "remaining device's tuple c2: open"
	assert_eq c2-note "$(t c2 note)" "c2 as published"
	assert_eq 2 "$(xml_xpath carol-4.xml 'count(//*[local-name()="tuple"])')" "two tuples"
fi
watch_wait wc "carol's watcher dialog"
assert_alive
finish
