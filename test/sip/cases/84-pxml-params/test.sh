# 84 presence_xml's default_expires and disable_xcapdiff (Kamailio 5.6):
# a SUBSCRIBE without Expires gets default_expires (1800 here) for presence;
# xcap-diff (RFC 5875) is registered by default (a SUBSCRIBE is accepted and
# Allow-Events names it) and refused with 489 after disable_xcapdiff 1 (ours,
# as documented: Debian's 5.6.3 module keeps accepting it);
# dialog;sla is not registered with the default disable_bla 1 (489).
. "$(dirname "$0")/../../lib.sh"
A=sip:alice@127.0.0.1

start_kamailio --param=presence_xml:default_expires:1800 || finish
sip_request SUBSCRIBE $A "Event: presence"
assert_reply '20[02]' "SUBSCRIBE without Expires"
assert_eq 1800 "$(msg_hdr "$REPLY" Expires)" "its Expires is presence_xml's default_expires"
sip_request SUBSCRIBE $A "Event: xcap-diff
Accept: application/xcap-diff+xml
Expires: 60"
assert_reply '20[02]' "SUBSCRIBE Event: xcap-diff, registered by default"
cat >diff.xml <<XML
<?xml version="1.0" encoding="UTF-8"?>
<xcap-diff xmlns="urn:ietf:params:xml:ns:xcap-diff" xcap-root="http://xcap.example.com/root/">
  <document new-etag="e2" sel="pres-rules/users/sip:alice@127.0.0.1/index" previous-etag="e1"/>
</xcap-diff>
XML
sip_request PUBLISH $A "Event: xcap-diff
Expires: 60
Content-Type: application/xcap-diff+xml" diff.xml
assert_reply 200 "PUBLISH Event: xcap-diff"
wait_sql "select count(*) from presentity where username='alice' and event='xcap-diff'" 1 "the xcap-diff publication stored"
sip_request SUBSCRIBE $A "Event: foo
Expires: 60"
assert_reply 489 "SUBSCRIBE Event: foo"
assert_match '(^|[ ,])xcap-diff([ ,]|$)' "$(msg_hdr "$REPLY" Allow-Events)" "Allow-Events names xcap-diff"
sip_request SUBSCRIBE $A "Event: dialog;sla
Expires: 60"
assert_reply 489 "SUBSCRIBE Event: dialog;sla with the default disable_bla 1"
stop_kamailio

start_kamailio --param=presence_xml:disable_xcapdiff:1 || finish
if ours_only "disable_xcapdiff 1 unregisters xcap-diff, as documented (Debian's 5.6.3 module still accepts the SUBSCRIBE with 200)"; then
	sip_request SUBSCRIBE $A "Event: xcap-diff
Accept: application/xcap-diff+xml
Expires: 60"
	assert_reply 489 "SUBSCRIBE Event: xcap-diff after disable_xcapdiff 1"
	assert_no_match 'xcap-diff' "$(msg_hdr "$REPLY" Allow-Events)" "Allow-Events without xcap-diff"
fi
sip_request SUBSCRIBE $A "Event: presence"
assert_reply '20[02]' "SUBSCRIBE without Expires"
assert_eq 3600 "$(msg_hdr "$REPLY" Expires)" "its Expires is the default 3600"
assert_alive
finish
