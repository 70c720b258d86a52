# 16b Sphere conditions (RFC 4745 section 7.2, RFC 4480 sphere) with
# presence's enable_sphere_check: alice's rule allows kim only while her
# published RPID sphere is "work". kim subscribes while alice is at work ->
# active with the body; alice publishes sphere "home" -> kim's NOTIFY keeps
# nothing of alice's state (no rule matches); refreshWatchers type 0 -> kim
# is terminated with reason probation.
. "$(dirname "$0")/../../lib.sh"
ours_only "sphere conditions (the reference's get_sphere differs)" || finish
start_kamailio --param=presence_xml:force_active:0 \
	--param=presence:enable_sphere_check:1 || finish
AL=sip:alice@127.0.0.1
xp() { printf '%s\n' "$1" | xmllint --nonet --xpath "$2" - 2>/dev/null; }

cat >rules.xml <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<cr:ruleset xmlns:cr="urn:ietf:params:xml:ns:common-policy" xmlns:pr="urn:ietf:params:xml:ns:pres-rules">
  <cr:rule id="w">
    <cr:conditions>
      <cr:identity><cr:one id="sip:kim@127.0.0.1"/></cr:identity>
      <cr:sphere value="work"/>
    </cr:conditions>
    <cr:actions><pr:sub-handling>allow</pr:sub-handling></cr:actions>
    <cr:transformations><pr:provide-services><pr:all-services/></pr:provide-services><pr:provide-persons><pr:all-persons/></pr:provide-persons><pr:provide-all-attributes/></cr:transformations>
  </cr:rule>
</cr:ruleset>
XML
d=$(sed "s/'/''/g" rules.xml)
[ "$ENGINE" = postgres ] && v="convert_to('$d','UTF8')" || v="'$d'"
sql "INSERT INTO xcap (username, domain, doc, doc_type, etag, source, doc_uri, port)
	VALUES ('alice', '127.0.0.1', $v, 2, 'e1', 1, '/pres-rules/users/sip:alice@127.0.0.1/index', 80)" >/dev/null

sphere_pidf() { # NOTE SPHERE
	cat <<XML
<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity="$AL">
<tuple id="t1"><status><basic>open</basic></status><note>$1</note></tuple>
<dm:person id="p1"><rpid:sphere>$2</rpid:sphere></dm:person>
</presence>
XML
}
sphere_pidf at-work work >work.xml
sip_request PUBLISH $AL "Event: presence
Expires: 600
Content-Type: application/pidf+xml" work.xml
assert_reply 200 "alice publishes sphere work"
ETAG=$(msg_hdr "$REPLY" SIP-ETag)

watch_start kim $AL sip:kim@127.0.0.1 3 300 0
wait_notifies kim 1
N1=$(watch_notify kim 1)
assert_match '^active' "$(msg_hdr "$N1" Subscription-State)" "kim active while alice is at work"
assert_eq at-work "$(xp "$(msg_body "$N1")" "string(//*[local-name()='note'])")" "kim sees alice's note"

sphere_pidf at-home home >home.xml
sip_request PUBLISH $AL "Event: presence
Expires: 600
SIP-If-Match: $ETAG
Content-Type: application/pidf+xml" home.xml
assert_reply 200 "alice publishes sphere home"
wait_notifies kim 2
B2=$(msg_body "$(watch_notify kim 2)")
assert_eq 0 "$(xp "$B2" "count(//*[local-name()='tuple'])")" "kim's NOTIFY at home reveals no tuple"
assert_no_match at-home "$B2" "kim does not see the home note"

assert_kamcmd "notified 1" presence.refreshWatchers $AL presence 0
wait_notifies kim 3
assert_match '^terminated;reason=probation' "$(msg_hdr "$(watch_notify kim 3)" Subscription-State)" \
	"kim terminated once the rules no longer allow him"
watch_wait kim "kim: 3 NOTIFYs"
finish
