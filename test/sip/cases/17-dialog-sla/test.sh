# 17 dialog;sla (bridged line appearance, dialog-info RFC 4235), with
# disable_bla=0: two devices of line1 publish their dialogs (PUBLISH with a
# Sender header naming the device, handle_publish's sender_uri) and both
# watch the line. Each NOTIFY body aggregates both devices' dialogs into one
# dialog-info document for the line; its version counts that watcher's
# NOTIFYs (0, 1, 2, ...); a device is not notified of its own change but is
# of the other's, and both are of a change published without Sender. A
# dialog-info PUBLISH whose body is not XML gets 400.
. "$(dirname "$0")/../../lib.sh"
start_kamailio -A WITH_TRUSTED_SENDER --param=presence_xml:disable_bla:0 || finish
L=sip:line1@127.0.0.1
D1=sip:dev1@127.0.0.1
D2=sip:dev2@127.0.0.1

xp() { printf '%s\n' "$1" | xmllint --nonet --xpath "$2" - 2>/dev/null; }
well_formed() { printf '%s\n' "$1" | xmllint --nonet --noout - 2>/dev/null; }
# dstate BODY ID: the <state> of dialog ID; ndialogs BODY
dstate() { xp "$1" "normalize-space(/*/*[local-name()='dialog'][@id='$2']/*[local-name()='state'])"; }
ndialogs() { xp "$1" "count(/*/*[local-name()='dialog'])"; }
version() { xp "$1" 'string(/*/@version)'; }

# subscriber NAME PRES WATCHER EVENT ACCEPT STEP... (see case 14)
subscriber() {
	local name=$1 pres=$2 watcher=$3 event=$4 accept=$5 user cseq=0 st
	shift 5
	user=${watcher#sip:} user=${user%%@*}
	{
		echo '<?xml version="1.0" encoding="ISO-8859-1"?>'
		echo "<scenario name=\"$name\">"
		for st in "$@"; do
			case "$st" in
			sub:*)
				cseq=$((cseq + 1))
				printf '%s\n' '<send><![CDATA[' \
					"SUBSCRIBE $pres SIP/2.0" \
					'Via: SIP/2.0/UDP [local_ip]:[local_port];branch=[branch]' \
					"From: <$watcher>;tag=[pid]w[call_number]" \
					"To: <$pres>$([ $cseq -gt 1 ] && echo '[peer_tag_param]')" \
					'Call-ID: [call_id]' "CSeq: $cseq SUBSCRIBE" \
					'Max-Forwards: 70' \
					"Contact: <sip:$user@[local_ip]:[local_port]>" \
					"Event: $event" "Accept: $accept" \
					"Expires: $(echo "$st" | cut -d: -f2)" \
					'Content-Length: [len]' '' ']]></send>'
				code=$(echo "$st" | cut -d: -f3)
				# subs_respond_200 (default 1, RFC 6665): 200 where 202 was
				[ "$code" = 202 ] && echo "<recv response=\"200\" optional=\"true\" next=\"ok$cseq\"/>"
				echo "<recv response=\"$code\"/>"
				[ "$code" = 202 ] && echo "<label id=\"ok$cseq\"/>"
				;;
			notify) watch_notify_ok ;;
			esac
		done
		echo '</scenario>'
	} >"$WORK/$name.xml"
	sipp_bg "$name" "$WORK/$name.xml" -recv_timeout 10000
}

# dinfo FILE ID STATE CALLID: a dialog-info document with one dialog.
dinfo() {
	cat >"$1" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="0" state="full" entity="$L">
  <dialog id="$2" call-id="$4" local-tag="lt-$2" remote-tag="rt-$2" direction="initiator">
    <state>$3</state>
    <local><identity>$L</identity></local>
  </dialog>
</dialog-info>
XML
}
# publish BODYFILE [HEADER...]
publish() {
	local f=$1 h="Event: dialog;sla
Expires: 600
Content-Type: application/dialog-info+xml"
	shift
	for x in "$@"; do h="$h
$x"; done
	sip_request PUBLISH $L "$h" "$f"
}

# device 1 has a call up before anyone watches the line.
dinfo d1-early.xml d1 early call-1
publish d1-early.xml "Sender: $D1"
assert_reply 200 "device 1 publishes its early dialog"
E1=$(msg_hdr "$REPLY" SIP-ETag)

# dev1: initial, dev2's publish, dev2's modify, the removal without Sender.
subscriber dev1 $L $D1 'dialog;sla' application/dialog-info+xml \
	sub:300:202 notify notify notify notify sub:0:202 notify
# dev2: initial, dev1's modify, the removal without Sender.
subscriber dev2 $L $D2 'dialog;sla' application/dialog-info+xml \
	sub:300:202 notify notify notify sub:0:202 notify
wait_notifies dev1 1
wait_notifies dev2 1
for d in dev1 dev2; do
	N=$(watch_notify $d 1)
	B=$(msg_body "$N")
	assert_eq application/dialog-info+xml "$(msg_hdr "$N" Content-Type)" "$d: Content-Type of the first NOTIFY"
	assert_eq 'dialog;sla' "$(msg_hdr "$N" Event)" "$d: Event of the first NOTIFY"
	if well_formed "$B"; then ok "$d: first body well-formed"; else fail "$d: first body not well-formed: '$B'"; fi
	assert_eq urn:ietf:params:xml:ns:dialog-info "$(xp "$B" 'namespace-uri(/*)')" "$d: root namespace"
	assert_eq $L "$(xp "$B" 'string(/*/@entity)')" "$d: entity"
	assert_eq 0 "$(version "$B")" "$d: version of the first NOTIFY"
	assert_eq early "$(dstate "$B" d1)" "$d: state of d1"
done

# device 2 starts a call: dev1 notified, dev2 (the sender) not.
dinfo d2-trying.xml d2 trying call-2
publish d2-trying.xml "Sender: $D2"
assert_reply 200 "device 2 publishes (Sender: dev2)"
E2=$(msg_hdr "$REPLY" SIP-ETag)
wait_notifies dev1 2
B=$(msg_body "$(watch_notify dev1 2)")
assert_eq 2 "$(ndialogs "$B")" "dev1: dialogs in the aggregated body"
assert_eq early "$(dstate "$B" d1)" "dev1: d1"
assert_eq trying "$(dstate "$B" d2)" "dev1: d2"
assert_eq 1 "$(version "$B")" "dev1: version of its 2nd NOTIFY"
assert_eq full "$(xp "$B" 'string(/*/@state)')" "dev1: state attribute"

# device 1's call is answered: dev2 notified, dev1 not.
dinfo d1-confirmed.xml d1 confirmed call-1
publish d1-confirmed.xml "Sender: $D1" "SIP-If-Match: $E1"
assert_reply 200 "device 1 modifies (Sender: dev1)"
E1=$(msg_hdr "$REPLY" SIP-ETag)
wait_notifies dev2 2
B=$(msg_body "$(watch_notify dev2 2)")
if well_formed "$B"; then ok "dev2: aggregated body well-formed"; else fail "dev2: aggregated body not well-formed: '$B'"; fi
assert_eq 2 "$(ndialogs "$B")" "dev2: dialogs in the aggregated body"
assert_eq confirmed "$(dstate "$B" d1)" "dev2: d1"
assert_eq trying "$(dstate "$B" d2)" "dev2: d2"
assert_eq call-1 "$(xp "$B" "string(/*/*[local-name()='dialog'][@id='d1']/@call-id)")" "dev2: d1's call-id"
assert_eq 1 "$(version "$B")" "dev2: version of its 2nd NOTIFY"

# device 2's call ends: dev1 notified (and was not for its own modify).
dinfo d2-term.xml d2 terminated call-2
publish d2-term.xml "Sender: $D2" "SIP-If-Match: $E2"
assert_reply 200 "device 2 modifies (Sender: dev2)"
wait_notifies dev1 3
B=$(msg_body "$(watch_notify dev1 3)")
assert_eq confirmed "$(dstate "$B" d1)" "dev1: d1 in its 3rd NOTIFY (no NOTIFY came for its own modify)"
assert_eq terminated "$(dstate "$B" d2)" "dev1: d2 in its 3rd NOTIFY"
assert_eq 2 "$(version "$B")" "dev1: version of its 3rd NOTIFY"

# not XML: 400, nothing changes.
printf 'this is <not xml' >bad.txt
publish bad.txt "Sender: $D1"
assert_reply 400 "dialog-info PUBLISH with a non-XML body"
publish bad.txt "SIP-If-Match: $E1"
assert_reply 400 "dialog-info modify with a non-XML body"
wait_db
assert_sql "select count(*) from presentity where username='line1'" 2 "line1's publications after the 400s"

# device 1 removes its publication without Sender: both notified.
sip_request PUBLISH $L "Event: dialog;sla
Expires: 0
SIP-If-Match: $E1"
assert_reply 200 "device 1 removes its publication (no Sender)"
wait_notifies dev1 4
wait_notifies dev2 3
B=$(msg_body "$(watch_notify dev1 4)")
assert_eq 1 "$(ndialogs "$B")" "dev1: dialogs after the removal"
assert_eq terminated "$(dstate "$B" d2)" "dev1: d2 after the removal"
assert_eq 3 "$(version "$B")" "dev1: version of its 4th NOTIFY"
B=$(msg_body "$(watch_notify dev2 3)")
assert_eq 1 "$(ndialogs "$B")" "dev2: dialogs after the removal"
assert_eq "" "$(dstate "$B" d1)" "dev2: d1 gone after the removal"
assert_eq 2 "$(version "$B")" "dev2: version of its 3rd NOTIFY"

watch_wait dev1 "dev1: 4 NOTIFYs, unsubscribe, final NOTIFY"
watch_wait dev2 "dev2: 3 NOTIFYs, unsubscribe, final NOTIFY"
assert_eq 5 "$(trace_count "$(watch_trace dev1)" received '^NOTIFY')" "NOTIFYs dev1 received"
assert_eq 4 "$(trace_count "$(watch_trace dev2)" received '^NOTIFY')" "NOTIFYs dev2 received"
for d in dev1 dev2; do
	N=$(watch_notify $d -1)
	assert_match '^terminated' "$(msg_hdr "$N" Subscription-State)" "$d: final NOTIFY"
	B=$(msg_body "$N")
	if [ -n "$(printf '%s' "$B" | tr -d '[:space:]')" ]; then
		assert_eq $(($(trace_count "$(watch_trace $d)" received '^NOTIFY') - 1)) "$(version "$B")" \
			"$d: version of the final NOTIFY"
	fi
done
assert_alive
finish
