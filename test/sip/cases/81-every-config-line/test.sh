# 81 every config line: a config holding every parameter of presence,
# presence_xml and pua that Kamailio 5.6 documents and a call of every
# documented script function (lines.cfg) passes `kamailio -c` (config check:
# modules loaded, parameters set, routes parsed and fixed up) on Kamailio's
# modules (IMPL=reference) and on ours. Kamailio keeps parsing after an
# error, so one run finds every refused line: each is one FAIL line with the
# config line and Kamailio's error message (today none is refused on ours).
# Then Kamailio really starts with every presence_xml and pua line (their
# module init accepts the values: the xcaps table is created for
# xcap_table) and serves an OPTIONS.
. "$(dirname "$0")/../../lib.sh"
if is_reference; then
	MP=$DEBIAN_MPATH
else
	MP=$REPO/modules:$DEBIAN_MPATH
fi
{
	printf '#!KAMAILIO\n#!define DBURL "%s"\n' "$DB_URL"
	printf 'mpath="%s"\n' "$MP"
	printf 'loadmodule "%s.so"\n' sl tm textops xlog pv db_sqlite presence presence_xml pua
} >full.cfg
HDR=$(wc -l <full.cfg)
cp "$CASE_DIR/lines.cfg" body.cfg
cat body.cfg >>full.cfg
create_db >/dev/null 2>&1

"$KAM_BIN" -c -f full.cfg >check.log 2>&1
RC=$?
note "kamailio -c: rc $RC, log check.log"
# "parse error in config file F, line N, column C: MESSAGE"; the cause of
# an unknown-function error is on the log line before it.
grep -n 'parse error in config file\|ERROR' check.log >errors.txt
declare -A SEEN=()
while IFS= read -r line; do
	case "$line" in
	*'parse error in config file'*) ;;
	*) PREV=$(sed 's/.*\]: //' <<<"$line"); continue ;;
	esac
	n=$(sed -n 's/.*, line \([0-9]*\),.*/\1/p' <<<"$line")
	msg=${line##*: }
	[ -n "$n" ] && [ -z "${SEEN[$n]:-}" ] || continue
	SEEN[$n]=1
	src=$(sed -n "${n}p" full.cfg | sed 's/^[[:space:]]*//')
	fail "line $((n - HDR)) of lines.cfg refused: $src -- $msg ($PREV)"
	echo "$src" >>refused.txt
done <errors.txt
touch refused.txt
for m in "presence_xml|pres_check_basic|pres_check_activities" "pua|pua_update_contact"; do
	if grep -Eq "\"(${m%%|*})\"|${m#*|}" refused.txt; then
		note "some ${m%%|*} lines refused (above)"
	else
		ok "every ${m%%|*} line accepted (parameters and $(tr '|' ' ' <<<"${m#*|}"))"
	fi
done
if [ "$RC" = 0 ]; then
	ok "kamailio -c accepts all $(grep -c '^modparam' body.cfg) modparam lines and every function call"
else
	[ "${#SEEN[@]}" -gt 0 ] || fail "kamailio -c failed (rc $RC) without naming a line: $(tail -n 3 check.log | tr '\n' ' ')"
	note "$(grep -o 'bad config file ([0-9]* errors)' check.log)"
fi
for m in presence presence_xml pua; do
	note "$m: $(grep -c "^modparam(\"$m\"" body.cfg) documented parameters in the config"
done

# A real start with every presence_xml and pua line.
sql "CREATE TABLE xcaps AS SELECT * FROM xcap WHERE 0;
INSERT INTO version (table_name, table_version) SELECT 'xcaps', table_version FROM version WHERE table_name = 'xcap';" >/dev/null
{
	printf '#!KAMAILIO\nlisten=LISTEN\nmpath=MPATH\nchildren=2\nlog_stderror=yes\n'
	printf 'loadmodule "%s.so"\n' sl tm ctl db_sqlite presence presence_xml pua
	printf 'modparam("ctl", "binrpc", CTLSOCK)\nmodparam("presence", "db_url", DBURL)\n'
	grep -E '^modparam\("(presence_xml|pua)"' body.cfg
	printf 'request_route {\n\tif(method == "OPTIONS") { sl_send_reply("200", "OK"); }\n\texit;\n}\n'
} >start.cfg
KAM_CFG=$WORK/start.cfg
if start_kamailio; then
	ok "kamailio starts with every presence_xml and pua parameter set"
	sip_request OPTIONS "sip:127.0.0.1:$PORT" ""
	assert_reply 200 "it serves"
fi
finish
