# 18 pres_check_basic / pres_check_activities from a script route: the
# sample config answers a MESSAGE to a user from route[PRESENCE_CHECK] by
# the user's published state: pres_check_basic("$ru", "open") true -> 200
# "Open <activities rc>" or 486 when pres_check_activities("$ru", "busy")
# is 1; false -> 480 "Not Open <activities rc>" (rc 1 found, -1 activities
# without busy, -2 nothing published / no person / no activities element).
# The DB writer runs every 15 s here, so the presentity table lags behind
# every reply: the checks must see what presence holds in memory, as a
# watcher does (they read the table before issue 12 turned the writer on).
. "$(dirname "$0")/../../lib.sh"
P=()
is_reference || P=(--param=presence:db_write_interval:15000)
start_kamailio "${P[@]}" || finish
H=sip:hugo@127.0.0.1
NS='xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid"'

# ask WHAT: a MESSAGE to hugo; sets STATUS to the reply's status line.
ask() {
	local scen=$WORK/message.xml codes="200 202 400 403 404 405 480 486 500 501 503"
	{
		cat <<XML
<?xml version="1.0" encoding="ISO-8859-1"?>
<scenario name="message">
<send><![CDATA[
MESSAGE $H SIP/2.0
Via: SIP/2.0/UDP [local_ip]:[local_port];branch=[branch]
From: <sip:asker@127.0.0.1>;tag=[pid]m[call_number]
To: <$H>
Call-ID: [call_id]
CSeq: 1 MESSAGE
Max-Forwards: 70
Content-Type: text/plain
Content-Length: [len]

are you there?
]]></send>
XML
		for c in $codes; do echo "<recv response=\"$c\" optional=\"true\" next=\"done\"/>"; done
		echo '<recv response="999"/><label id="done"/></scenario>'
	} >"$scen"
	sipp_run "$scen" >/dev/null
	STATUS=$(reply 1 | head -n1)
	note "MESSAGE ($1) -> $STATUS"
}
expect() { # STATUS-LINE WHAT
	ask "$2"
	assert_eq "SIP/2.0 $1" "$STATUS" "MESSAGE to hugo: $2"
}
# doc FILE BASIC PERSON-CONTENT (empty: no person element)
doc() {
	{
		echo "<?xml version=\"1.0\" encoding=\"UTF-8\"?><presence $NS entity=\"$H\">"
		echo "<tuple id=\"t1\"><status><basic>$2</basic></status></tuple>"
		[ -n "${3:-}" ] && echo "<dm:person id=\"p1\">$3</dm:person>"
		echo '</presence>'
	} >"$1"
}
ETAG=
# hugo_publishes FILE: initial publication or modify of the last one.
hugo_publishes() {
	sip_request PUBLISH $H "Event: presence
Expires: 600
Content-Type: application/pidf+xml${ETAG:+
SIP-If-Match: $ETAG}" "$1"
	assert_reply 200 "hugo publishes $1"
	ETAG=$(msg_hdr "$REPLY" SIP-ETag)
}

expect "480 Not Open -2" "nothing published"

doc busy.xml open '<rpid:activities><rpid:busy/></rpid:activities>'
hugo_publishes busy.xml
expect "486 Busy Here" "open, activities busy"

doc noact.xml open '<rpid:mood><rpid:happy/></rpid:mood>'
hugo_publishes noact.xml
expect "200 Open -2" "open, a person without an activities element"

doc noperson.xml open
hugo_publishes noperson.xml
expect "200 Open -2" "open, no person element"

doc away.xml open '<rpid:activities><rpid:away/></rpid:activities>'
hugo_publishes away.xml
expect "200 Open -1" "open, activities away (not busy)"

doc closed.xml closed
hugo_publishes closed.xml
expect "480 Not Open -2" "closed, no person"

doc closedbusy.xml closed '<rpid:activities><rpid:busy/></rpid:activities>'
hugo_publishes closedbusy.xml
expect "480 Not Open 1" "closed, activities busy"

# a second device of hugo publishes open: the aggregation counts.
ETAG1=$ETAG ETAG=
doc second.xml open
sed -i 's/id="t1"/id="t2"/' second.xml
hugo_publishes second.xml
expect "486 Busy Here" "one device closed and busy, another open"

# both publications removed: back to nothing published.
for e in "$ETAG1" "$ETAG"; do
	sip_request PUBLISH $H "Event: presence
Expires: 0
SIP-If-Match: $e"
	assert_reply 200 "hugo removes a publication"
done
expect "480 Not Open -2" "every publication removed"
wait_sql "select count(*) from presentity where username='hugo'" 0 "hugo's publications left"

# an expired publication counts as nothing published (before any cleanup).
ETAG=
sip_request PUBLISH $H "Event: presence
Expires: 2
Content-Type: application/pidf+xml" busy.xml
assert_reply 200 "hugo publishes busy for 2 s"
expect "486 Busy Here" "busy, publication still valid"
not_open() { ask "polling for the expiry" >/dev/null; [ "$STATUS" = "SIP/2.0 480 Not Open -2" ]; }
if wait_until 6 not_open; then
	ok "MESSAGE to hugo once the publication expired: 480 Not Open -2"
else
	fail "MESSAGE to hugo once the publication expired: expected '480 Not Open -2' within 6 s, saw '$STATUS'"
fi
assert_alive
finish
