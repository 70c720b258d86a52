# 14 presence.winfo (RFC 3857 / 3858): alice's own winfo subscription is
# answered 200 with a full watcherinfo document (version 0) listing wanda,
# who already watches her; bob subscribing to alice's presence gives alice
# a partial NOTIFY (version 1, bob active/approved, force_active=1), bob's
# unsubscription another (version 2, bob terminated); a refresh of the winfo
# subscription brings the full document again (version 3: wanda only);
# carol may not watch alice's watchers (403).
. "$(dirname "$0")/../../lib.sh"
start_kamailio || finish
AL=sip:alice@127.0.0.1

# xp XML XPATH: evaluate an XPath (use local-name(): no prefixes) on a body.
xp() { printf '%s\n' "$1" | xmllint --nonet --xpath "$2" - 2>/dev/null; }

# subscriber NAME PRES WATCHER EVENT ACCEPT STEP...: a background sipp that
# runs the steps in one dialog: "sub:EXPIRES:CODE" sends the initial (then
# in-dialog) SUBSCRIBE and expects CODE; "notify" answers one NOTIFY 200.
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
				echo "<recv response=\"$(echo "$st" | cut -d: -f3)\"/>"
				;;
			notify) watch_notify_ok ;;
			esac
		done
		echo '</scenario>'
	} >"$WORK/$name.xml"
	sipp_bg "$name" "$WORK/$name.xml" -recv_timeout 10000
}

# wanda watches alice's presence and stays subscribed.
watch_start wanda $AL sip:wanda@127.0.0.1 1 300 0
wait_notifies wanda 1
watch_wait wanda "wanda subscribed to alice's presence"

# alice's winfo dialog: initial (200), full, +bob, -bob, refresh, full,
# unsubscribe, final NOTIFY.
subscriber alice $AL $AL presence.winfo application/watcherinfo+xml \
	sub:300:200 notify notify notify sub:300:200 notify sub:0:200 notify
wait_notifies alice 1
N=$(watch_notify alice 1)
B=$(msg_body "$N")
assert_eq application/watcherinfo+xml "$(msg_hdr "$N" Content-Type)" "Content-Type of the first winfo NOTIFY"
assert_eq presence.winfo "$(msg_hdr "$N" Event)" "Event of the first winfo NOTIFY"
assert_match '^active;expires=' "$(msg_hdr "$N" Subscription-State)" "Subscription-State of the first winfo NOTIFY"
assert_eq 200 "$(trace_msg "$(watch_trace alice)" received '^SIP/2.0' 1 | head -n1 | awk '{print $2}')" \
	"reply to the winfo SUBSCRIBE (200, not 202)"
if printf '%s\n' "$B" | xmllint --nonet --noout - 2>/dev/null; then ok "first winfo body is well-formed"; else fail "first winfo body not well-formed: $B"; fi
assert_eq watcherinfo "$(xp "$B" 'local-name(/*)')" "root element"
assert_eq urn:ietf:params:xml:ns:watcherinfo "$(xp "$B" 'namespace-uri(/*)')" "root namespace"
assert_eq full "$(xp "$B" 'string(/*/@state)')" "state of the first document"
assert_eq 0 "$(xp "$B" 'string(/*/@version)')" "version of the first document"
assert_eq 1 "$(xp "$B" "count(/*/*[local-name()='watcher-list'])")" "watcher-lists in the first document"
assert_eq $AL "$(xp "$B" "string(/*/*[local-name()='watcher-list']/@resource)")" "watcher-list resource"
assert_eq presence "$(xp "$B" "string(/*/*[local-name()='watcher-list']/@package)")" "watcher-list package"
assert_eq sip:wanda@127.0.0.1 "$(xp "$B" "normalize-space(//*[local-name()='watcher'])")" "the watcher listed in the full document"
assert_eq active "$(xp "$B" "string(//*[local-name()='watcher']/@status)")" "wanda's status"

# bob subscribes to alice's presence, gets his NOTIFY, then unsubscribes.
watch_start bob $AL sip:bob@127.0.0.1 1
wait_notifies alice 2
B=$(msg_body "$(watch_notify alice 2)")
assert_eq partial "$(xp "$B" 'string(/*/@state)')" "state of the NOTIFY for bob's arrival"
assert_eq 1 "$(xp "$B" 'string(/*/@version)')" "its version"
assert_eq 1 "$(xp "$B" "count(//*[local-name()='watcher'])")" "watchers listed in it"
assert_eq sip:bob@127.0.0.1 "$(xp "$B" "normalize-space(//*[local-name()='watcher'])")" "the watcher listed"
assert_eq active "$(xp "$B" "string(//*[local-name()='watcher']/@status)")" "bob's status (force_active=1)"
assert_eq approved "$(xp "$B" "string(//*[local-name()='watcher']/@event)")" "bob's event"
assert_ne "" "$(xp "$B" "string(//*[local-name()='watcher']/@id)")" "bob's watcher id"
BOBID=$(xp "$B" "string(//*[local-name()='watcher']/@id)")
watch_wait bob "bob: subscribe, NOTIFY, unsubscribe, final NOTIFY"

wait_notifies alice 3
B=$(msg_body "$(watch_notify alice 3)")
assert_eq partial "$(xp "$B" 'string(/*/@state)')" "state of the NOTIFY for bob's leaving"
assert_eq 2 "$(xp "$B" 'string(/*/@version)')" "its version"
assert_eq sip:bob@127.0.0.1 "$(xp "$B" "normalize-space(//*[local-name()='watcher'])")" "the watcher listed"
assert_eq terminated "$(xp "$B" "string(//*[local-name()='watcher']/@status)")" "bob's status after the unsubscribe"
assert_eq timeout "$(xp "$B" "string(//*[local-name()='watcher']/@event)")" "bob's event after the unsubscribe"
assert_eq "$BOBID" "$(xp "$B" "string(//*[local-name()='watcher']/@id)")" "bob's watcher id unchanged"

# the refresh (sent by alice's scenario after NOTIFY 3): full, version 3.
wait_notifies alice 4
N=$(watch_notify alice 4)
B=$(msg_body "$N")
assert_eq application/watcherinfo+xml "$(msg_hdr "$N" Content-Type)" "Content-Type after the refresh"
assert_eq full "$(xp "$B" 'string(/*/@state)')" "state after the refresh"
assert_eq 3 "$(xp "$B" 'string(/*/@version)')" "version after the refresh"
assert_eq 1 "$(xp "$B" "count(//*[local-name()='watcher'])")" "watchers in the refreshed full document"
assert_eq sip:wanda@127.0.0.1 "$(xp "$B" "normalize-space(//*[local-name()='watcher'])")" "the watcher listed (bob is gone)"

# carol may not subscribe to alice's watcher info.
FROM="<sip:carol@127.0.0.1>" sip_request SUBSCRIBE $AL "Event: presence.winfo
Accept: application/watcherinfo+xml
Expires: 300"
assert_reply 403 "carol subscribes to alice's presence.winfo"

watch_wait alice "alice's winfo dialog (4 NOTIFYs, refresh, unsubscribe)"
T=$(watch_trace alice)
assert_eq 5 "$(trace_count "$T" received '^NOTIFY')" "winfo NOTIFYs alice received"
assert_match '^terminated' "$(msg_hdr "$(watch_notify alice 5)" Subscription-State)" "final winfo NOTIFY"
assert_eq "1 2 3 4 5 " "$(for i in 1 2 3 4 5; do msg_hdr "$(watch_notify alice $i)" CSeq | cut -d' ' -f1; done | tr '\n' ' ')" \
	"CSeqs of alice's winfo NOTIFYs"
wait_sql "select count(*) from active_watchers where event='presence.winfo'" 0 "winfo subscriptions stored after alice's unsubscribe"
assert_alive
finish
