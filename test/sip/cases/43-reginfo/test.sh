# 43 registration state: Debian's presence_reginfo (Event: reg, RFC 3680) on
# our presence. A registrar PUBLISHes application/reginfo+xml for an AoR; a
# watcher SUBSCRIBEd to reg gets it (checked with xmllint), then the
# contact's expiry as a modify. Same script under IMPL=reference.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../../lib.sh"
. "$HERE/../41-blf-dialoginfo/evmod.sh"
start_kamailio -A WITH_REGINFO || finish
U=sip:reguser@127.0.0.1
CT=application/reginfo+xml
EV=reg

# reginfo FILE VERSION STATE EVENT
reginfo() {
	cat >"$1" <<XML
<?xml version="1.0"?>
<reginfo xmlns="urn:ietf:params:xml:ns:reginfo" version="$2" state="full">
  <registration aor="$U" id="a7" state="$3">
    <contact id="c1" state="$3" event="$4" expires="3600">
      <uri>sip:reguser@192.0.2.7:5060</uri>
    </contact>
  </registration>
</reginfo>
XML
}
rxp() { xp "$1" "string($2)"; }
R="/*[local-name()='reginfo']/*[local-name()='registration']"

reginfo r1.xml 0 active registered
publish $U $EV $CT r1.xml
assert_reply 200 "registrar PUBLISHes the registration"
E=$(msg_hdr "$REPLY" SIP-ETag)

subscriber watcher $U sip:admin@127.0.0.1 $EV $CT sub:300:2xx notify notify sub:0:2xx notify
wait_notifies watcher 1
N=$(watch_notify watcher 1)
B=$(msg_body "$N")
assert_eq $EV "$(msg_hdr "$N" Event)" "Event of the first NOTIFY"
assert_eq $CT "$(msg_hdr "$N" Content-Type)" "Content-Type of the first NOTIFY"
assert_match '^active' "$(msg_hdr "$N" Subscription-State)" "no authorization: the watcher is active"
if well_formed "$B"; then ok "first body well-formed"; else fail "first body not well-formed: '$B'"; fi
assert_eq urn:ietf:params:xml:ns:reginfo "$(xp "$B" 'namespace-uri(/*)')" "root namespace"
assert_eq $U "$(rxp "$B" "$R/@aor")" "aor"
assert_eq active "$(rxp "$B" "$R/@state")" "registration state"
assert_eq registered "$(rxp "$B" "$R/*[local-name()='contact']/@event")" "contact event"
assert_eq sip:reguser@192.0.2.7:5060 "$(xp "$B" "normalize-space($R/*[local-name()='contact']/*[local-name()='uri'])")" "contact uri"

reginfo r2.xml 1 terminated expired
publish $U $EV $CT r2.xml "SIP-If-Match: $E"
assert_reply 200 "registrar modifies: the contact expired"
wait_notifies watcher 2
B=$(msg_body "$(watch_notify watcher 2)")
assert_eq terminated "$(rxp "$B" "$R/@state")" "second NOTIFY: registration terminated"
assert_eq expired "$(rxp "$B" "$R/*[local-name()='contact']/@event")" "second NOTIFY: contact expired"

watch_wait watcher "watcher: 2 NOTIFYs, unsubscribe, final NOTIFY"
assert_alive
finish
