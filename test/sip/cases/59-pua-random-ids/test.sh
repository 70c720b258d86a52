# 59 Identifiers pua invents are unguessable (issue 11): the Call-ID and
# From tag of its SUBSCRIBE dialogs and the id it gives a PIDF tuple that
# has none carry 128 random bits (32 hex characters), not time.pid.counter,
# and differ from one dialog to the next and across a restart.
. "$(dirname "$0")/../../lib.sh"
. "$CASE_DIR/../20-pua-lib/pua-lib.sh" || exit 2
start_kamailio || finish
pua_start || finish
A=sip:alice59@127.0.0.1
cat >b1.xml <<XML
<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="$A"><tuple><status><basic>open</basic></status></tuple></presence>
XML
assert_eq OK "$(pua_publish $A 600 . b1.xml)" "publish a tuple without id"
wait_field $A publish last_code 200 "publication answered"
assert_match '^t[0-9a-f]{32}$' "$(pua_field $A publish tuple_id)" "tuple id: t + 128 random bits"
wait_db
assert_match 'tuple id="t[0-9a-f]{32}"' "$(sql "select $BODY_SQL from presentity where username='alice59'")" \
	"the server got the tuple id"
assert_eq OK "$(pua_rpc pua.subscribe $A sip:bob59@127.0.0.1 presence 600)" "first subscription"
wait_field $A subscribe state active "first dialog active"
C1=$(pua_field $A subscribe call_id) F1=$(pua_field $A subscribe from_tag)
assert_match '^pua\.[0-9a-f]{32}$' "$C1" "Call-ID: pua. + 128 random bits"
assert_match '^[0-9a-f]{32}$' "$F1" "From tag: 128 random bits"
assert_eq OK "$(pua_rpc pua.subscribe $A sip:bob59@127.0.0.1 presence 0)" "end it"
wait_pua_count 1 "first dialog ended"
pua_stop
pua_start || finish
assert_eq OK "$(pua_rpc pua.subscribe $A sip:bob59@127.0.0.1 presence 600)" "after a restart"
wait_field $A subscribe state active "second dialog active"
C2=$(pua_field $A subscribe call_id) F2=$(pua_field $A subscribe from_tag)
assert_match '^pua\.[0-9a-f]{32}$' "$C2" "second Call-ID"
assert_ne "$C1" "$C2" "Call-IDs differ"
assert_ne "$F1" "$F2" "From tags differ"
assert_eq 0 "$(grep -c "pua\.[0-9a-f]*\.[0-9a-f]*\.[0-9a-f]*" <<<"$C1 $C2")" "no time.pid.counter form"
finish
