# 61 rls (RFC 4662 resource lists) on our presence, presence_xml and pua:
# Debian's rls module binds to them (bind_presence, bind_pua,
# bind_libxml_api). A watcher subscribes to a list URI defined by an
# rls-services document in the xcap table; the list has two members, one
# of them published "open". The watcher gets 200 and a multipart/related
# NOTIFY whose RLMI names both resources, and (once rls's back-end
# subscriptions, sent through pua to this same server, are answered) the
# member's PIDF inside the multipart body. Run with IMPL=reference the same
# scenario runs on Debian's presence, presence_xml and pua.
. "$(dirname "$0")/../../lib.sh"
. "$CASE_DIR/../6x-rls-lib/rls-lib.sh" || exit 2
LIST=sip:friends61@127.0.0.1
BOB=sip:bob61@127.0.0.1
CAROL=sip:carol61@127.0.0.1
WATCHER=sip:alice61@127.0.0.1

rls_db_create alice61 "$LIST" friends "$BOB" "$CAROL"
rls_start || finish

pidf $BOB open bob-is-here >bob.xml
sip_request PUBLISH $BOB $'Event: presence\nExpires: 600\nContent-Type: application/pidf+xml' bob.xml
assert_reply 200 "PUBLISH of a list member"
ETAG=$(msg_hdr "$REPLY" SIP-ETag)

# the RLS watcher: SUBSCRIBE with eventlist support, then up to 3 NOTIFYs
scen=$WORK/rlsw.xml
{
	echo '<?xml version="1.0" encoding="ISO-8859-1"?>'
	echo '<scenario name="rlsw">'
	printf '%s\n' '<send><![CDATA[' "SUBSCRIBE $LIST SIP/2.0" \
		'Via: SIP/2.0/UDP [local_ip]:[local_port];branch=[branch]' \
		"From: <$WATCHER>;tag=[pid]rls" "To: <$LIST>" 'Call-ID: [call_id]' \
		'CSeq: 1 SUBSCRIBE' 'Max-Forwards: 70' \
		'Contact: <sip:alice61@[local_ip]:[local_port]>' 'Event: presence' \
		'Supported: eventlist' \
		'Accept: application/pidf+xml, application/rlmi+xml, multipart/related' \
		'Expires: 300' 'Content-Length: 0' '' ']]></send>'
	echo '<recv response="200" optional="true" next="ok"/>'
	echo '<recv response="202"/>'
	echo '<label id="ok"/>'
	for i in 1 2 3 4 5 6; do watch_notify_ok; done
	echo '</scenario>'
} >"$scen"
sipp_bg rlsw "$scen" -recv_timeout 8000
T=$(watch_trace rlsw)
wait_notifies rlsw 1
first=$(trace_msg "$T" received '^NOTIFY' 1)
assert_match 'multipart/related' "$(msg_hdr "$first" Content-Type)" "first NOTIFY is multipart/related"
assert_match 'eventlist' "$(msg_hdr "$first" Require)" "NOTIFY requires eventlist"

# parts MSG PREFIX: split a multipart/related NOTIFY into PREFIX<n>.txt
# (each part's body, its headers dropped); RLMI / PIDF pick one by namespace
parts() {
	local boundary
	boundary=$(msg_hdr "$1" Content-Type | sed -n 's/.*boundary="\{0,1\}\([^";]*\).*/\1/p')
	[ -n "$boundary" ] || return 1
	rm -f "$2"*.txt
	msg_body "$1" | tr -d '\r' | awk -v b="--$boundary" -v pre="$2" '
		index($0, b) == 1 { n++; hdr = 1; next }
		hdr && /^$/ { hdr = 0; next }
		!hdr && n { print > (pre n ".txt") }'
}
part_with() { grep -l "$2" "$1"*.txt 2>/dev/null | head -n1; }
X='local-name()'
xp() { xmllint --xpath "$1" "$2" 2>/dev/null; }

assert_ok_parts() { parts "$first" first || fail "first NOTIFY has no multipart boundary"; }
assert_ok_parts
rlmi=$(part_with first urn:ietf:params:xml:ns:rlmi)
assert_ne "" "$rlmi" "first NOTIFY has an RLMI part"
assert_eq "$LIST" "$(xp "string(/*[$X='list']/@uri)" "$rlmi")" "RLMI list uri"
assert_eq true "$(xp "string(/*[$X='list']/@fullState)" "$rlmi")" "first RLMI is full state"
assert_eq 2 "$(xp "count(/*[$X='list']/*[$X='resource'])" "$rlmi")" "full-state RLMI names both members"

# the member's state reaches the list once the back-end NOTIFY came in
has_bob_open() {
	local n i m
	n=$(trace_count "$T" received '^NOTIFY')
	for i in $(seq 1 "$n"); do
		m=$(trace_msg "$T" received '^NOTIFY' "$i")
		printf '%s\n' "$m" | grep -q 'bob-is-here' && { LAST=$m; return 0; }
	done
	return 1
}
if wait_until 10 has_bob_open; then
	ok "a list NOTIFY carries bob's published state"
	parts "$LAST" last || fail "bob's NOTIFY has no multipart boundary"
	rlmi=$(part_with last urn:ietf:params:xml:ns:rlmi)
	bobp=$(part_with last bob-is-here)
	assert_eq 1 "$(xp "count(/*[$X='list']/*[$X='resource'][@uri='$BOB']/*[$X='instance'][@state='active'])" "$rlmi")" "bob's instance is active"
	cid=$(xp "string(/*[$X='list']/*[$X='resource'][@uri='$BOB']/*[$X='instance']/@cid)" "$rlmi")
	assert_ne "" "$cid" "bob's instance names its body part (cid)"
	assert_eq open "$(xp "normalize-space(//*[$X='basic'])" "$bobp")" "bob's PIDF part says open"
	assert_eq "$BOB" "$(xp "string(/*[$X='presence']/@entity)" "$bobp")" "bob's PIDF entity"
else
	fail "no list NOTIFY with bob's state within 10s"
fi

# a change of a member's state reaches the list watcher
pidf $BOB closed bob-has-left >bob2.xml
sip_request PUBLISH $BOB "$(printf 'Event: presence\nExpires: 600\nSIP-If-Match: %s\nContent-Type: application/pidf+xml' "$ETAG")" bob2.xml
assert_reply 200 "PUBLISH modify of the member"
has_bob_left() {
	local n i
	n=$(trace_count "$T" received '^NOTIFY')
	for i in $(seq 1 "$n"); do
		LAST=$(trace_msg "$T" received '^NOTIFY' "$i")
		printf '%s\n' "$LAST" | grep -q 'bob-has-left' && return 0
	done
	return 1
}
if wait_until 10 has_bob_left; then
	ok "the member's new state reaches the list watcher"
	parts "$LAST" mod || fail "modify NOTIFY has no multipart boundary"
	assert_eq closed "$(xp "normalize-space(//*[$X='basic'])" "$(part_with mod bob-has-left)")" "bob's PIDF part now says closed"
else
	fail "no list NOTIFY with bob's new state within 10s"
fi
stop_sipps
assert_alive
finish
