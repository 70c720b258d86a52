# Harness of the pua end-to-end cases (test/sip/cases/2x-pua-*), sourced
# after test/sip/lib.sh: lib.sh starts the presence server (ours, or
# Debian's with IMPL=reference) as usual; this file starts a second
# Kamailio running our pua module (scripts/kamailio-pua.cfg) whose
# outbound proxy is that server, on its own free port, ctl socket, SQLite
# database and log, waits until it serves, drives it with kamcmd and stops
# it by PID. This directory has no test.sh: run.sh skips it.

PUA_CFG=$REPO/scripts/kamailio-pua.cfg
PUA_DB=$WORK/pua.db
PUA_CTL=$WORK/pua-ctl.sock
PUA_LOG=$WORK/pua-kamailio.log
PUA_PORT=
PUA_PID=
# PUA_IMPL=reference: the pua instance runs Kamailio's own pua (Debian's
# module dir only, -A PUA_REFERENCE) instead of ours; the 5x cases set it
# from IMPL, the 2x cases leave it at ours.
PUA_IMPL=${PUA_IMPL:-ours}

# pua_start [--param=pua:NAME:VALUE ...] [kamailio args]: start the pua
# instance (port kept across restarts), publishing and subscribing through
# the presence server on $PORT.
pua_start() {
	local cfg=$PUA_CFG args=() a m n v mpath="$REPO/modules:$DEBIAN_MPATH"
	if [ "$PUA_IMPL" = reference ]; then
		mpath=$DEBIAN_MPATH
		args+=(-A PUA_REFERENCE)
	fi
	for a in "$@"; do
		case "$a" in
		--param=*)
			a=${a#--param=} m=${a%%:*} a=${a#*:} n=${a%%:*} v=${a#*:}
			[[ "$v" =~ ^-?[0-9]+$ ]] || v="\"$v\""
			if [ "$cfg" = "$PUA_CFG" ]; then
				cfg=$WORK/kamailio-pua.cfg
				printf '#!KAMAILIO\nimport_file "%s"\n' "$PUA_CFG" >"$cfg"
			fi
			echo "modparam(\"$m\", \"$n\", $v)" >>"$cfg"
			;;
		*) args+=("$a") ;;
		esac
	done
	[ -f "$PUA_DB" ] || sqlite3 "$PUA_DB" <"$REPO/scripts/sqlite/presence-create.sql" ||
		{ fail "cannot create $PUA_DB"; return 1; }
	[ -n "$PUA_PORT" ] || PUA_PORT=$(free_udp_port) || return 1
	rm -f "$PUA_CTL"
	mkdir -p "$WORK/pua-run"
	echo "=== start $(date +%T.%N) port $PUA_PORT cfg $cfg $*" >>"$PUA_LOG"
	"$KAM_BIN" -f "$cfg" -DD -E -Y "$WORK/pua-run" -m 64 \
		-A "LISTEN=udp:127.0.0.1:$PUA_PORT" \
		-A "DBURL=\"sqlite://$PUA_DB\"" \
		-A "CTLSOCK=\"unix:$PUA_CTL\"" \
		-A "OUTBOUND_PROXY=\"sip:127.0.0.1:$PORT\"" \
		-A "MPATH=\"$mpath\"" \
		-A "CHILDREN=${PUA_CHILDREN:-2}" \
		"${args[@]}" </dev/null >>"$PUA_LOG" 2>&1 &
	PUA_PID=$!
	if ! wait_until "$WAIT_MAX" pua_ready || ! pua_alive; then
		fail "pua kamailio not ready on udp:$PUA_PORT; log tail:"
		tail -n 15 "$PUA_LOG" | sed 's/^/    | /'
		pua_stop
		return 1
	fi
	note "pua kamailio pid $PUA_PID ready on udp:127.0.0.1:$PUA_PORT"
}

pua_alive() { [ -n "$PUA_PID" ] && kill -0 "$PUA_PID" 2>/dev/null; }

pua_ready() {
	pua_alive || return 0
	udp_bound "$PUA_PORT" && kamcmd -s "unix:$PUA_CTL" core.version >/dev/null 2>&1
}

# pua_stop: TERM the recorded PID (pua saves its records at shutdown),
# wait for it and its port.
pua_stop() {
	local pid=$PUA_PID
	[ -n "$pid" ] || return 0
	PUA_PID=
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null
		if ! wait_until "$WAIT_MAX" proc_gone "$pid"; then
			echo "pua kamailio $pid ignored TERM, killing" >&2
			kill -KILL "$pid" 2>/dev/null
		fi
	fi
	wait "$pid" 2>/dev/null
	wait_until "$WAIT_MAX" udp_free "$PUA_PORT" ||
		echo "port $PUA_PORT still bound after stopping pua $pid" >&2
	echo "=== stopped $(date +%T.%N) pid $pid" >>"$PUA_LOG"
}

# the EXIT trap of lib.sh calls cleanup: stop the pua instance too
cleanup() {
	pua_stop
	stop_sipps
	stop_kamailio
}

pua_rpc() { kamcmd -s "unix:$PUA_CTL" "$@"; }
pua_sql() { sqlite3 -batch -cmd '.timeout 2000' "$PUA_DB" "$1"; }

# pua_publish URI EXPIRES ID [BODYFILE]: pua.publish with '.' for the
# content type, ETag, outbound proxy and extra headers.
pua_publish() {
	if [ -n "${4:-}" ]; then
		pua_rpc pua.publish "$1" "$2" presence . "$3" . . . "$(cat "$4")"
	else
		pua_rpc pua.publish "$1" "$2" presence . "$3" . . .
	fi
}

# pua_field PRES_URI TYPE FIELD: FIELD of the pua.list record of that
# presentity and type (publish / subscribe); empty when none.
pua_field() {
	pua_rpc pua.list 2>/dev/null | awk -v u="$1" -v t="$2" -v f="$3" '
		/^\{/ { ty = ""; pu = ""; delete v; next }
		/^\}/ { if (ty == t && pu == u && (f in v)) { print v[f]; exit } next }
		{
			line = $0; sub(/^[ \t]+/, "", line)
			i = index(line, ":"); if (!i) next
			k = substr(line, 1, i - 1); val = substr(line, i + 1); sub(/^[ \t]+/, "", val)
			v[k] = val
			if (k == "type") ty = val
			if (k == "pres_uri") pu = val
		}'
}

# pua_count: how many records pua.list shows.
pua_count() { pua_rpc pua.list 2>/dev/null | grep -c '^{'; }

# wait_field PRES_URI TYPE FIELD VALUE [WHAT]: poll pua.list (bounded).
wait_field() {
	if wait_until "$WAIT_MAX" field_is "$1" "$2" "$3" "$4"; then
		ok "${5:-pua.list $2 $1 $3} = '$4'"
	else
		fail "${5:-pua.list $2 $1 $3}: expected '$4' within ${WAIT_MAX}s, saw '$(pua_field "$1" "$2" "$3")'"
	fi
}
field_is() { [ "$(pua_field "$1" "$2" "$3")" = "$4" ]; }

# wait_pua_count N [WHAT]
wait_pua_count() {
	if wait_until "$WAIT_MAX" pua_count_is "$1"; then
		ok "${2:-pua.list records} = $1"
	else
		fail "${2:-pua.list records}: expected $1 within ${WAIT_MAX}s, saw $(pua_count)"
	fi
}
pua_count_is() { [ "$(pua_count)" = "$1" ]; }

# assert_pua_log_contains REGEX [WHAT]
assert_pua_log_contains() {
	if grep -Eq -- "$1" "$PUA_LOG"; then
		ok "${2:-pua log contains /$1/}"
	else
		fail "${2:-pua log}: expected a line matching /$1/ in ${PUA_LOG#"$SIP_DIR"/}"
	fi
}

# ---- appended for the 29*-pua-* cases

# subscribe_cseq TRACE N: the first SUBSCRIBE received in TRACE (a SIPp
# playing the presence server) whose CSeq number is N; false when none
# (a retransmission of an earlier one cannot be mistaken for it).
subscribe_cseq() {
	local i n m
	n=$(trace_count "$1" received '^SUBSCRIBE')
	for i in $(seq 1 "$n"); do
		m=$(trace_msg "$1" received '^SUBSCRIBE' "$i")
		if [ "$(msg_hdr "$m" CSeq | awk '{print $1}')" = "$2" ]; then
			printf '%s\n' "$m"
			return 0
		fi
	done
	return 1
}

# Several pua instances in one case (as lib.sh's inst_* do for the server):
# pua_inst_new NAME gives the next pua_start its own port, ctl socket and
# log (PUA_DB, the SQLite file, stays shared); pua_inst_save NAME records
# the running one; pua_inst_use NAME makes it current for pua_rpc,
# pua_field, pua_stop ...; pua_inst_cleanup stops every saved instance and
# then what lib.sh's cleanup stops (install it with
# `trap pua_inst_cleanup EXIT`).
declare -A PUA_INSTANCES=()
pua_inst_new() {
	PUA_PID= PUA_PORT=
	PUA_CTL=$WORK/pua-ctl-$1.sock PUA_LOG=$WORK/pua-kamailio-$1.log
}
pua_inst_save() { PUA_INSTANCES[$1]="$PUA_PID|$PUA_PORT|$PUA_CTL|$PUA_LOG"; }
pua_inst_use() {
	IFS='|' read -r PUA_PID PUA_PORT PUA_CTL PUA_LOG <<<"${PUA_INSTANCES[$1]}"
}
pua_inst_cleanup() {
	local i
	for i in "${!PUA_INSTANCES[@]}"; do
		pua_inst_use "$i"
		pua_stop
		PUA_INSTANCES[$i]="|$PUA_PORT|$PUA_CTL|$PUA_LOG"
	done
	cleanup
}
