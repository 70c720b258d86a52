# 41 busy lamp field: Debian's presence_dialoginfo (Event: dialog, RFC 4235)
# on our presence. Two devices of line1 publish their dialogs (early,
# confirmed, terminated); a watcher of the line gets NOTIFYs whose
# dialog-info bodies aggregate both devices at each step. The line
# subscribing to its own dialog gets a plain dialog NOTIFY (not watcher
# info). Then force_single_dialog (one dialog per NOTIFY, the ringing one
# first) and force_dummy_dialog (a document when nothing is published).
# Same script under IMPL=reference (Debian's presence).
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../../lib.sh"
. "$HERE/evmod.sh"
start_kamailio -A WITH_DIALOGINFO || finish
L=sip:line1@127.0.0.1
W=sip:boss@127.0.0.1
CT=application/dialog-info+xml

dstate() { xp "$1" "normalize-space(/*/*[local-name()='dialog'][@call-id='$2']/*[local-name()='state'])"; }
ndialogs() { xp "$1" "count(/*/*[local-name()='dialog'])"; }
# dinfo FILE ID STATE CALLID DIRECTION
dinfo() {
	cat >"$1" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="1" state="full" entity="$L">
  <dialog id="$2" call-id="$4" local-tag="lt-$2" remote-tag="rt-$2" direction="${5:-initiator}">
    <state>$3</state>
  </dialog>
</dialog-info>
XML
}

# device 1 has an early call before anyone watches
dinfo d1-early.xml d1 early call-1
publish $L dialog $CT d1-early.xml
assert_reply 200 "device 1 PUBLISHes its early dialog (Event: dialog)"
E1=$(msg_hdr "$REPLY" SIP-ETag)
assert_ne "" "$E1" "SIP-ETag of device 1's publication"

subscriber boss $L $W dialog $CT sub:300:2xx notify notify notify notify notify sub:0:2xx notify
wait_notifies boss 1
N=$(watch_notify boss 1)
B=$(msg_body "$N")
assert_eq dialog "$(msg_hdr "$N" Event)" "Event of the first NOTIFY"
assert_eq $CT "$(msg_hdr "$N" Content-Type)" "Content-Type of the first NOTIFY"
assert_match '^active' "$(msg_hdr "$N" Subscription-State)" "no authorization rules: the watcher is active"
if well_formed "$B"; then ok "first body well-formed"; else fail "first body not well-formed: '$B'"; fi
assert_eq urn:ietf:params:xml:ns:dialog-info "$(xp "$B" 'namespace-uri(/*)')" "root namespace"
assert_eq $L "$(xp "$B" 'string(/*/@entity)')" "entity"
assert_eq 1 "$(ndialogs "$B")" "dialogs in the first NOTIFY"
assert_eq early "$(dstate "$B" call-1)" "device 1's dialog in the first NOTIFY"

# device 2 rings too
dinfo d2-early.xml d2 early call-2 recipient
publish $L dialog $CT d2-early.xml
assert_reply 200 "device 2 PUBLISHes its early dialog"
E2=$(msg_hdr "$REPLY" SIP-ETag)
wait_notifies boss 2
B=$(msg_body "$(watch_notify boss 2)")
assert_eq 2 "$(ndialogs "$B")" "both devices' dialogs aggregated in NOTIFY 2"
assert_eq early "$(dstate "$B" call-1)" "NOTIFY 2: device 1"
assert_eq early "$(dstate "$B" call-2)" "NOTIFY 2: device 2"

# device 1's call is answered
dinfo d1-conf.xml d1 confirmed call-1
publish $L dialog $CT d1-conf.xml "SIP-If-Match: $E1"
assert_reply 200 "device 1 modifies: confirmed"
E1=$(msg_hdr "$REPLY" SIP-ETag)
wait_notifies boss 3
B=$(msg_body "$(watch_notify boss 3)")
assert_eq 2 "$(ndialogs "$B")" "NOTIFY 3: two dialogs"
assert_eq confirmed "$(dstate "$B" call-1)" "NOTIFY 3: device 1 confirmed"
assert_eq early "$(dstate "$B" call-2)" "NOTIFY 3: device 2 still early"

# device 2 stops ringing
dinfo d2-term.xml d2 terminated call-2 recipient
publish $L dialog $CT d2-term.xml "SIP-If-Match: $E2"
assert_reply 200 "device 2 modifies: terminated"
wait_notifies boss 4
B=$(msg_body "$(watch_notify boss 4)")
assert_eq confirmed "$(dstate "$B" call-1)" "NOTIFY 4: device 1 confirmed"
if [ "$(ndialogs "$B")" = 2 ]; then
	assert_eq terminated "$(dstate "$B" call-2)" "NOTIFY 4: device 2 terminated"
else
	assert_eq 1 "$(ndialogs "$B")" "NOTIFY 4: device 2's ended dialog left out"
fi
B4=$B

# device 1 hangs up
dinfo d1-term.xml d1 terminated call-1
publish $L dialog $CT d1-term.xml "SIP-If-Match: $E1"
assert_reply 200 "device 1 modifies: terminated"
wait_notifies boss 5
B=$(msg_body "$(watch_notify boss 5)")
if well_formed "$B"; then ok "NOTIFY 5 body well-formed"; else fail "NOTIFY 5 body not well-formed: '$B'"; fi
assert_eq "" "$(xp "$B" "/*/*[local-name()='dialog']/*[local-name()='state'][.!='terminated']")" \
	"NOTIFY 5: no dialog left that is not terminated"

# the line subscribes to its own dialog: a dialog NOTIFY, not watcher info
subscriber self $L $L dialog $CT sub:60:2xx notify sub:0:2xx notify
wait_notifies self 1
N=$(watch_notify self 1)
assert_match '^20[02]$' "$(sub_code self)" "the line's SUBSCRIBE to its own dialog"
assert_eq dialog "$(msg_hdr "$N" Event)" "Event of the line's own NOTIFY"
assert_eq $CT "$(msg_hdr "$N" Content-Type)" "Content-Type of the line's own NOTIFY (not watcherinfo)"
assert_match '^active' "$(msg_hdr "$N" Subscription-State)" "the line's own subscription is active"
assert_eq urn:ietf:params:xml:ns:dialog-info "$(xp "$(msg_body "$N")" 'namespace-uri(/*)')" "the line's own body is dialog-info"

watch_wait boss "boss: 5 NOTIFYs, unsubscribe, final NOTIFY"
watch_wait self "line1: NOTIFY, unsubscribe, final NOTIFY"
N=$(watch_notify boss -1)
assert_match '^terminated' "$(msg_hdr "$N" Subscription-State)" "boss: final NOTIFY terminated"

# Allow-Events lists dialog; a PUBLISH of an unknown event still gets 489
publish $L no-such-event text/plain d1-early.xml
assert_reply 489 "PUBLISH of an unregistered event"
assert_match '(^|[ ,])dialog([ ,]|$)' "$(msg_hdr "$REPLY" Allow-Events)" "Allow-Events of the 489 lists dialog"
assert_alive
stop_kamailio

# force_single_dialog: one dialog per NOTIFY, the most important state
start_kamailio -A WITH_DIALOGINFO --param=presence_dialoginfo:force_single_dialog:1 \
	--param=presence_dialoginfo:force_dummy_dialog:1 || finish
L=sip:line2@127.0.0.1
dinfo s1.xml s1 confirmed call-s1
publish $L dialog $CT s1.xml
assert_reply 200 "line2 device 1: confirmed"
dinfo s2.xml s2 early call-s2 recipient
publish $L dialog $CT s2.xml
assert_reply 200 "line2 device 2: early"
subscriber single $L $W dialog $CT sub:60:2xx notify sub:0:2xx notify
wait_notifies single 1
B=$(msg_body "$(watch_notify single 1)")
assert_eq 1 "$(ndialogs "$B")" "force_single_dialog: one dialog in the NOTIFY"
assert_eq early "$(dstate "$B" call-s2)" "force_single_dialog: the ringing (early) dialog wins over the confirmed one"
watch_wait single "single: NOTIFY, unsubscribe, final NOTIFY"

# force_dummy_dialog: a line nobody published for still gets a dialog-info
# document (agg_nbody is called with no publication)
subscriber idle sip:line9@127.0.0.1 $W dialog $CT sub:0:2xx notify
wait_notifies idle 1
N=$(watch_notify idle 1)
B=$(msg_body "$N")
assert_eq $CT "$(msg_hdr "$N" Content-Type)" "force_dummy_dialog: Content-Type with nothing published"
if well_formed "$B"; then ok "force_dummy_dialog: a well-formed body"; else fail "force_dummy_dialog: body not well-formed: '$B'"; fi
assert_eq sip:line9@127.0.0.1 "$(xp "$B" 'string(/*/@entity)')" "force_dummy_dialog: entity of the dummy document"
watch_wait idle "idle: fetch and its NOTIFY"
assert_alive
finish
