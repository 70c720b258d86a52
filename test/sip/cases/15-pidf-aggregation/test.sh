# 15 PIDF aggregation: two devices of dora publish (two ETags; tuples d1
# and d2, device 1 with an RPID person busy); a watcher's NOTIFY holds both
# tuples and the person in one well-formed PIDF document for
# sip:dora@127.0.0.1; a PUBLISH whose body is well-formed XML but not PIDF
# gets 400 and changes nothing (no NOTIFY, rows and bodies unchanged); when
# device 1 removes its publication the next NOTIFY has tuple d2 and d1
# closed (Kamailio's presence_xml sends the removed tuples closed).
# Then, with force_dummy_presence=1, a watcher of someone who published
# nothing gets a PIDF with basic open; two publications with the same tuple
# id give one tuple (the newest).
. "$(dirname "$0")/../../lib.sh"
start_kamailio || finish
D=sip:dora@127.0.0.1

xp() { printf '%s\n' "$1" | xmllint --nonet --xpath "$2" - 2>/dev/null; }
well_formed() { printf '%s\n' "$1" | xmllint --nonet --noout - 2>/dev/null; }
tuples() { xp "$1" "count(/*[local-name()='presence']/*[local-name()='tuple'])"; }
tuple_ids() {
	local i n
	n=$(tuples "$1")
	for i in $(seq 1 "$n"); do
		echo "$(xp "$1" "string(/*/*[local-name()='tuple'][$i]/@id)")"
	done | sort | tr '\n' ' '
}

cat >dev1.xml <<XML
<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity="$D">
  <tuple id="d1">
    <status><basic>open</basic></status>
    <contact>sip:dora@10.0.0.1</contact>
    <note>desk phone</note>
  </tuple>
  <dm:person id="p1">
    <rpid:activities><rpid:busy/></rpid:activities>
  </dm:person>
</presence>
XML
cat >dev2.xml <<XML
<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="$D">
  <tuple id="d2">
    <status><basic>closed</basic></status>
    <contact>sip:dora@10.0.0.2</contact>
    <note>mobile</note>
  </tuple>
</presence>
XML
cat >notpidf.xml <<XML
<?xml version="1.0" encoding="UTF-8"?>
<foo xmlns="urn:example:not-pidf"><tuple id="x"><status><basic>open</basic></status></tuple></foo>
XML
cat >nons.xml <<XML
<?xml version="1.0" encoding="UTF-8"?>
<presence entity="$D"><tuple id="x"><status><basic>open</basic></status></tuple></presence>
XML

publish() { # BODYFILE EXTRA-HEADERS
	sip_request PUBLISH $D "Event: presence
Expires: 600
Content-Type: application/pidf+xml${2:+
$2}" "$1"
}

# the watcher: initial NOTIFY (nothing published), device 1, device 2,
# device 1 removed; then unsubscribe and the final NOTIFY.
watch_start wendy $D sip:wendy@127.0.0.1 4
wait_notifies wendy 1
N=$(watch_notify wendy 1)
assert_eq "" "$(msg_hdr "$N" Content-Type)" "no Content-Type while nothing is published"
assert_eq "" "$(msg_body "$N" | tr -d '[:space:]')" "no body while nothing is published"

publish dev1.xml
assert_reply 200 "device 1 publishes"
E1=$(msg_hdr "$REPLY" SIP-ETag)
wait_notifies wendy 2
B=$(msg_body "$(watch_notify wendy 2)")
assert_eq "d1 " "$(tuple_ids "$B")" "tuples after device 1"

publish dev2.xml
assert_reply 200 "device 2 publishes"
E2=$(msg_hdr "$REPLY" SIP-ETag)
assert_ne "$E1" "$E2" "device 2's ETag"
wait_notifies wendy 3
N=$(watch_notify wendy 3)
B=$(msg_body "$N")
assert_eq application/pidf+xml "$(msg_hdr "$N" Content-Type)" "Content-Type of the aggregated NOTIFY"
if well_formed "$B"; then ok "aggregated body is well-formed XML"; else fail "aggregated body not well-formed: $B"; fi
assert_eq presence "$(xp "$B" 'local-name(/*)')" "root element"
assert_eq urn:ietf:params:xml:ns:pidf "$(xp "$B" 'namespace-uri(/*)')" "root namespace"
assert_eq $D "$(xp "$B" 'string(/*/@entity)')" "entity"
assert_eq 2 "$(tuples "$B")" "tuples in the aggregated body"
assert_eq "d1 d2 " "$(tuple_ids "$B")" "tuple ids"
assert_eq open "$(xp "$B" "normalize-space(/*/*[local-name()='tuple'][@id='d1']//*[local-name()='basic'])")" "basic of d1"
assert_eq closed "$(xp "$B" "normalize-space(/*/*[local-name()='tuple'][@id='d2']//*[local-name()='basic'])")" "basic of d2"
assert_eq "mobile" "$(xp "$B" "normalize-space(/*/*[local-name()='tuple'][@id='d2']/*[local-name()='note'])")" "note of d2"
assert_eq 1 "$(xp "$B" "count(/*/*[local-name()='person'])")" "person elements"
assert_eq urn:ietf:params:xml:ns:pidf:data-model "$(xp "$B" "namespace-uri(/*/*[local-name()='person'])")" "namespace of person"
assert_eq 1 "$(xp "$B" "count(/*/*[local-name()='person']/*[local-name()='activities' and namespace-uri()='urn:ietf:params:xml:ns:pidf:rpid']/*[local-name()='busy' and namespace-uri()='urn:ietf:params:xml:ns:pidf:rpid'])")" \
	"rpid:busy in the person's activities"
wait_db
assert_sql "select count(*) from presentity where username='dora'" 2 "dora's publications"

# well-formed, but not PIDF: 400, nothing stored, no NOTIFY.
BODY1=$(sql "select $BODY_SQL from presentity where etag='$E1'")
publish notpidf.xml
assert_reply 400 "PUBLISH with a non-PIDF XML root"
publish nons.xml
assert_reply 400 "PUBLISH with <presence> outside the PIDF namespace"
publish notpidf.xml "SIP-If-Match: $E1"
assert_reply 400 "modify of device 1 with a non-PIDF body"
wait_db
assert_sql "select count(*) from presentity where username='dora'" 2 "dora's publications after the 400s"
assert_eq "$BODY1" "$(sql "select $BODY_SQL from presentity where etag='$E1'")" "device 1's stored body after the 400s"

# device 1 removes its publication: d2, and d1 closed (nothing else of it).
sip_request PUBLISH $D "Event: presence
Expires: 0
SIP-If-Match: $E1"
assert_reply 200 "device 1 removes its publication"
wait_notifies wendy 4
B=$(msg_body "$(watch_notify wendy 4)")
if well_formed "$B"; then ok "body after the removal is well-formed"; else fail "body after the removal not well-formed: $B"; fi
assert_eq "d1 d2 " "$(tuple_ids "$B")" "tuples after device 1's removal: d2, and d1 closed as Kamailio sends (none from the rejected PUBLISHes)"
assert_eq closed "$(xp "$B" "string(/*/*[local-name()='tuple'][@id='d1']//*[local-name()='basic'])")" "d1 closed after its removal"
assert_eq 0 "$(xp "$B" "count(/*/*[local-name()='person'])")" "person elements after device 1's removal"
wait_sql "select count(*) from presentity where username='dora'" 1 "dora's publications after the removal"
watch_wait wendy "wendy: 4 NOTIFYs, unsubscribe, final NOTIFY"
assert_eq 5 "$(trace_count "$(watch_trace wendy)" received '^NOTIFY')" "NOTIFYs wendy received (none for the rejected PUBLISHes)"

# force_dummy_presence=1: a presentity with nothing published.
stop_kamailio
start_kamailio --param=presence_xml:force_dummy_presence:1 || finish
watch_start walt sip:ivan@127.0.0.1 sip:walt@127.0.0.1 1
wait_notifies walt 1
N=$(watch_notify walt 1)
B=$(msg_body "$N")
assert_eq application/pidf+xml "$(msg_hdr "$N" Content-Type)" "Content-Type of the dummy NOTIFY"
if well_formed "$B"; then ok "dummy body is well-formed"; else fail "dummy body not well-formed: $B"; fi
assert_eq urn:ietf:params:xml:ns:pidf "$(xp "$B" 'namespace-uri(/*)')" "dummy root namespace"
assert_eq sip:ivan@127.0.0.1 "$(xp "$B" 'string(/*/@entity)')" "dummy entity"
assert_eq open "$(xp "$B" "normalize-space(/*/*[local-name()='tuple']/*[local-name()='status']/*[local-name()='basic'])")" "dummy basic status"
watch_wait walt "walt: NOTIFY, unsubscribe, final NOTIFY"

# a third device of dora publishes a tuple with the same id d2: one tuple
# d2 is kept, the newest publication's (as Kamailio's aggregation does:
# same kind and id = same element), ids stay unique (a fetch: SUBSCRIBE
# with Expires 0).
sed 's/mobile/tablet/; s/10.0.0.2/10.0.0.3/' dev2.xml >dev3.xml
publish dev3.xml
assert_reply 200 "device 3 publishes a tuple with id d2 too"
watch_start fetch $D sip:fred@127.0.0.1 1 0 0
wait_notifies fetch 1
B=$(msg_body "$(watch_notify fetch 1)")
if well_formed "$B"; then ok "body with the clashing ids is well-formed"; else fail "body with the clashing ids not well-formed: $B"; fi
assert_eq "d2 " "$(tuple_ids "$B")" "tuple ids when two devices use d2"
assert_eq tablet "$(xp "$B" "normalize-space(/*/*[local-name()='tuple']/*[local-name()='note'])")" "the d2 kept is the newest publication's"
watch_wait fetch "fetch: one NOTIFY"
assert_alive
finish
