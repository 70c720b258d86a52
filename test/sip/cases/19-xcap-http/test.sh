# 19 Pres-rules fetched over HTTP from XCAP servers (integrated_xcap_server
# 0): a small HTTP server (xcap_http.py, ETag / If-None-Match, a request
# log) serves <xcap-root>/pres-rules/users/sip:alice@127.0.0.1/index on
# 127.0.0.1. The first xcap_server is a closed port: fetches fall back to
# the second (and after 3 failures the closed one is backed off). The SIP
# workers never fetch: bob, the first watcher, gets 202 + a pending NOTIFY
# without a body (nothing known yet: the default policy), then presence_xml's
# XCAP process fetches alice's document, which allows bob and blocks eve
# and says nothing of frank, and re-evaluates alice's watchers: bob's
# NOTIFY #2 is active with the body. Then, from the shared cache: eve 403;
# frank 202 + pending NOTIFY without a body (his SUBSCRIBE has the cached
# document revalidated: a 304). The file is then changed to allow frank
# and `kamcmd presence.refreshWatchers <uri> presence 0` (the RPC process
# fetches at once) makes frank active with the body; a new PUBLISH then
# reaches frank with the body from a SIP worker too (one cache for all
# processes). With the HTTP server stopped, the last document fetched
# stays in use (as on Kamailio, which keeps its stored copy): frank
# subscribes again and is accepted; the failed revalidation is logged.
. "$(dirname "$0")/../../lib.sh"
AL=sip:alice@127.0.0.1
ROOT=$WORK/xcap
DOC_DIR=$ROOT/xcap-root/pres-rules/users/sip:alice@127.0.0.1
XPATH_DOC=/xcap-root/pres-rules/users/sip:alice@127.0.0.1/index
HTTP_PID=

stop_http() {
	[ -n "$HTTP_PID" ] || return 0
	kill -TERM "$HTTP_PID" 2>/dev/null
	wait_until "$WAIT_MAX" proc_gone "$HTTP_PID" || kill -KILL "$HTTP_PID" 2>/dev/null
	wait "$HTTP_PID" 2>/dev/null
	HTTP_PID=
}
trap 'stop_http; cleanup' EXIT

tcp_free() { [ -z "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]; }
# closed_tcp_port: a port on 127.0.0.1 nothing listens on.
closed_tcp_port() {
	local p i
	for i in $(seq 1 100); do
		p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		tcp_free "$p" && { echo "$p"; return 0; }
	done
	return 1
}
# http_count STATUS: requests for alice's document answered STATUS.
http_count() { grep -c "^GET $XPATH_DOC $1 " "$WORK/http.log" 2>/dev/null; }

xp() { printf '%s\n' "$1" | xmllint --nonet --xpath "$2" - 2>/dev/null; }
well_formed() { printf '%s\n' "$1" | xmllint --nonet --noout - 2>/dev/null; }
ALL='<pr:provide-services><pr:all-services/></pr:provide-services><pr:provide-persons><pr:all-persons/></pr:provide-persons><pr:provide-devices><pr:all-devices/></pr:provide-devices><pr:provide-all-attributes/>'
rule() { # ID WATCHER SUB-HANDLING TRANSFORMATIONS
	printf '  <cr:rule id="%s"><cr:conditions><cr:identity><cr:one id="%s"/></cr:identity></cr:conditions><cr:actions><pr:sub-handling>%s</pr:sub-handling></cr:actions><cr:transformations>%s</cr:transformations></cr:rule>\n' "$@"
}
set_rules() { # RULE...: write alice's document (atomically)
	local r
	mkdir -p "$DOC_DIR"
	{
		echo '<?xml version="1.0" encoding="UTF-8"?>'
		echo '<cr:ruleset xmlns:cr="urn:ietf:params:xml:ns:common-policy" xmlns:pr="urn:ietf:params:xml:ns:pres-rules">'
		for r in "$@"; do
			case $r in
			bob) rule a sip:bob@127.0.0.1 allow "$ALL" ;;
			eve) rule b sip:eve@127.0.0.1 block "" ;;
			frank) rule d sip:frank@127.0.0.1 allow "$ALL" ;;
			esac
		done
		echo '</cr:ruleset>'
	} >"$DOC_DIR/index.tmp"
	mv "$DOC_DIR/index.tmp" "$DOC_DIR/index"
}

set_rules bob eve
python3 "$CASE_DIR/xcap_http.py" "$ROOT" "$WORK/http.port" "$WORK/http.log" \
	>"$WORK/http.out" 2>&1 &
HTTP_PID=$!
if ! wait_until "$WAIT_MAX" test -s "$WORK/http.port"; then
	fail "the XCAP HTTP server did not start: $(tail -n 3 "$WORK/http.out")"
	finish
fi
HP=$(cat "$WORK/http.port")
CLOSED=$(closed_tcp_port) || { fail "no closed TCP port found"; finish; }
note "XCAP server pid $HTTP_PID on 127.0.0.1:$HP; closed port $CLOSED"

start_kamailio --param=presence_xml:force_active:0 \
	--param=presence_xml:integrated_xcap_server:0 \
	--param=presence_xml:xcap_server:http://127.0.0.1:$CLOSED/xcap-root \
	--param=presence_xml:xcap_server:127.0.0.1:$HP/xcap-root || finish

cat >alice.xml <<XML
<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity="$AL">
  <tuple id="t1">
    <status><basic>open</basic></status>
    <note>alice-note</note>
  </tuple>
  <dm:person id="p1">
    <rpid:activities><rpid:busy/></rpid:activities>
  </dm:person>
</presence>
XML
publish_alice() {
	sip_request PUBLISH $AL "Event: presence
Expires: 600
Content-Type: application/pidf+xml" alice.xml
	assert_reply 200 "alice publishes${1:+ ($1)}"
}
publish_alice

# watcher NAME: subscribes to alice, answers every NOTIFY until one says
# terminated.
watcher() {
	local name=$1 scen=$WORK/$1.xml i
	{
		echo '<?xml version="1.0" encoding="ISO-8859-1"?>'
		echo "<scenario name=\"$name\">"
		watch_subscribe $AL "sip:$name@127.0.0.1" "sip:$name@[local_ip]:[local_port]" 300 1 ""
		echo '<recv response="200" optional="true" next="acc200_1"/>' # subs_respond_200
		echo '<recv response="202"/>'
		echo '<label id="acc200_1"/>'
		for i in 1 2 3 4 5 6; do
			echo '<recv request="NOTIFY"><action><ereg regexp="terminated" search_in="hdr" header="Subscription-State:" check_it="false" assign_to="term"/></action></recv>'
			printf '%s\n' '<send next="end" test="term"><![CDATA[' 'SIP/2.0 200 OK' '[last_Via:]' \
				'[last_From:]' '[last_To:]' '[last_Call-ID:]' '[last_CSeq:]' \
				'Content-Length: 0' '' ']]></send>'
		done
		echo '<label id="end"/>'
		echo '</scenario>'
	} >"$scen"
	SIPP_TIMEOUT=45 sipp_bg "$name" "$scen" -recv_timeout 40000
}
sstate() { msg_hdr "$(watch_notify "$1" "$2")" Subscription-State; }
nbody() { msg_body "$(watch_notify "$1" "$2")"; }
first_code() { trace_msg "$(watch_trace "$1")" received '^SIP/2.0' 1 | head -n1 | awk '{print $2}'; }
# full_body WATCHER K: NOTIFY K carries alice's whole document.
assert_full_body() {
	local b
	b=$(nbody "$1" "$2")
	if well_formed "$b"; then ok "$1's body #$2 is well-formed"; else fail "$1's body #$2 not well-formed: '$b'"; fi
	assert_eq application/pidf+xml "$(msg_hdr "$(watch_notify "$1" "$2")" Content-Type)" "Content-Type of $1's NOTIFY #$2"
	assert_eq 1 "$(xp "$b" "count(/*/*[local-name()='tuple'][@id='t1'])")" "tuple t1 in $1's body #$2"
	assert_eq alice-note "$(xp "$b" "normalize-space(//*[local-name()='tuple']/*[local-name()='note'])")" "note in $1's body #$2"
	assert_eq 1 "$(xp "$b" "count(//*[local-name()='activities']/*[local-name()='busy'])")" "person activities in $1's body #$2"
}

# bob: nothing known yet -> pending; allowed once the document is fetched.
watcher bob
wait_notifies bob 1
assert_match "^(200|202)$" "$(first_code bob)" "reply to bob's SUBSCRIBE"
assert_match '^pending;expires=' "$(sstate bob 1)" "bob's Subscription-State before the rules are known (default policy)"
assert_eq "" "$(nbody bob 1 | tr -d '[:space:]')" "no body while the rules are not known"
wait_notifies bob 2
T_FETCHED=$(date +%s) # the document was fetched in this second or before
assert_match '^active;expires=' "$(sstate bob 2)" "bob's Subscription-State once the XCAP process fetched the rules"
assert_full_body bob 2
assert_num -ge 1 "$(http_count 200)" "alice's document fetched from the second xcap_server"
assert_log_contains "GET http://127.0.0.1:$CLOSED/xcap-root/.*cannot connect" "the first xcap_server (closed port) was tried"

# eve: blocked.
FROM="<sip:eve@127.0.0.1>" sip_request SUBSCRIBE $AL "Event: presence
Accept: application/pidf+xml
Expires: 300"
assert_reply 403 "eve (sub-handling block) subscribes"
wait_db
assert_sql "select count(*) from active_watchers where watcher_username='eve'" 0 "eve's subscription not stored"

# frank: no rule -> pending, no body. A document checked in the current
# second is not revalidated again in that second: frank subscribes in a
# later one, so that his authorization asks for the revalidation.
later_second() { [ "$(date +%s)" -gt "$T_FETCHED" ]; }
wait_until 3 later_second
watcher frank
wait_notifies frank 1
assert_match "^(200|202)$" "$(first_code frank)" "reply to frank's SUBSCRIBE (no rule for him)"
assert_match '^pending;expires=' "$(sstate frank 1)" "frank's Subscription-State (no rule)"
assert_eq "" "$(nbody frank 1 | tr -d '[:space:]')" "no body for pending frank"
# authorization has the cached document revalidated with a conditional GET
http304() { [ "$(http_count 304)" -ge 1 ]; }
wait_until "$WAIT_MAX" http304
assert_num -ge 1 "$(http_count 304)" "unchanged document revalidated (If-None-Match -> 304)"

# the document now allows frank; the refresh sees it at once (the TTL,
# 60 s by default, is not waited out).
set_rules bob eve frank
N200=$(http_count 200)
assert_kamcmd "notified 1" presence.refreshWatchers $AL presence 0
T_FETCHED=$(date +%s) # fetched again in this second or before
assert_num -gt "$N200" "$(http_count 200)" "the changed document fetched by the refresh"
wait_notifies frank 2
assert_match '^active;expires=' "$(sstate frank 2)" "frank's Subscription-State after the refresh"
assert_full_body frank 2
assert_eq 2 "$(trace_count "$(watch_trace bob)" received '^NOTIFY')" "bob not notified by the refresh (state unchanged)"

# a new publication: every watcher's body is filtered by the new document
# in whichever worker sends it.
publish_alice "again"
wait_notifies frank 3
assert_match '^active;expires=' "$(sstate frank 3)" "frank's Subscription-State on the new publication"
assert_full_body frank 3
wait_notifies bob 3
assert_full_body bob 3

# the XCAP servers gone: the last document fetched stays in use. Frank's
# SUBSCRIBE comes in a later second than the last fetch, so that his
# authorization asks for a revalidation (which fails).
stop_http
wait_until 3 later_second
FROM="<sip:frank@127.0.0.1>" CALLID="gone-$RANDOM" sip_request SUBSCRIBE $AL "Event: presence
Accept: application/pidf+xml
Expires: 300"
assert_reply "200|202" "frank subscribes again while no xcap_server answers"
no_answer() { grep -q "no server answered for the pres-rules of alice@127.0.0.1" "$KAM_LOG"; }
wait_until "$WAIT_MAX" no_answer
assert_log_contains "no server answered for the pres-rules of alice@127.0.0.1" "the failed revalidation is logged"

assert_alive
finish
