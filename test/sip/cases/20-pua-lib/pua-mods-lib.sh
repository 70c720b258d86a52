# Helpers of the 5x cases (Debian's pua_* modules and pua_rpc on pua),
# sourced after lib.sh and pua-lib.sh. The cases run the same scenario
# with our pua (IMPL=ours) and with Kamailio's own (IMPL=reference: the
# case sets PUA_IMPL from IMPL before sourcing pua-lib.sh); a SIPp UAS
# (uas-publish.xml) plays the presence server and the PUBLISHes are read
# from its message trace, their bodies parsed with xmllint.

UAS_PUBLISH=$SIP_DIR/cases/20-pua-lib/uas-publish.xml

# uas_start: the presence server, on $UPORT (set by the case), for the
# pua instance on $PUA_PORT; its trace is $UAS_TRACE.
uas_start() {
	PORT=$PUA_PORT SIPP_LPORT=$UPORT SIPP_TIMEOUT=${UAS_TIMEOUT:-40} \
		sipp_bg uas "$UAS_PUBLISH" -m 1000 -l 50
	UAS_TRACE=$BG_TRACE_uas
}

# publish_count / publish_msg N: the PUBLISHes the UAS received (N < 0
# counts from the end). A retransmission would be counted twice: the
# cases compare CSeq and Call-ID where it matters.
publish_count() { trace_count "$UAS_TRACE" received '^PUBLISH'; }
publish_msg() { trace_msg "$UAS_TRACE" received '^PUBLISH' "$1"; }
publish_count_ge() { [ "$(publish_count)" -ge "$1" ]; }

# wait_publishes N [WHAT]: bounded wait until N PUBLISHes arrived.
wait_publishes() {
	if wait_until "$WAIT_MAX" publish_count_ge "$1"; then
		ok "${2:-PUBLISHes received} >= $1"
	else
		fail "${2:-PUBLISHes received}: expected $1 within ${WAIT_MAX}s, saw $(publish_count)"
	fi
}

# publishes_for URI: the numbers (1-based) of the PUBLISHes whose
# Request-URI is URI, one per line.
publishes_for() {
	local i n m
	n=$(publish_count)
	for i in $(seq 1 "$n"); do
		m=$(publish_msg "$i")
		[ "$(head -n1 <<<"$m")" = "PUBLISH $1 SIP/2.0" ] && echo "$i"
	done
}

# xq BODY XPATH: the string value of XPATH in the XML document BODY, as
# xmllint evaluates it (empty when BODY does not parse). Use local-name()
# in XPATH: the documents declare default namespaces.
xq() {
	printf '%s' "$1" | xmllint --nonet --xpath "string($2)" - 2>/dev/null
}

# xml_ok BODY: BODY is a well-formed XML document.
xml_ok() { printf '%s' "$1" | xmllint --nonet --noout - 2>/dev/null; }

# xml_canon BODY: BODY without ignorable blanks, canonical (C14N): two
# documents that differ only in layout give the same text.
xml_canon() {
	printf '%s' "$1" | xmllint --nonet --noblanks - 2>/dev/null |
		xmllint --nonet --c14n - 2>/dev/null
}

# jrpc METHOD ARG...: JSON-RPC 2.0 over HTTP to the pua instance
# (jsonrpcs on $HPORT), every argument a JSON string, as pua_rpc expects;
# prints the answer (or "ERROR ...").
jrpc() {
	local m=$1
	shift
	python3 - "$HPORT" "$m" "$@" <<'PY'
import json, sys, urllib.error, urllib.request
port, method, params = sys.argv[1], sys.argv[2], sys.argv[3:]
req = json.dumps({"jsonrpc": "2.0", "method": method, "params": params,
                  "id": 1}).encode()
r = urllib.request.Request("http://127.0.0.1:%s/RPC" % port, data=req,
                           headers={"Content-Type": "application/json"})
try:
    print(urllib.request.urlopen(r, timeout=10).read().decode())
except urllib.error.HTTPError as e:  # a fault: HTTP status = its code
    print(e.read().decode())
except Exception as e:
    print("ERROR %s" % e)
PY
}

# jfield JSON EXPR: a Python expression on the parsed answer `r`
# (empty on any error), e.g. jfield "$R" 'r["result"]["Expires"]'.
jfield() {
	python3 -c 'import json,sys
r = json.loads(sys.argv[1])
print(eval(sys.argv[2]))' "$1" "$2" 2>/dev/null
}
