# 74 KEMI: the presence server as a JavaScript config (app_jsdt, cfgengine
# "jsdt"): Kamailio 5.6's twelve KEMI exports exist with its module names,
# function names and parameter types (app_jsdt.api_list), and ours' one
# more (pres_check_overload, doc/presence.md), and PUBLISH,
# SUBSCRIBE and NOTIFY work through KSR.presence.handle_publish() /
# handle_publish_uri() / handle_subscribe() / handle_subscribe_uri();
# pres_check_basic, pres_check_activities, pres_auth_status,
# pres_has_subscribers, pres_refresh_watchers(_file), pres_update_watchers
# and pua_update_contact answer with their return codes.
. "$(dirname "$0")/../../lib.sh"
KAM_CFG=$CASE_DIR/kamailio.cfg
start_kamailio -A "JSFILE=\"$CASE_DIR/presence.js\"" || finish
K=sip:kim@127.0.0.1

# ---- the exports, as app_jsdt lists them
api() {
	kam_rpc app_jsdt.api_list | awk '
		/func: \{/ { r = ""; next }
		/^[[:space:]]*(ret|module|name|params):/ { sub(/^[[:space:]]*/, ""); r = r " " $0 }
		/^[[:space:]]*\}/ { if (r != "") print r; r = "" }' |
		grep -E ' module: (presence|presence_xml|pua) ' | sed 's/^ //' | sort
}
API=$(api)
for f in "presence handle_publish none" "presence handle_publish_uri str" \
	"presence handle_subscribe none" "presence handle_subscribe_uri str" \
	"presence pres_auth_status str, str" "presence pres_has_subscribers str, str" \
	"presence pres_refresh_watchers str, str, int" \
	"presence pres_refresh_watchers_file str, str, int, str, str" \
	"presence pres_update_watchers str, str" \
	"presence pres_check_overload none" \
	"presence_xml pres_check_basic str, str" \
	"presence_xml pres_check_activities str, str" "pua pua_update_contact none"; do
	set -- $f
	m=$1 n=$2
	shift 2
	assert_match "ret: int module: $m name: $n params: $*\$" "$(printf '%s\n' "$API" | grep " name: $n ")" "KSR.$m.$n($*)"
done
assert_eq 13 "$(printf '%s\n' "$API" | grep -c .)" "Kamailio's twelve exports of presence, presence_xml and pua, and ours' one more"

op() { # OP URI [ARG] [extra headers]: a MESSAGE answered with the rc
	sip_request MESSAGE "$2" "X-Op: $1${3:+
X-Arg: $3}${4:+
$4}"
	printf '%s\n' "$REPLY" | head -n1 | sed -n 's/^SIP\/2.0 200 rc=//p'
}

assert_eq -1 "$(op basic $K open)" "pres_check_basic before kim publishes"
cat >kim.xml <<XML
<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity="$K">
  <tuple id="k1"><status><basic>open</basic></status><note>kim-74</note></tuple>
  <dm:person id="p1"><rpid:activities><rpid:busy/></rpid:activities></dm:person>
</presence>
XML
sip_request PUBLISH $K "Event: presence
Expires: 600
Content-Type: application/pidf+xml" kim.xml
assert_reply 200 "KSR.presence.handle_publish(): PUBLISH"
E=$(msg_hdr "$REPLY" SIP-ETag)
assert_match '^.+$' "$E" "SIP-ETag"
sip_request PUBLISH $K "Event: presence
Expires: 600
Sender: sip:kim-phone@127.0.0.1
SIP-If-Match: $E"
assert_reply 200 "KSR.presence.handle_publish_uri(\$hdr(Sender)): refresh"
sip_request PUBLISH $K "Event: nosuchevent
Expires: 600
Content-Type: application/pidf+xml" kim.xml
assert_reply 489 "handle_publish: unknown event"

assert_eq 1 "$(op basic $K open)" "KSR.presence_xml.pres_check_basic(kim, open)"
assert_eq -1 "$(op basic $K closed)" "pres_check_basic(kim, closed)"
assert_eq 1 "$(op activities $K busy)" "KSR.presence_xml.pres_check_activities(kim, busy)"
assert_eq -1 "$(op activities $K away)" "pres_check_activities(kim, away)"
assert_eq -1 "$(op has $K presence)" "KSR.presence.pres_has_subscribers before a SUBSCRIBE"

watch_start w1 $K sip:wade@127.0.0.1 2 300 1
wait_notifies w1 1
N=$(watch_notify w1 1)
assert_match 'kim-74' "$(msg_body "$N")" "KSR.presence.handle_subscribe(): NOTIFY with kim's state"
assert_match '^active' "$(msg_hdr "$N" Subscription-State)" "NOTIFY Subscription-State"
assert_eq 1 "$(op has $K presence)" "pres_has_subscribers(kim, presence) with wade subscribed"
assert_eq -1 "$(op has $K dialog)" "pres_has_subscribers(kim, dialog)"
# the KEMI functions return what Kamailio's do: 0 for a refresh done
assert_eq 0 "$(op refresh $K)" "KSR.presence.pres_refresh_watchers(kim, presence, 1)"
wait_notifies w1 2
watch_wait w1 "wade: SUBSCRIBE, NOTIFY, refresh NOTIFY, unsubscribe"
# Kamailio's presence_xml answers -1 here (it reads pres-rules from an XCAP
# server it is not given) and 2 (pending) for a watcher without a rule
# (case 46)
is_reference && U=-1 S=2 || U=1 S=1
assert_eq $U "$(op update $K)" "KSR.presence.pres_update_watchers(kim, presence)"
RF=$(op refresh-file $K)
note "pres_refresh_watchers_file -> $RF"
assert_match '^-?[0-9]+$' "$RF" "KSR.presence.pres_refresh_watchers_file(...) returns a code"
assert_eq $S "$(FROM='<sip:wade@127.0.0.1>' op auth $K)" "KSR.presence.pres_auth_status(wade, kim) (force_active)"
assert_match '^-?[0-9]+$' "$(op pua $K)" "KSR.pua.pua_update_contact() on a MESSAGE returns a code"

# handle_subscribe_uri: P-Asserted-Identity is the watcher
FROM='<sip:anon@127.0.0.1>' sip_request SUBSCRIBE $K "Event: presence
Expires: 0
P-Asserted-Identity: <sip:paula@127.0.0.1>"
assert_reply 200 "KSR.presence.handle_subscribe_uri(\$ai): a fetch (Expires 0)"
assert_alive
finish
