# 78 Pres-rules (force_active 0, the xcap table) read once per request:
# six watchers of alice, five allowed everything by a <many> rule, carol by
# a rule of her own without persons. A SUBSCRIBE's authorization and its
# first NOTIFY read the table once (presence_xml:db_ops +1 a SUBSCRIBE),
# and so does a PUBLISH's whole fan-out (+1, not one per watcher); every
# watcher's NOTIFY is filtered by its own rules (carol: the tuple, no
# person). The rules then change in the table (carol allowed everything),
# with no refreshWatchers: the next PUBLISH's fan-out reads and applies the
# new ones (nothing read in an earlier request is used); each un-SUBSCRIBE
# (its final NOTIFY) reads once more. 4 workers.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../../lib.sh"
CHILDREN=4
start_kamailio --param=presence_xml:force_active:0 || finish
AL=sip:alice@127.0.0.1
CT="Content-Type: application/pidf+xml"
W="w1 w2 w3 w4 w5 carol"

xp() { printf '%s\n' "$1" | xmllint --nonet --xpath "$2" - 2>/dev/null; }
xstat() { kam_rpc stats.get_statistics presence_xml: | sed -n "s/^presence_xml:$1 = //p"; }

ALL='<pr:provide-services><pr:all-services/></pr:provide-services><pr:provide-persons><pr:all-persons/></pr:provide-persons><pr:provide-all-attributes/>'
NOPERSONS='<pr:provide-services><pr:all-services/></pr:provide-services><pr:provide-all-attributes/>'
# set_rules EXCEPT CAROL_TR: everybody at 127.0.0.1 but EXCEPT gets ALL;
# carol gets CAROL_TR
set_rules() {
	local ex=
	[ -n "$1" ] && ex="<cr:except id=\"$1\"/>"
	cat >rules.xml <<XML
<?xml version="1.0" encoding="UTF-8"?>
<cr:ruleset xmlns:cr="urn:ietf:params:xml:ns:common-policy" xmlns:pr="urn:ietf:params:xml:ns:pres-rules">
  <cr:rule id="all"><cr:conditions><cr:identity><cr:many domain="127.0.0.1">$ex</cr:many></cr:identity></cr:conditions>
    <cr:actions><pr:sub-handling>allow</pr:sub-handling></cr:actions><cr:transformations>$ALL</cr:transformations></cr:rule>
  <cr:rule id="carol"><cr:conditions><cr:identity><cr:one id="sip:carol@127.0.0.1"/></cr:identity></cr:conditions>
    <cr:actions><pr:sub-handling>allow</pr:sub-handling></cr:actions><cr:transformations>$2</cr:transformations></cr:rule>
</cr:ruleset>
XML
	sql "DELETE FROM xcap WHERE username='alice' AND domain='127.0.0.1'" >/dev/null
	sql "INSERT INTO xcap (username, domain, doc, doc_type, etag, source, doc_uri, port)
		VALUES ('alice', '127.0.0.1', '$(sed "s/'/''/g" rules.xml)', 2, 'e$RANDOM', 1,
		'/pres-rules/users/sip:alice@127.0.0.1/index', 80)" >/dev/null
}
doc() { # NOTE
	cat <<XML
<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity="$AL">
  <tuple id="t1"><status><basic>open</basic></status><note>$1</note></tuple>
  <dm:person id="p1"><rpid:activities><rpid:busy/></rpid:activities></dm:person>
</presence>
XML
}
ET=
publish() { # NOTE
	doc "$1" >"$1.xml"
	sip_request PUBLISH $AL "Event: presence
Expires: 600${ET:+
SIP-If-Match: $ET}
$CT" "$1.xml"
	assert_reply 200 "alice publishes $1"
	ET=$(msg_hdr "$REPLY" SIP-ETag)
}
persons() { xp "$1" "count(/*/*[local-name()='person'])"; }
# check K NOTE CAROL_PERSONS: every watcher's K-th NOTIFY carries NOTE in
# its tuple, the person for the five, CAROL_PERSONS persons for carol
check() {
	local w b want
	for w in $W; do
		wait_notifies "$w" "$1" || continue
		b=$(msg_body "$(watch_notify "$w" "$1")")
		assert_eq "$2" "$(xp "$b" "normalize-space(//*[local-name()='tuple']/*[local-name()='note'])")" "$w's NOTIFY #$1: the tuple's note"
		want=1
		[ "$w" = carol ] && want=$3
		assert_eq "$want" "$(persons "$b")" "$w's NOTIFY #$1: persons"
	done
}

set_rules sip:carol@127.0.0.1 "$NOPERSONS"
publish round-0
OPS0=$(xstat db_ops)
for w in $W; do
	watch_start "$w" $AL "sip:$w@127.0.0.1" 3
	wait_notifies "$w" 1
done
check 1 round-0 0
OPS1=$(xstat db_ops)
assert_eq 6 "$((OPS1 - OPS0))" "six SUBSCRIBEs: one pres-rules reading each (authorization and first NOTIFY)"

publish round-1
check 2 round-1 0
OPS2=$(xstat db_ops)
assert_eq 1 "$((OPS2 - OPS1))" "a fan-out to six watchers: one pres-rules reading"

set_rules "" "$ALL"
publish round-2
check 3 round-2 1
# then each watcher unsubscribes: its final NOTIFY carries the state, the
# one reading of that request
for w in $W; do watch_wait "$w"; done
OPS3=$(xstat db_ops)
assert_eq 7 "$((OPS3 - OPS2))" "the next fan-out and six un-SUBSCRIBEs: one reading each"
assert_num -le 0 "$(xstat db_errors)" "no pres-rules reading failed"
assert_alive
finish
