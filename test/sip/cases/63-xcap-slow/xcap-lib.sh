# Helpers of SIP cases 63 and 64 (sourced after lib.sh): the XCAP server
# of xcap_server.py (started and stopped by PID), alice's pres-rules file
# and a watcher that answers its NOTIFYs.
XCAP_PY=$SIP_DIR/cases/63-xcap-slow/xcap_server.py
AL=sip:alice@127.0.0.1
XROOT=$WORK/xcap
HTTP_PID=
HTTP_LOG=$WORK/http.log
HTTP_MODE=$WORK/http.mode

# start_http: the server in the background; HP is its port.
start_http() {
	python3 "$XCAP_PY" "$XROOT" "$WORK/http.port" "$HTTP_LOG" "$HTTP_MODE" \
		>"$WORK/http.out" 2>&1 &
	HTTP_PID=$!
	if ! wait_until "$WAIT_MAX" test -s "$WORK/http.port"; then
		fail "the XCAP server did not start: $(tail -n 3 "$WORK/http.out")"
		return 1
	fi
	HP=$(cat "$WORK/http.port")
	note "XCAP server pid $HTTP_PID on 127.0.0.1:$HP"
}

stop_http() {
	[ -n "$HTTP_PID" ] || return 0
	kill -TERM "$HTTP_PID" 2>/dev/null
	wait_until "$WAIT_MAX" proc_gone "$HTTP_PID" || kill -KILL "$HTTP_PID" 2>/dev/null
	wait "$HTTP_PID" 2>/dev/null
	HTTP_PID=
}
trap 'stop_http; cleanup' EXIT

# http_lines REGEX: lines of the server's log matching REGEX.
http_lines() { grep -cE -- "$1" "$HTTP_LOG" 2>/dev/null; }

# closed_tcp_port: a port on 127.0.0.1 nothing listens on.
closed_tcp_port() {
	local p i
	for i in $(seq 1 100); do
		p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		[ -z "$(ss -Hltn "sport = :$p" 2>/dev/null)" ] && { echo "$p"; return 0; }
	done
	return 1
}

ALL='<pr:provide-services><pr:all-services/></pr:provide-services><pr:provide-persons><pr:all-persons/></pr:provide-persons><pr:provide-devices><pr:all-devices/></pr:provide-devices><pr:provide-all-attributes/>'
# set_rules USER WATCHER...: USER's pres-rules allow each WATCHER (a user
# at 127.0.0.1) and block eve.
set_rules() {
	local user=$1 w dir=$XROOT/xcap-root/pres-rules/users/sip:$1@127.0.0.1
	shift
	mkdir -p "$dir"
	{
		echo '<?xml version="1.0" encoding="UTF-8"?>'
		echo '<cr:ruleset xmlns:cr="urn:ietf:params:xml:ns:common-policy" xmlns:pr="urn:ietf:params:xml:ns:pres-rules">'
		for w in "$@"; do
			printf '<cr:rule id="%s"><cr:conditions><cr:identity><cr:one id="sip:%s@127.0.0.1"/></cr:identity></cr:conditions><cr:actions><pr:sub-handling>allow</pr:sub-handling></cr:actions><cr:transformations>%s</cr:transformations></cr:rule>\n' "$w" "$w" "$ALL"
		done
		echo '<cr:rule id="eve"><cr:conditions><cr:identity><cr:one id="sip:eve@127.0.0.1"/></cr:identity></cr:conditions><cr:actions><pr:sub-handling>block</pr:sub-handling></cr:actions></cr:rule>'
		echo '</cr:ruleset>'
	} >"$dir/index.tmp"
	mv "$dir/index.tmp" "$dir/index"
}

# watcher NAME PRESENTITY: subscribes as sip:NAME@127.0.0.1 and answers up
# to 6 NOTIFYs (until one says terminated).
watcher() {
	local name=$1 pres=$2 scen=$WORK/$1.xml i
	{
		echo '<?xml version="1.0" encoding="ISO-8859-1"?>'
		echo "<scenario name=\"$name\">"
		watch_subscribe "$pres" "sip:$name@127.0.0.1" "sip:$name@[local_ip]:[local_port]" 300 1 ""
		echo '<recv response="200" optional="true" next="acc"/>'
		echo '<recv response="202"/>'
		echo '<label id="acc"/>'
		for i in 1 2 3 4 5 6; do
			echo '<recv request="NOTIFY"><action><ereg regexp="terminated" search_in="hdr" header="Subscription-State:" check_it="false" assign_to="term"/></action></recv>'
			printf '%s\n' '<send next="end" test="term"><![CDATA[' 'SIP/2.0 200 OK' '[last_Via:]' \
				'[last_From:]' '[last_To:]' '[last_Call-ID:]' '[last_CSeq:]' \
				'Content-Length: 0' '' ']]></send>'
		done
		echo '<label id="end"/>'
		echo '</scenario>'
	} >"$scen"
	SIPP_TIMEOUT=60 sipp_bg "$name" "$scen" -recv_timeout 55000
}
sstate() { msg_hdr "$(watch_notify "$1" "$2")" Subscription-State; }
nbody() { msg_body "$(watch_notify "$1" "$2")"; }

# burst N PRESENTITY-PREFIX BOUND_MS: N SUBSCRIBEs (watchers w1..wN, to
# PRESENTITY-PREFIX or PRESENTITY-PREFIX1..N when it ends in '-'), each
# reply awaited at most BOUND_MS (sipp fails otherwise), each first NOTIFY
# answered and checked pending. Sets BURST_MS (the whole run).
burst() {
	local n=$1 pres=$2 bound=$3 scen=$WORK/burst.xml t0 rc to
	to="$pres"
	case "$pres" in *-) to="$pres[call_number]" ;; esac
	cat >"$scen" <<EOF
<?xml version="1.0" encoding="ISO-8859-1"?>
<scenario name="burst">
<send><![CDATA[
SUBSCRIBE sip:$to@127.0.0.1 SIP/2.0
Via: SIP/2.0/UDP [local_ip]:[local_port];branch=[branch]
From: <sip:w[call_number]@127.0.0.1>;tag=[pid]b[call_number]
To: <sip:$to@127.0.0.1>
Call-ID: [call_id]
CSeq: 1 SUBSCRIBE
Max-Forwards: 70
Contact: <sip:w[call_number]@[local_ip]:[local_port]>
Event: presence
Accept: application/pidf+xml
Expires: 300
Content-Length: [len]

]]></send>
<recv response="200" optional="true" next="ok" timeout="$bound"/>
<recv response="202" timeout="$bound"/>
<label id="ok"/>
<recv request="NOTIFY" timeout="$bound">
  <action><ereg regexp="^ *pending" search_in="hdr" header="Subscription-State:" check_it="true" assign_to="st"/></action>
</recv>
<Reference variables="st"/>
<send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
</scenario>
EOF
	t0=$(date +%s%N)
	sipp_run "$scen" -m "$n" -l "$n" -r 50
	rc=$?
	BURST_MS=$((($(date +%s%N) - t0) / 1000000))
	return "$rc"
}
