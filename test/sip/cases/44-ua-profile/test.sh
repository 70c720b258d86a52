# 44 user agent profile: Debian's presence_profile (Event: ua-profile,
# RFC 6080) on our presence. A provisioning system PUBLISHes a profile
# document for a device's AoR; the device SUBSCRIBEs to ua-profile for its
# own AoR and gets the document in the NOTIFY; a new profile (modify) is
# NOTIFYed too. Same script under IMPL=reference.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../../lib.sh"
. "$HERE/../41-blf-dialoginfo/evmod.sh"
start_kamailio -A WITH_PROFILE || finish
U=sip:phone7@127.0.0.1
CT=text/xml
EV=ua-profile

profile() {
	printf '<?xml version="1.0"?>\n<profile><display>%s</display><ringtone>%s</ringtone></profile>\n' \
		"$2" "$3" >"$1"
}
profile p1.xml "Desk 7" classic
publish $U $EV $CT p1.xml
assert_reply 200 "provisioning PUBLISHes the profile"
E=$(msg_hdr "$REPLY" SIP-ETag)

subscriber phone $U $U $EV $CT sub:300:2xx notify notify sub:0:2xx notify
wait_notifies phone 1
N=$(watch_notify phone 1)
B=$(msg_body "$N")
assert_eq $EV "$(msg_hdr "$N" Event)" "Event of the first NOTIFY"
assert_eq $CT "$(msg_hdr "$N" Content-Type)" "Content-Type of the first NOTIFY"
assert_match '^active' "$(msg_hdr "$N" Subscription-State)" "the device is active"
assert_eq "Desk 7" "$(xp "$B" 'string(/profile/display)')" "first NOTIFY: the published profile"

profile p2.xml "Reception" jazz
publish $U $EV $CT p2.xml "SIP-If-Match: $E"
assert_reply 200 "provisioning modifies the profile"
wait_notifies phone 2
B=$(msg_body "$(watch_notify phone 2)")
assert_eq Reception "$(xp "$B" 'string(/profile/display)')" "second NOTIFY: the new profile"
assert_eq jazz "$(xp "$B" 'string(/profile/ringtone)')" "second NOTIFY: the new ringtone"

watch_wait phone "phone: 2 NOTIFYs, unsubscribe, final NOTIFY"
assert_alive
finish
