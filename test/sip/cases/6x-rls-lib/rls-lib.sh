# Helpers of the cases running Kamailio's rls on the presence modules
# (45, 61): sourced after test/sip/lib.sh. (No test.sh here: run.sh skips
# this directory.)
#
# rls keeps its own tables through Kamailio's DB API. They live in db_text
# (Debian's db_sqlite lacks the replace operation rls uses for back-end
# states, and rls then calls a NULL pointer): version, xcap (where rls
# reads rls-services documents, integrated_xcap_server) and the rls tables.

RLS_DB=$WORK/rlsdb

# rls_db_create OWNER LIST NAME MEMBER...: the db_text tables, with one
# rls-services document (owned by OWNER, a user name) defining the list URI
# LIST named NAME with the MEMBER URIs.
rls_db_create() {
	local owner=$1 list=$2 name=$3 t m doc
	shift 3
	mkdir -p "$RLS_DB"
	for t in version xcap rls_watchers rls_presentity; do
		cp /usr/share/kamailio/dbtext/kamailio/$t "$RLS_DB/" || fail "db_text table $t"
	done
	{
		echo '<?xml version="1.0" encoding="UTF-8"?>'
		echo '<rls-services xmlns="urn:ietf:params:xml:ns:rls-services"'
		echo '    xmlns:rl="urn:ietf:params:xml:ns:resource-lists">'
		echo "  <service uri=\"$list\">"
		echo "    <list name=\"$name\">"
		for m in "$@"; do echo "      <rl:entry uri=\"$m\"/>"; done
		echo '    </list>'
		echo '    <packages><package>presence</package></packages>'
		echo '  </service>'
		echo '</rls-services>'
	} >"$WORK/services.xml"
	# doc_type 8: rls-services (xcap_client's RLS_SERVICE); db_text escapes
	# ':', '\' and newlines inside a field
	doc=$(sed -e 's/\\/\\\\/g' -e 's/:/\\:/g' "$WORK/services.xml" | awk '{printf "%s\\n", $0}')
	printf '1:%s:127.0.0.1:%s:8:e-%s:1:/xcap-root/rls-services/global/index:0\n' \
		"$owner" "$doc" "$owner" >>"$RLS_DB/xcap"
}

# rls_start [start_kamailio args]: Kamailio with scripts/kamailio-rls.cfg on
# a free port; rls's back-end SUBSCRIBEs come back to the same instance.
rls_start() {
	PORT=$(free_udp_port) || return 1
	KAM_CFG=$REPO/scripts/kamailio-rls.cfg
	start_kamailio -A "RLS_DBURL=\"text://$RLS_DB\"" \
		-A "RLS_PROXY=\"sip:127.0.0.1:$PORT\"" \
		-A "RLS_SERVER=\"sip:rls@127.0.0.1:$PORT\"" "$@"
}
