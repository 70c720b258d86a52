# Sourced by scripts/setup.sh and scripts/check-kamailio6.sh.
# Clean room: the implementation files of Kamailio's own presence family
# are never read or copied here, so the fetched tree keeps only their
# headers and documentation (the interface facts); nothing we build needs
# their .c files. Applied to the trees our scripts fetch, never to one
# given with KAMAILIO_SRC.
CLOSED_MODULES="presence presence_xml presence_dialoginfo presence_mwi
 presence_reginfo presence_profile presence_conference pua pua_rpc pua_bla
 pua_dialoginfo pua_reginfo pua_usrloc pua_xmpp pua_json rls xcap_server
 xcap_client"

close_clean_room() {
	local m
	for m in $CLOSED_MODULES; do
		[ -d "$1/src/modules/$m" ] && find "$1/src/modules/$m" -name '*.c' -delete
	done
	return 0
}
