# 73 The presence RPC commands over kamcmd, with Kamailio's names, argument
# order and output fields: presence.presentity_list [full] (5.6: user,
# domain, event, etag, sender, expires; full adds received_time, priority,
# ruid, body, hashid), presence.presentity_show <mode> <user> <domain> ('*' any) or <mode> <uri>, and
# presence.watcher_list <mode> <uri> or <uri> <event> (5.7, ours only), presence.
# updateWatchers <uri> <event> (a pending watcher becomes active once a
# pres-rules document allows it), presence.refreshWatchers with type 2 and
# its file arguments, and the errors for missing arguments.
. "$(dirname "$0")/../../lib.sh"
P=(--param=presence_xml:force_active:0)
# Kamailio's presentity_list lists its memory store: publ_cache 2
is_reference && P+=(--param=presence:publ_cache:2)
start_kamailio "${P[@]}" || finish
C=sip:cara@127.0.0.1

pidf $C open cara-73a >a.xml
pidf $C closed cara-73b >b.xml
sip_request PUBLISH $C "Event: presence
Expires: 600
Content-Type: application/pidf+xml" a.xml
assert_reply 200 "cara publishes from a first device"
EA=$(msg_hdr "$REPLY" SIP-ETag)
T0=$(date +%s)
sip_request PUBLISH $C "Event: presence
Expires: 900
Content-Type: application/pidf+xml" b.xml
assert_reply 200 "cara publishes from a second device"
EB=$(msg_hdr "$REPLY" SIP-ETag)
pidf sip:dan@127.0.0.1 open dan-73 >d.xml
sip_request PUBLISH sip:dan@127.0.0.1 "Event: presence
Expires: 600
Content-Type: application/pidf+xml" d.xml
assert_reply 200 "dan publishes"

# record ETAG OUTPUT: the struct of the record with that etag, one
# "name: value" per line (body lines joined)
record() {
	printf '%s\n' "$2" | awk -v e="$1" '
		/^\{/ { r = ""; next }
		/^\}/ { if (r ~ "\netag: " e "\n") { printf "%s", r; exit } next }
		{ sub(/^\t/, ""); r = r "\n" $0 }
		END {}' | sed '/^$/d'
}
field() { printf '%s\n' "$1" | sed -n "s/^$2: //p" | head -n1; }
names() { printf '%s\n' "$1" | sed -n 's/^\([a-z_]*\): .*/\1/p' | xargs; }

OUT=$(kam_rpc presence.presentity_list)
assert_eq 3 "$(printf '%s\n' "$OUT" | grep -c '^{')" "presentity_list: three records"
R=$(record "$EB" "$OUT")
assert_eq "user domain event etag sender expires" "$(names "$R")" "presentity_list: fields"
assert_eq "cara 127.0.0.1 presence $EB" \
	"$(for f in user domain event etag; do field "$R" $f; done | xargs)" "presentity_list: cara's second record"
X=$(field "$R" expires)
assert_num -ge $((T0 + 899)) "$X" "presentity_list: expires (absolute, now + 900)"
assert_num -le $((T0 + 902)) "$X" "presentity_list: expires (absolute, now + 900)"
wait_db
is_reference || assert_sql "select expires from presentity where etag='$EB'" "$X" "presentity_list: expires as stored"

OUT=$(kam_rpc presence.presentity_list full)
R=$(record "$EA" "$OUT")
assert_eq "user domain event etag sender expires received_time priority ruid body hashid" \
	"$(names "$R")" "presentity_list full: fields"
assert_eq 0 "$(field "$R" priority)" "presentity_list full: priority (no xavp_cfg)"
RT=$(field "$R" received_time)
assert_num -ge "$((T0 - 2))" "$RT" "presentity_list full: received_time"
assert_match '^-?[0-9]+$' "$(field "$R" hashid)" "presentity_list full: hashid"
assert_match 'cara-73a' "$(printf '%s\n' "$OUT" | awk -v e="$EA" '$0 ~ "etag: " e { f = 1 } f && /<note>/ { print; exit }')" "presentity_list full: body"

if ours_only "presentity_show (Kamailio 5.7)"; then
	OUT=$(kam_rpc presence.presentity_show basic $C)
	assert_eq 2 "$(printf '%s\n' "$OUT" | grep -c '^{')" "presentity_show basic cara: her two records"
	assert_no_match 'dan' "$OUT" "presentity_show: not dan's"
	assert_eq "user domain event etag sender expires" "$(names "$(record "$EA" "$OUT")")" "presentity_show basic: fields"
	OUT=$(kam_rpc presence.presentity_show full $C)
	assert_eq "user domain event etag sender expires received_time priority ruid body hashid" \
		"$(names "$(record "$EB" "$OUT")")" "presentity_show full: fields"
	assert_eq 0 "$(kam_rpc presence.presentity_show basic sip:nobody@127.0.0.1 | grep -c '^{')" "presentity_show of nobody: empty"
	# Kamailio 5.7's documented form: <mode> <user> <domain>, '*' for any
	OUT=$(kam_rpc presence.presentity_show basic cara 127.0.0.1)
	assert_eq 2 "$(printf '%s\n' "$OUT" | grep -c '^{')" "presentity_show basic cara 127.0.0.1: her two records"
	OUT=$(kam_rpc presence.presentity_show basic '*' 127.0.0.1)
	assert_eq 3 "$(printf '%s\n' "$OUT" | grep -c '^{')" "presentity_show basic * 127.0.0.1: cara's two and dan's"
	OUT=$(kam_rpc presence.presentity_show basic dan '*')
	assert_eq 1 "$(printf '%s\n' "$OUT" | grep -c '^{')" "presentity_show basic dan *: dan's"
	assert_eq 0 "$(kam_rpc presence.presentity_show basic cara example.org | grep -c '^{')" "presentity_show of another domain: empty"
	assert_match 'error' "$(kam_rpc presence.presentity_show 2>&1)" "presentity_show without arguments: an error"
fi

# ---- a pending watcher (force_active 0, no rules yet)
watch_start w1 $C sip:wyatt@127.0.0.1 2 300 0
wait_notifies w1 1
assert_match '^pending' "$(msg_hdr "$(watch_notify w1 1)" Subscription-State)" "wyatt: pending without a rule"
if ours_only "watcher_list (Kamailio 5.7)"; then
	OUT=$(kam_rpc presence.watcher_list $C presence)
	assert_eq 1 "$(printf '%s\n' "$OUT" | grep -c '^{')" "watcher_list: one watcher"
	W=$(printf '%s\n' "$OUT" | sed -n '/^{/,/^}/p' | sed 's/^\t//')
	assert_eq "presentity_uri watcher_username watcher_domain event status expires callid to_tag from_tag contact local_cseq reason version user_agent" \
		"$(names "$W")" "watcher_list: fields"
	assert_eq "$C wyatt 127.0.0.1 presence 2" \
		"$(for f in presentity_uri watcher_username watcher_domain event status; do field "$W" $f; done | xargs)" \
		"watcher_list: wyatt, pending"
	assert_eq "$(msg_hdr "$(watch_notify w1 1)" Call-ID)" "$(field "$W" callid)" "watcher_list: the dialog's Call-ID"
	assert_eq 0 "$(kam_rpc presence.watcher_list $C dialog | grep -c '^{')" "watcher_list of another event: empty"
	assert_match 'error' "$(kam_rpc presence.watcher_list $C 2>&1)" "watcher_list without the event: an error"
	# Kamailio 5.7's documented form: <mode> <uri>, every event
	OUT=$(kam_rpc presence.watcher_list basic $C)
	assert_eq 1 "$(printf '%s\n' "$OUT" | grep -c '^{')" "watcher_list basic: one watcher"
	W=$(printf '%s\n' "$OUT" | sed -n '/^{/,/^}/p' | sed 's/^\t//')
	assert_eq "presentity_uri watcher_username watcher_domain event status expires" \
		"$(names "$W")" "watcher_list basic: fields"
	W=$(kam_rpc presence.watcher_list full $C | sed -n '/^{/,/^}/p' | sed 's/^\t//')
	assert_eq "$(msg_hdr "$(watch_notify w1 1)" Call-ID)" "$(field "$W" callid)" "watcher_list full: the dialog's Call-ID"
	assert_eq 0 "$(kam_rpc presence.watcher_list basic sip:nobody@127.0.0.1 | grep -c '^{')" "watcher_list basic of nobody: empty"
fi

# ---- updateWatchers: a pres-rules document now allows wyatt
cat >rules.xml <<XML
<?xml version="1.0" encoding="UTF-8"?>
<cr:ruleset xmlns:cr="urn:ietf:params:xml:ns:common-policy" xmlns:pr="urn:ietf:params:xml:ns:pres-rules">
  <cr:rule id="a">
    <cr:conditions><cr:identity><cr:one id="sip:wyatt@127.0.0.1"/></cr:identity></cr:conditions>
    <cr:actions><pr:sub-handling>allow</pr:sub-handling></cr:actions>
    <cr:transformations><pr:provide-services><pr:all-services/></pr:provide-services><pr:provide-persons><pr:all-persons/></pr:provide-persons><pr:provide-devices><pr:all-devices/></pr:provide-devices><pr:provide-all-attributes/></cr:transformations>
  </cr:rule>
</cr:ruleset>
XML
D=$(sed "s/'/''/g" rules.xml)
[ "$ENGINE" = postgres ] && D="convert_to('$D','UTF8')" || D="'$D'"
sql "INSERT INTO xcap (username, domain, doc, doc_type, etag, source, doc_uri, port)
	VALUES ('cara', '127.0.0.1', $D, 2, 'e73', 1, '/pres-rules/users/$C/index', 80)" >/dev/null
assert_match 'error' "$(kam_rpc presence.updateWatchers $C 2>&1)" "updateWatchers without the event: an error"
kam_rpc presence.updateWatchers $C presence >upd.out 2>&1
assert_eq "" "$(cat upd.out)" "updateWatchers cara presence: no output"
wait_notifies w1 2
N=$(watch_notify w1 2)
assert_match '^active' "$(msg_hdr "$N" Subscription-State)" "wyatt: active after updateWatchers"
assert_match 'cara-73' "$(msg_body "$N")" "wyatt: the NOTIFY carries cara's state"
watch_wait w1 "wyatt: pending NOTIFY, then active"

# ---- refreshWatchers: type 2 needs the file arguments
assert_match 'error' "$(kam_rpc presence.refreshWatchers $C presence 2 2>&1)" "refreshWatchers type 2 without file_uri/filename: an error"
assert_match 'error' "$(kam_rpc presence.refreshWatchers $C nosuchevent 1 2>&1)" "refreshWatchers with an unknown event: an error"
assert_kamcmd "" presence.refreshWatchers $C presence 1
assert_alive
finish
