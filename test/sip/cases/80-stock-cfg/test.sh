# 80 Debian's stock kamailio.cfg with WITH_PRESENCE: /etc/kamailio/kamailio.cfg
# is copied into the work dir (never edited) and imported unchanged by a
# small wrapper that defines WITH_PRESENCE and DBURL (SQLite: the stock cfg
# sets DBURL only with WITH_MYSQL, and loads only db_mysql, so the wrapper
# loads db_sqlite for Kamailio's modules), puts our module dir first in
# mpath, and after the import sets what a test needs (listen address, ctl
# socket, logs on stderr, 2 children, 127.0.0.1 as an alias on any port so
# that the stock route's uri==myself holds for sip:bob@127.0.0.1). The stock route script then serves
# SUBSCRIBE, PUBLISH (handle_publish / handle_subscribe in transactions,
# t_release) and NOTIFY with our presence and presence_xml as with
# Kamailio's: the watcher's NOTIFYs carry the published PIDF, then the closed
# document after the un-PUBLISH; a refresh SUBSCRIBE in the dialog goes
# through the stock WITHINDLG route. With ENGINE=mysql (the harness's
# MariaDB) the stock cfg's own WITH_MYSQL is used instead of SQLite. The
# SUBSCRIBE is answered 200 on both (subs_respond_200 defaults to 1).
. "$(dirname "$0")/../../lib.sh"
STOCK=/etc/kamailio/kamailio.cfg
[ -r "$STOCK" ] || { fail "no $STOCK (package kamailio)"; finish; }
cp "$STOCK" stock.cfg
# ENGINE=mysql: the stock cfg's own WITH_MYSQL (db_mysql; its
# "#!trydef DBURL" keeps the MariaDB URL start_kamailio defines).
if [ "$ENGINE" = mysql ]; then
	DBLINES='#!define WITH_MYSQL'
else
	DBLINES='loadmodule "db_sqlite.so"'
fi
cat >wrapper.cfg <<CFG
#!KAMAILIO
#!define WITH_PRESENCE
listen=LISTEN
mpath=MPATH
$DBLINES
import_file "$WORK/stock.cfg"
log_stderror=yes
children=2
alias=127.0.0.1
modparam("ctl", "binrpc", CTLSOCK)
CFG
KAM_CFG=$WORK/wrapper.cfg
start_kamailio || finish
B=sip:bob@127.0.0.1

watch_start wa $B sip:wanda@127.0.0.1 3 # initial, publish, un-PUBLISH
wait_notifies wa 1
SUB=$(trace_msg "$(watch_trace wa)" received '^SIP/2.0 20[02]' 1)
SUB_CODE=$(awk 'NR == 1 { print $2 }' <<<"$SUB")
assert_eq 200 "$SUB_CODE" "SUBSCRIBE answered 200 (presence's subs_respond_200 defaults to 1 on both)"
assert_eq "" "$(msg_body "$(watch_notify wa 1)")" "first NOTIFY: nothing published, no body"

pidf $B open stock-note >open.xml
sip_request PUBLISH $B "Event: presence
Expires: 600
Content-Type: application/pidf+xml" open.xml
assert_reply 200 "PUBLISH through the stock route"
ETAG=$(msg_hdr "$REPLY" SIP-ETag)
assert_match '.' "$ETAG" "SIP-ETag of the 200"
assert_eq 600 "$(msg_hdr "$REPLY" Expires)" "Expires of the 200"
if wait_notifies wa 2; then
	N=$(watch_notify wa 2)
	assert_match 'stock-note' "$(msg_body "$N")" "NOTIFY after the PUBLISH carries the PIDF"
	assert_eq application/pidf+xml "$(msg_hdr "$N" Content-Type)" "its Content-Type"
	assert_match '^active;expires=' "$(msg_hdr "$N" Subscription-State)" "its Subscription-State"
fi
sip_request PUBLISH $B "Event: presence
Expires: 0
SIP-If-Match: $ETAG"
assert_reply 200 "un-PUBLISH through the stock route"
if wait_notifies wa 3; then
	B3=$(msg_body "$(watch_notify wa 3)")
	assert_match '<basic>closed</basic>' "$B3" "NOTIFY after the un-PUBLISH: the closed document"
	assert_no_match 'stock-note' "$B3" "without the removed note"
fi
watch_wait wa "wanda's dialog: 3 NOTIFYs, unSUBSCRIBE in the dialog (WITHINDLG), final NOTIFY"
assert_eq 4 "$(trace_count "$(watch_trace wa)" received '^NOTIFY')" "NOTIFYs wanda received"
wait_db
assert_sql "select count(*) from presentity" 0 "no publication left"
assert_alive
finish
