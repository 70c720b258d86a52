# 77 Pres-rules (force_active 0, the xcap table) read once per fan-out
# outside a request too: four watchers of alice allowed everything by one
# rule. presence.refreshWatchers type 1 (the RPC process), type 0 (the
# rules asked again for every watcher) and the expiry of her publication
# (the clean timer's fan-out, its tuple closed) each read the table once,
# not once per watcher (presence tells presence_xml where a fan-out opens
# and closes, presence_ext.h); the next one reads again. A PUBLISH's
# fan-out reads once, as in case 78.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../../lib.sh"
start_kamailio --param=presence_xml:force_active:0 \
	--param=presence:clean_period:1 --param=presence:min_expires:1 || finish
AL=sip:alice@127.0.0.1
W="w1 w2 w3 w4"

xp() { printf '%s\n' "$1" | xmllint --nonet --xpath "$2" - 2>/dev/null; }
xstat() { kam_rpc stats.get_statistics presence_xml: | sed -n "s/^presence_xml:$1 = //p"; }

set_rules() { # ETAG
	cat >rules.xml <<XML
<?xml version="1.0" encoding="UTF-8"?>
<cr:ruleset xmlns:cr="urn:ietf:params:xml:ns:common-policy" xmlns:pr="urn:ietf:params:xml:ns:pres-rules">
  <cr:rule id="all"><cr:conditions><cr:identity><cr:many domain="127.0.0.1"/></cr:identity></cr:conditions>
    <cr:actions><pr:sub-handling>allow</pr:sub-handling></cr:actions><cr:transformations><pr:provide-services><pr:all-services/></pr:provide-services><pr:provide-persons><pr:all-persons/></pr:provide-persons><pr:provide-all-attributes/></cr:transformations></cr:rule>
</cr:ruleset>
XML
	sql "DELETE FROM xcap WHERE username='alice' AND domain='127.0.0.1'" >/dev/null
	sql "INSERT INTO xcap (username, domain, doc, doc_type, etag, source, doc_uri, port)
		VALUES ('alice', '127.0.0.1', '$(sed "s/'/''/g" rules.xml)', 2, '$1', 1,
		'/pres-rules/users/sip:alice@127.0.0.1/index', 80)" >/dev/null
}
ET=
publish() { # NOTE EXPIRES
	pidf $AL open "$1" >"$1.xml"
	sip_request PUBLISH $AL "Event: presence
Expires: $2${ET:+
SIP-If-Match: $ET}
Content-Type: application/pidf+xml" "$1.xml"
	assert_reply 200 "alice publishes $1 for $2 s"
	ET=$(msg_hdr "$REPLY" SIP-ETag)
}
# every_notify K WHAT XPATH WANT: each watcher's K-th NOTIFY, XPATH = WANT
every_notify() {
	local w
	for w in $W; do
		wait_notifies "$w" "$1" || continue
		assert_eq "$4" "$(xp "$(msg_body "$(watch_notify "$w" "$1")")" "$3")" "$w's NOTIFY #$1 ($2)"
	done
}
NOTE="normalize-space(//*[local-name()='tuple']/*[local-name()='note'])"
BASIC="normalize-space(//*[local-name()='basic'])"
ops_since() { echo $(($(xstat db_ops) - $1)); }

set_rules e1
publish round-0 600
for w in $W; do watch_start "$w" $AL "sip:$w@127.0.0.1" 4; done
every_notify 1 "after the SUBSCRIBE" "$NOTE" round-0
OPS=$(xstat db_ops)

assert_kamcmd "" presence.refreshWatchers $AL presence 1
every_notify 2 "refreshWatchers type 1" "$NOTE" round-0
assert_eq 1 "$(ops_since "$OPS")" "refreshWatchers type 1 to four watchers: one pres-rules reading"

OPS=$(xstat db_ops)
set_rules e2
assert_kamcmd "" presence.refreshWatchers $AL presence 0
assert_eq 1 "$(ops_since "$OPS")" "refreshWatchers type 0, four watchers asked again: one pres-rules reading"

OPS=$(xstat db_ops)
publish round-3 5
every_notify 3 "the PUBLISH's fan-out" "$NOTE" round-3
assert_eq 1 "$(ops_since "$OPS")" "a PUBLISH's fan-out to four watchers: one pres-rules reading"

OPS=$(xstat db_ops)
every_notify 4 "the publication expired" "$BASIC" closed
assert_eq 1 "$(ops_since "$OPS")" "the expiry's fan-out (clean timer) to four watchers: one pres-rules reading"

OPS=$(xstat db_ops)
for w in $W; do watch_wait "$w"; done
assert_eq 0 "$(ops_since "$OPS")" "then four un-SUBSCRIBEs: nothing published, so no body to filter and no reading"
assert_num -le 0 "$(xstat db_errors)" "no pres-rules reading failed"
assert_alive
finish
