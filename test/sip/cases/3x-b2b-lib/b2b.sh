# Helpers shared by the presence_b2b cases (3x-b2b-*): sourced after
# test/sip/lib.sh. (This directory has no test.sh, so run.sh skips it.)
#
# Two set-ups:
# - presence_b2b alone, against SIPp playing the presence server: start it
#   with lib.sh's own start_kamailio after `use_b2b_cfg` (PORT, CTL, KAM_LOG,
#   kam_rpc and sipp_bg then all refer to it).
# - presence_b2b ("A") subscribing to our presence server ("B"): B is
#   lib.sh's Kamailio (start_kamailio, PORT, sip_request), A is started with
#   start_b2b and reached with b2b_rpc; A_PORT, A_CTL, A_LOG, A_PID.

B2B_CFG=$REPO/scripts/kamailio-b2b.cfg
A_PID= A_PORT= A_CTL=$WORK/ctl-a.sock A_LOG=$WORK/kamailio-a.log

use_b2b_cfg() { KAM_CFG=$B2B_CFG; }

# b2b_cfg_wrapper FILE --param=MODULE:NAME:VALUE...: a config that imports
# the b2b sample config and adds the modparam lines.
b2b_cfg_wrapper() {
	local cfg=$1 a m n v
	shift
	printf '#!KAMAILIO\nimport_file "%s"\n' "$B2B_CFG" >"$cfg"
	for a in "$@"; do
		a=${a#--param=} m=${a%%:*} a=${a#*:} n=${a%%:*} v=${a#*:}
		[[ "$v" =~ ^-?[0-9]+$ ]] || v="\"$v\""
		echo "modparam(\"$m\", \"$n\", $v)" >>"$cfg"
	done
}

a_alive() { [ -n "$A_PID" ] && kill -0 "$A_PID" 2>/dev/null; }
a_ready() {
	a_alive || return 0
	udp_bound "$A_PORT" && kamcmd -s "unix:$A_CTL" core.version >/dev/null 2>&1
}

# start_b2b [--param=presence_b2b:NAME:VALUE...]: start instance A on a free
# port and wait until it serves (bounded).
start_b2b() {
	local cfg=$WORK/kamailio-a.cfg
	b2b_cfg_wrapper "$cfg" "$@"
	A_PORT=$(free_udp_port) || return 1
	rm -f "$A_CTL"
	echo "=== start $(date +%T.%N) port $A_PORT $*" >>"$A_LOG"
	"$KAM_BIN" -f "$cfg" -DD -E -Y "$WORK/run-a" -m 64 \
		-A "LISTEN=udp:127.0.0.1:$A_PORT" -A "CTLSOCK=\"unix:$A_CTL\"" \
		-A "MPATH=\"$REPO/modules:$DEBIAN_MPATH\"" -A "CHILDREN=2" \
		</dev/null >>"$A_LOG" 2>&1 &
	A_PID=$!
	mkdir -p "$WORK/run-a"
	if ! wait_until "$WAIT_MAX" a_ready || ! a_alive; then
		fail "presence_b2b kamailio did not come up on udp:$A_PORT"
		tail -n 15 "$A_LOG" | sed 's/^/    | /'
		stop_b2b
		return 1
	fi
	note "presence_b2b kamailio pid $A_PID ready on udp:127.0.0.1:$A_PORT"
}

stop_b2b() {
	local pid=$A_PID
	[ -n "$pid" ] || return 0
	A_PID=
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null
		wait_until "$WAIT_MAX" proc_gone "$pid" || kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	wait_until "$WAIT_MAX" udp_free "$A_PORT" || true
	echo "=== stopped $(date +%T.%N) pid $pid" >>"$A_LOG"
}

trap 'stop_b2b; cleanup' EXIT

b2b_rpc() { kamcmd -s "unix:$A_CTL" "$@"; }

# list_has CTL REGEX: presence_b2b.list on CTL matches REGEX (one line of
# kamcmd output, or across lines with -z semantics via tr).
list_has() {
	kamcmd -s "unix:$1" presence_b2b.list 2>/dev/null | tr '\n\t' '  ' |
		grep -Eq -- "$2"
}

# wait_list CTL REGEX WHAT: poll the list (bounded by WAIT_MAX) until it
# matches.
wait_list() {
	if wait_until "$WAIT_MAX" list_has "$1" "$2"; then
		ok "${3:-presence_b2b.list matches /$2/}"
	else
		fail "${3:-presence_b2b.list}: expected /$2/ within ${WAIT_MAX}s, saw: $(
			kamcmd -s "unix:$1" presence_b2b.list 2>&1 | tr '\n\t' '  ' | head -c 600)"
	fi
}

# list_field CTL ID FIELD: the value of FIELD of subscription ID.
list_field() {
	kamcmd -s "unix:$1" presence_b2b.list 2>/dev/null | awk -v id="$2" -v f="$3" '
		/^[ \t]*id:/ { cur = $2 }
		cur == id && $1 == f ":" { sub(/^[ \t]*[^:]*:[ \t]*/, ""); print; exit }'
}

# trace_times TRACE sent|received REGEX: the time (s.frac since the epoch)
# of every matching message in a sipp trace, one a line.
trace_times() {
	awk -v dir="$2" -v re="$3" '
	/^-{20,} / { ts = $2 " " $3; next }
	/^(UDP|TCP) message (sent|received)/ {
		want = index($0, dir) > 0; first = 1; next
	}
	want && first && NF { first = 0; if ($0 ~ re) print ts }' "$1" |
	while read -r d t; do date -d "$d $t" +%s.%N; done
}
