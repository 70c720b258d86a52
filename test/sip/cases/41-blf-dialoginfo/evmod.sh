# Helpers of the cases 41-44, which load one of Debian's event modules
# (presence_dialoginfo, presence_mwi, presence_reginfo, presence_profile) on
# top of the presence module under test: they reach it only through
# bind_presence, so these cases check our presence_api_t end to end.

xp() { printf '%s\n' "$1" | xmllint --nonet --xpath "$2" - 2>/dev/null; }
well_formed() { printf '%s\n' "$1" | xmllint --nonet --noout - 2>/dev/null; }

# subscriber NAME PRES WATCHER EVENT ACCEPT STEP...: a background SIPp
# watcher. Steps: sub:EXPIRES:CODE (a SUBSCRIBE, initial then in-dialog,
# expecting CODE; 2xx: 200 or 202, as RFC 6665 lets a notifier answer) and
# notify (answer one NOTIFY with 200).
subscriber() {
	local name=$1 pres=$2 watcher=$3 event=$4 accept=$5 user cseq=0 st code
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
				if [ "$code" = 2xx ]; then
					echo "<recv response=\"200\" optional=\"true\" next=\"ok$cseq\"/>"
					echo '<recv response="202"/>'
					echo "<label id=\"ok$cseq\"/>"
				else
					echo "<recv response=\"$code\"/>"
				fi
				;;
			notify) watch_notify_ok ;;
			esac
		done
		echo '</scenario>'
	} >"$WORK/$name.xml"
	sipp_bg "$name" "$WORK/$name.xml" -recv_timeout 10000
}

# publish URI EVENT CTYPE BODYFILE [HEADER...]: one PUBLISH (Expires 600)
publish() {
	local uri=$1 ev=$2 ct=$3 f=$4 h
	shift 4
	h="Event: $ev
Expires: 600
Content-Type: $ct"
	for x in "$@"; do h="$h
$x"; done
	sip_request PUBLISH "$uri" "$h" "$f"
}

# sub_codes: the reply code the SUBSCRIBE of watcher NAME got
sub_code() { trace_msg "$(watch_trace "$1")" received '^SIP/2.0' 1 | head -n1 | awk '{print $2}'; }
