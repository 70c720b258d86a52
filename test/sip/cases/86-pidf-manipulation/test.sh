# 86 pidf-manipulation (RFC 4827): the presentity's "hard state" uploaded
# over XCAP to Kamailio's xcap_server, whose xhttp route calls
# pres_refresh_watchers(uri, "presence", 2, uri_adoc, file) as Kamailio's
# xcap_server documentation shows. The document becomes one of bob's
# publications: a watcher with no other publication to see gets a NOTIFY
# with its state; a PUBLISH from a phone is aggregated with it; the DELETE
# of the document removes it again. Run with IMPL=reference on Debian's
# presence and presence_xml.
. "$(dirname "$0")/../../lib.sh"
BOB=sip:bob86@127.0.0.1
ALICE=sip:alice86@127.0.0.1
start_xcap_kamailio --param=presence_xml:force_active:1 || finish

# settled: the NOTIFY count of w1 did not change since the last call
settled() {
	local n
	n=$(trace_count "$(watch_trace w1)" received '^NOTIFY')
	[ "$n" = "${SEEN:-}" ] && return 0
	SEEN=$n
	return 1
}
# settle_last: wait until w1's NOTIFYs stop coming, the last one's body to
# last.xml (SEEN: its number)
settle_last() {
	SEEN=
	wait_until 5 settled
	msg_body "$(watch_notify w1 "$SEEN")" >last.xml
	cp last.xml "notify$SEEN.xml"
}
basic() { xmllint --xpath "normalize-space(//*[local-name()='basic'])" last.xml 2>/dev/null; }
REF="Kamailio 5.6.3 logs 'No E-Tag match index' and stores no hard state"

watch_start w1 $BOB $ALICE 6 300 0
wait_notifies w1 1
n1=$(watch_notify w1 1)
assert_match '^active' "$(msg_hdr "$n1" Subscription-State)" "force_active: active"
assert_eq "" "$(msg_body "$n1" | xmllint --xpath "normalize-space(//*[local-name()='basic'])" - 2>/dev/null)" \
	"no publication yet: no basic state"

XURI="http://127.0.0.1:$PORT/xcap-root/pidf-manipulation/users/$BOB/index"
pidf $BOB open hard-state | sed 's/id="t1"/id="hard"/' >hard.xml
code=$(curl -s -o put.out -w '%{http_code}' -X PUT --data-binary @hard.xml \
	-H 'Content-Type: application/pidf+xml' "$XURI")
assert_match '^20[01]$' "$code" "XCAP PUT of pidf-manipulation"
assert_eq 1 "$(sql "select count(*) from xcap where username='bob86' and doc_type=16")" \
	"pidf-manipulation row (doc_type 16) in the xcap table"
wait_notifies w1 2
settle_last
if ours_only "$REF"; then
	assert_eq open "$(basic)" "the NOTIFY after the PUT carries the hard state"
	grep -q hard-state last.xml || fail "the hard state's note is in the NOTIFY"
fi
k=$SEEN
note "NOTIFYs after the PUT: $((k - 1)); presentity rows: $(sql "select count(*) from presentity where username='bob86'")"

# a phone publishes closed on top: both are aggregated into one document
pidf $BOB closed phone-state >phone.xml
sip_request PUBLISH $BOB $'Event: presence\nExpires: 600\nContent-Type: application/pidf+xml' phone.xml
assert_reply 200 "PUBLISH from a phone"
wait_notifies w1 $((k + 1))
settle_last
ours_only "$REF" && { grep -q hard-state last.xml || fail "the hard state stays in the aggregate"; }
grep -q phone-state last.xml || fail "the phone's state is in the aggregate"
k=$SEEN

code=$(curl -s -o del.out -w '%{http_code}' -X DELETE "$XURI")
assert_eq 200 "$code" "XCAP DELETE"
ours_only "$REF" && wait_notifies w1 $((k + 1))
settle_last
grep -q hard-state last.xml && fail "after the DELETE the hard state is gone"
grep -q phone-state last.xml || fail "after the DELETE the phone's state remains"
wait_db
assert_eq 1 "$(sql "select count(*) from presentity where username='bob86'")" \
	"only the phone's publication is stored"
stop_sipps
assert_alive
finish
