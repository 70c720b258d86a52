# Shared harness for the end-to-end SIP cases: sourced by every
# cases/<NN-name>/test.sh.  It gives each case a fresh work directory under
# test/sip/out/<case>/ with its own SQLite database, starts and stops a real
# Kamailio (by PID, waiting on its UDP port and its ctl socket, never on a
# bare sleep), runs SIPp scenarios with message traces, and offers assertions
# that print what was expected and what was seen.  A case ends with `finish`,
# which exits non-zero when an assertion failed.
#
# IMPL=reference runs the same cases against Debian's own presence modules
# (MPATH = Debian's dir only, -A REFERENCE); assertions guarded by `ours_only`
# are then skipped.

set -u

SIP_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SIP_DIR/../.." && pwd)
CASE_DIR=$(cd "$(dirname "$0")" && pwd)
CASE=$(basename "$CASE_DIR")
# a script other than a case's test.sh (test/dmq/*.sh) gets its own dir
[ "$(basename "$0")" = test.sh ] || CASE=$CASE-$(basename "$0" .sh)
WORK=$SIP_DIR/out/$CASE
IMPL=${IMPL:-ours}
# KAMAILIO_MPATH: module dir of another Kamailio build (its tm, sl, ...)
DEBIAN_MPATH=${KAMAILIO_MPATH:-/usr/lib/x86_64-linux-gnu/kamailio/modules}
KAM_CFG=$REPO/scripts/kamailio-presence.cfg
KAM_BIN=${KAMAILIO:-/usr/sbin/kamailio}
WAIT_MAX=${WAIT_MAX:-10}          # seconds, bound of every readiness wait
SIPP_TIMEOUT=${SIPP_TIMEOUT:-20}  # seconds, global bound of one sipp run

# ENGINE: sqlite (a file per case), postgres or mysql (the server run.sh
# started, PG_URL / MY_URL; the tables are dropped and created per case).
ENGINE=${ENGINE:-sqlite}
DB=$WORK/presence.db
case "$ENGINE" in
sqlite) DB_URL="sqlite://$DB" NOW_SQL="strftime('%s','now')" BODY_SQL=body ;;
postgres) DB_URL=${PG_URL:?ENGINE=postgres needs PG_URL (test/sip/run.sh starts the server)}
	NOW_SQL="extract(epoch from now())::int" BODY_SQL="convert_from(body,'UTF8')" ;;
mysql) DB_URL=${MY_URL:?ENGINE=mysql needs MY_URL (test/sip/run.sh starts the server)}
	NOW_SQL="unix_timestamp()" BODY_SQL=body ;;
*) echo "ENGINE must be sqlite, postgres or mysql, not '$ENGINE'" >&2; exit 2 ;;
esac
CTL=$WORK/ctl.sock
KAM_LOG=$WORK/kamailio.log
KAM_PID=
PORT=
FAILED=0
SIPP_SEQ=0
SIPP_BG_PIDS=()

case "$IMPL" in
ours|reference) ;;
*) echo "IMPL must be 'ours' or 'reference', not '$IMPL'" >&2; exit 2 ;;
esac

# The suite runner creates (and empties) WORK and sends our output to a log
# there; run on its own, a case starts from an empty WORK itself.
if [ -z "${SIP_SUITE:-}" ]; then
	rm -rf "$WORK"
fi
mkdir -p "$WORK"
cd "$WORK" || exit 2

# ---------------------------------------------------------------- results

ok() { echo "  ok: $*"; }
fail() { echo "FAIL: $*"; FAILED=$((FAILED + 1)); }
note() { echo "  .. $*"; }

# ours_only DESCRIPTION: true when an assertion that the reference does not
# satisfy should run; under IMPL=reference prints a SKIP line and is false.
ours_only() {
	if [ "$IMPL" = reference ]; then
		echo "  SKIP (ours-only): $*"
		return 1
	fi
	return 0
}

# is_reference: running against Debian's modules.
is_reference() { [ "$IMPL" = reference ]; }

finish() {
	if [ "$FAILED" -gt 0 ]; then
		echo "RESULT: $FAILED assertion(s) failed"
		exit 1
	fi
	echo "RESULT: all assertions passed"
	exit 0
}

# ---------------------------------------------------------------- helpers

# wait_until, udp_bound, tcp_bound, tcp_used, udp_free, proc_gone, free_udp_port
# (the ports this case handed out are kept in $WORK/ports)
. "$SIP_DIR/../procs.sh"
PORTS_FILE=$WORK/ports

# ---------------------------------------------------------------- database

# url_part URL: sets U_USER U_PASS U_HOST U_PORT U_DB from a db_url.
url_part() {
	local r=${1#*://}
	U_USER=${r%%:*} r=${r#*:}
	U_PASS=${r%%@*} r=${r#*@}
	U_HOST=${r%%:*} r=${r#*:}
	U_PORT=${r%%/*} U_DB=${r#*/}
}

server_sql() {
	url_part "$DB_URL"
	case "$ENGINE" in
	postgres) PGPASSWORD=$U_PASS psql -X -q -A -t -F '|' -v ON_ERROR_STOP=1 \
		-h "$U_HOST" -p "$U_PORT" -U "$U_USER" -d "$U_DB" "$@" ;;
	mysql) mariadb --no-defaults -N -B -h "$U_HOST" -P "$U_PORT" -u "$U_USER" \
		-p"$U_PASS" "$U_DB" "$@" | tr '\t' '|' ;;
	esac
}

TABLES="presentity, active_watchers, watchers, xcap, pua, version"

# create_db: the case database, from the project's schema for ENGINE
# (SQLite: Debian's presence schema plus its version table while ours does
# not exist).
create_db() {
	local db=$DB schema=$REPO/scripts/$ENGINE/presence-create.sql
	if [ "$ENGINE" != sqlite ]; then
		sql "DROP TABLE IF EXISTS $TABLES" >/dev/null || return 1
		server_sql <"$schema" >/dev/null || return 1
		touch "$WORK/.db-created"
		return 0
	fi
	rm -f "$db" "$db-wal" "$db-shm"
	if [ -f "$schema" ]; then
		sqlite3 "$db" <"$schema" || return 1
	else
		{
			sed -n '/CREATE TABLE version/,/^INSERT/p' \
				/usr/share/kamailio/db_sqlite/standard-create.sql
			cat /usr/share/kamailio/db_sqlite/presence-create.sql
		} | sqlite3 "$db" || return 1
	fi
}

db_created() { [ -f "$DB" ] || [ -f "$WORK/.db-created" ]; }

sql() {
	case "$ENGINE" in
	sqlite) sqlite3 -batch -cmd '.timeout 2000' "$DB" "$1" ;;
	postgres) server_sql -c "$1" ;;
	mysql) server_sql -e "$1" ;;
	esac
}

# ---------------------------------------------------------------- kamailio

# start_kamailio [ARGS...]: start Kamailio on a free port (or on $PORT when
# it is already set, as for a restart) and wait until it serves.  ARGS go to
# kamailio as they are (-A WITH_TM), except --param=MODULE:NAME:VALUE: those
# become modparam lines of a wrapper config $WORK/kamailio.cfg that imports
# scripts/kamailio-presence.cfg first.  (The config's EXTRA_CFG cannot be
# used: Kamailio does not expand a define in an import_file name, and
# kamailio --modparam is applied before modules are loaded.)
start_kamailio() {
	local mpath ref=() args=() cfg=$KAM_CFG t0 a m n v
	for a in "$@"; do
		case "$a" in
		--param=*)
			a=${a#--param=} m=${a%%:*} a=${a#*:} n=${a%%:*} v=${a#*:}
			[[ "$v" =~ ^-?[0-9]+$ ]] || v="\"$v\""
			if [ "$cfg" = "$KAM_CFG" ]; then
				cfg=$WORK/kamailio.cfg
				printf '#!KAMAILIO\nimport_file "%s"\n' "$KAM_CFG" >"$cfg"
			fi
			echo "modparam(\"$m\", \"$n\", $v)" >>"$cfg"
			;;
		*) args+=("$a") ;;
		esac
	done
	db_created || create_db || { fail "cannot create the $ENGINE database"; return 1; }
	[ -n "$PORT" ] || PORT=$(free_udp_port) || return 1
	if [ "$IMPL" = reference ]; then
		mpath=$DEBIAN_MPATH
		ref=(-A REFERENCE)
	else
		mpath=$REPO/modules:$DEBIAN_MPATH
	fi
	mkdir -p "$WORK/run"
	rm -f "$CTL"
	echo "=== start $(date +%T.%N) port $PORT impl $IMPL cfg $cfg $*" >>"$KAM_LOG"
	t0=$(date +%s%N)
	"$KAM_BIN" -f "$cfg" -DD -E -Y "$WORK/run" -m 64 \
		-A "LISTEN=udp:127.0.0.1:$PORT" \
		-A "DBURL=\"$DB_URL\"" \
		-A "CTLSOCK=\"unix:$CTL\"" \
		-A "SERVER_ADDRESS=\"sip:127.0.0.1:$PORT\"" \
		-A "MPATH=\"$mpath\"" \
		-A "CHILDREN=${CHILDREN:-2}" -A WITHOUT_SANITY \
		"${ref[@]}" "${args[@]}" </dev/null >>"$KAM_LOG" 2>&1 &
	KAM_PID=$!
	echo "$KAM_PID" >"$WORK/kamailio.pid"
	if ! wait_until "$WAIT_MAX" kamailio_ready || ! kamailio_alive; then
		if kamailio_alive; then
			fail "kamailio (pid $KAM_PID) not ready on udp:$PORT and $CTL within ${WAIT_MAX}s"
			stop_kamailio
		else
			wait "$KAM_PID" 2>/dev/null
			fail "kamailio exited during start-up (rc $?); log tail:"
			KAM_PID=
		fi
		tail -n 15 "$KAM_LOG" | sed 's/^/    | /'
		return 1
	fi
	note "kamailio pid $KAM_PID ready on udp:127.0.0.1:$PORT in $((($(date +%s%N) - t0) / 1000000)) ms"
}

# kamailio_ready: true when up, and also when dead (so the wait ends early).
kamailio_ready() {
	kamailio_alive || return 0
	udp_bound "$PORT" && kamcmd -s "unix:$CTL" core.version >/dev/null 2>&1
}

# kamailio_alive: the recorded PID still lives.
kamailio_alive() { [ -n "$KAM_PID" ] && kill -0 "$KAM_PID" 2>/dev/null; }

# start_kamailio_expect_exit [ARGS...]: for a config that must not come up;
# true when Kamailio exited by itself during start-up (its log says why).
start_kamailio_expect_exit() {
	local failed=$FAILED
	start_kamailio "$@" >/dev/null 2>&1
	FAILED=$failed
	! kamailio_alive
}

# stop_kamailio: TERM the recorded PID, wait (bounded) for it to exit and
# for its port to be released; KILL only as a last resort.
stop_kamailio() {
	local pid=$KAM_PID
	[ -n "$pid" ] || return 0
	KAM_PID=
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null
		if ! wait_until "$WAIT_MAX" proc_gone "$pid"; then
			echo "kamailio $pid ignored TERM, killing" >&2
			kill -KILL "$pid" 2>/dev/null
		fi
	fi
	wait "$pid" 2>/dev/null
	wait_until "$WAIT_MAX" udp_free "$PORT" ||
		echo "port $PORT still bound after stopping kamailio $pid" >&2
	echo "=== stopped $(date +%T.%N) pid $pid" >>"$KAM_LOG"
}


# kill_kamailio: a crash of the current instance: SIGKILL to its main
# process and its children (by their PIDs, in one kill), then wait for
# them; the instance is no longer running (KAM_PID empty).
kill_kamailio() {
	local pid=$KAM_PID kids p
	[ -n "$pid" ] || return 0
	KAM_PID=
	kids=$(ps -o pid= --ppid "$pid" 2>/dev/null | tr -d ' ')
	# shellcheck disable=SC2086
	kill -KILL "$pid" $kids 2>/dev/null
	wait "$pid" 2>/dev/null
	for p in $kids; do
		wait_until "$WAIT_MAX" proc_gone "$p" || echo "process $p survived SIGKILL" >&2
	done
	echo "=== killed $(date +%T.%N) pid $pid and children $kids" >>"$KAM_LOG"
}

# kam_rpc ARGS...: kamcmd on the case's ctl socket.
kam_rpc() { kamcmd -s "unix:$CTL" "$@"; }
# kam_stat COMMAND NAME: one counter of a kamcmd statistics listing
# (tm.stats, sl.stats: "NAME: VALUE" lines); empty when absent
kam_stat() { kam_rpc "$1" 2>/dev/null | awk -v n="$2" '$1 == n":" { print $2 }'; }

# ---------------------------------------------------------------- sipp

# sipp_run SCENARIO [-k KEY VALUE ...] [sipp args...]
# Runs SCENARIO (a path relative to the case directory, or absolute) against
# Kamailio from its own free port, in the foreground, and returns sipp's exit
# code.  The trace goes to $WORK/<n>-<scenario>.msg (SIPP_TRACE), the errors
# to .err (SIPP_ERR).  On failure the abort reason is printed.  Common keys:
# [port] (Kamailio's port), [lport] (sipp's port) are always set.
# SIPP_LPORT may fix sipp's own port (e.g. a watcher across a restart).
sipp_run() {
	sipp_prepare "$@" || return 1
	local rc
	sipp "${SIPP_ARGS[@]}" >"$SIPP_OUT" 2>&1 </dev/null
	rc=$?
	sipp_report "$rc" "$SIPP_NAME"
	return "$rc"
}

# sipp_bg NAME SCENARIO [args as sipp_run]: start sipp in the background;
# sipp_wait NAME collects it (bounded by its own -timeout).  Returns once
# sipp listens.  NAME must be a shell identifier; its trace is BG_TRACE_NAME.
sipp_bg() {
	local name=$1
	shift
	sipp_prepare "$@" || return 1
	sipp "${SIPP_ARGS[@]}" >"$SIPP_OUT" 2>&1 </dev/null &
	local pid=$!
	SIPP_BG_PIDS+=("$pid")
	printf '%s\n%s\n%s\n%s\n' "$pid" "$SIPP_TRACE" "$SIPP_ERR" \
		"$SIPP_NAME" >"$WORK/$name.bg"
	# wait until sipp listens, so that the next step cannot race it (a
	# short scenario may already be over: sipp_wait reports its outcome)
	wait_until "$WAIT_MAX" sipp_listening "$SIPP_PORT" "$pid" ||
		fail "sipp $name did not bind udp:$SIPP_PORT"
	eval "BG_TRACE_$name=\$SIPP_TRACE"
}

# sipp_listening PORT PID: sipp PID listens on PORT, or has already exited.
sipp_listening() { udp_bound "$1" || ! kill -0 "$2" 2>/dev/null; }

# sipp_wait NAME: wait for a background sipp and return its exit code.
sipp_wait() {
	local name=$1 pid trace err sname rc
	{ read -r pid; read -r trace; read -r err; read -r sname; } <"$WORK/$name.bg"
	wait "$pid"
	rc=$?
	SIPP_TRACE=$trace SIPP_ERR=$err
	sipp_report "$rc" "$sname"
	return "$rc"
}

sipp_prepare() {
	local scen=$1 keys=() extra=()
	shift
	case "$scen" in /*) ;; *) scen=$CASE_DIR/$scen ;; esac
	[ -f "$scen" ] || { fail "no scenario $scen"; return 1; }
	while [ $# -gt 0 ]; do
		if [ "$1" = -k ]; then
			keys+=(-key "$2" "$3")
			shift 3
		else
			extra+=("$1")
			shift
		fi
	done
	SIPP_SEQ=$((SIPP_SEQ + 1))
	SIPP_NAME=$(printf '%02d-%s' "$SIPP_SEQ" "$(basename "$scen" .xml)")
	SIPP_PORT=${SIPP_LPORT:-$(free_udp_port)} || return 1
	SIPP_TRACE=$WORK/$SIPP_NAME.msg
	SIPP_ERR=$WORK/$SIPP_NAME.err
	SIPP_OUT=$WORK/$SIPP_NAME.out
	SIPP_ARGS=(-sf "$scen" "127.0.0.1:$PORT" -i 127.0.0.1 -p "$SIPP_PORT"
		-m 1 -l 1 -nr -nostdin -timeout "${SIPP_TIMEOUT}s" -timeout_error
		-recv_timeout 5000 -max_recv_loops 100
		-trace_msg -message_file "$SIPP_TRACE"
		-trace_err -error_file "$SIPP_ERR"
		-key port "$PORT" -key lport "$SIPP_PORT"
		"${keys[@]}" "${extra[@]}")
}

sipp_report() {
	[ "$1" -ne 0 ] && note "sipp $2 exited $1$(sipp_reason)"
	return 0
}

# assert_sipp RC WHAT: a sipp run ended as expected (0).
assert_sipp() {
	if [ "$1" -eq 0 ]; then
		ok "$2"
	else
		fail "$2: sipp exited $1 (see ${SIPP_ERR#"$SIP_DIR"/})$(sipp_reason)"
	fi
}

# sipp_reason: the first abort reason from the last sipp error file.
sipp_reason() {
	local r
	r=$(grep -m1 -E 'unexpected|timed out|timeout|Aborting|error' "$SIPP_ERR" \
		2>/dev/null | sed 's/^.*\(Aborting\|while\)/\1/' | cut -c1-200)
	[ -n "$r" ] && echo ": $r"
}

stop_sipps() {
	local pid
	for pid in "${SIPP_BG_PIDS[@]}"; do
		if kill -0 "$pid" 2>/dev/null; then
			kill -TERM "$pid" 2>/dev/null
			wait_until 3 proc_gone "$pid" || kill -KILL "$pid" 2>/dev/null
		fi
		wait "$pid" 2>/dev/null
	done
	SIPP_BG_PIDS=()
}

# ---------------------------------------------------------------- instances
# A case may run several Kamailio instances (on one database): inst_new NAME
# gives the next start_kamailio its own port, ctl socket and log;
# inst_save NAME records the running one; inst_use NAME makes it current
# (for sip_request, sipp_bg, kam_rpc, assert_alive ...).
# inst_own_db NAME (SQLite only, after inst_new): the instance gets its
# own database file presence-NAME.db (the nodes of a DMQ cluster each keep
# their own copy); inst_save/inst_use carry it along.
declare -A INSTANCES=()
inst_new() { KAM_PID= PORT= CTL=$WORK/ctl-$1.sock KAM_LOG=$WORK/kamailio-$1.log; }
inst_save() { INSTANCES[$1]="$KAM_PID|$PORT|$CTL|$KAM_LOG|$DB|$DB_URL"; }
inst_use() { IFS='|' read -r KAM_PID PORT CTL KAM_LOG DB DB_URL <<<"${INSTANCES[$1]}"; }
inst_own_db() { DB=$WORK/presence-$1.db DB_URL="sqlite://$WORK/presence-$1.db"; }
# inst_port NAME: the port of a saved instance.
inst_port() { local r=${INSTANCES[$1]#*|}; echo "${r%%|*}"; }

cleanup() {
	local i
	stop_sipps
	stop_kamailio
	for i in "${!INSTANCES[@]}"; do
		inst_use "$i"
		stop_kamailio
	done
}
trap cleanup EXIT
trap 'fail "interrupted"; exit 1' INT TERM

# ---------------------------------------------------------------- one request

# sip_request METHOD URI HEADERS [BODYFILE]: send one request from a
# generated scenario and record the reply.  HEADERS are extra header lines
# (newline-separated; Via/From/To/Call-ID/CSeq/Max-Forwards/Contact/
# Content-Length are generated unless FROM/TO/CALLID/CSEQ are set in the
# environment).  Sets REPLY_CODE (empty when none came) and REPLY (the whole
# reply).  Any final reply code is accepted here; the caller asserts it.
sip_request() {
	local method=$1 uri=$2 headers=$3 body=${4:-} scen name
	SIPP_SEQ_REQ=$((${SIPP_SEQ_REQ:-0} + 1))
	name=req$SIPP_SEQ_REQ-$(echo "$method" | tr '[:upper:]' '[:lower:]')
	scen=$WORK/$name.xml
	{
		cat <<EOF
<?xml version="1.0" encoding="ISO-8859-1"?>
<scenario name="$name">
<send><![CDATA[
$method $uri SIP/2.0
Via: SIP/2.0/UDP [local_ip]:[local_port];branch=[branch]
From: ${FROM:-<sip:probe@127.0.0.1>};tag=[pid]probe[call_number]
To: ${TO:-<$uri>}
Call-ID: ${CALLID:-[call_id]}
CSeq: ${CSEQ:-1} $method
Max-Forwards: 70
Contact: <sip:probe@[local_ip]:[local_port]>
EOF
		[ -n "$headers" ] && printf '%s\n' "$headers"
		# CLEN=N: a Content-Length other than the body's (framing tests)
		echo "Content-Length: ${CLEN:-[len]}"
		echo
		# [file] keeps bodies such as a DOCTYPE out of sipp's XML parser
		[ -n "$body" ] && printf '[file name="%s"]\n' "$(realpath "$body")"
		echo "]]></send>"
		echo '<recv response="100" optional="true"/>'
		for c in 200 202 400 403 404 405 406 412 413 415 420 423 480 481 \
			483 489 491 500 501 503 513; do
			echo "<recv response=\"$c\" next=\"done\" optional=\"true\"/>"
		done
		echo '<recv response="999"/>'
		echo '<label id="done"/>'
		echo '</scenario>'
	} >"$scen"
	sipp_run "$scen" >/dev/null
	REPLY=$(trace_msg "$SIPP_TRACE" received '^SIP/2.0' 1)
	REPLY_CODE=$(printf '%s\n' "$REPLY" | head -n1 | awk '{print $2}')
}

# assert_reply CODE WHAT: the last sip_request got CODE (a regex like
# '400|489' is allowed).
assert_reply() {
	local want=$1 what=$2
	if [[ "$REPLY_CODE" =~ ^($want)$ ]]; then
		ok "$what -> $REPLY_CODE"
	else
		fail "$what: expected reply $want, got '${REPLY_CODE:-no reply}'$(
			[ -z "$REPLY_CODE" ] && sipp_reason)"
	fi
}

# ---------------------------------------------------------------- watchers

# watch_start NAME PRESENTITY WATCHER N [EXPIRES [UNSUB [CONTACT]]]:
# start a background subscriber (sipp from its own port) that SUBSCRIBEs
# to PRESENTITY as WATCHER, accepts 200 or 202, answers N NOTIFYs with 200,
# then (UNSUB=1, the default) unsubscribes in the dialog (Expires: 0),
# accepts 200/202 and answers the final NOTIFY.  CONTACT defaults to
# sip:<user of WATCHER>@127.0.0.1:<its port>.  SIPP_LPORT fixes the port.
# The scenario is generated into $WORK/NAME.xml. WATCH_EVENT and
# WATCH_ACCEPT replace the Event (presence) and Accept (application/pidf+xml).
watch_start() {
	local name=$1 pres=$2 watcher=$3 n=$4 exp=${5:-300} unsub=${6:-1}
	local contact=${7:-} user i scen=$WORK/$1.xml
	user=${watcher#sip:}
	user=${user%%@*}
	[ -n "$contact" ] || contact="sip:$user@[local_ip]:[local_port]"
	{
		echo '<?xml version="1.0" encoding="ISO-8859-1"?>'
		echo "<scenario name=\"$name\">"
		watch_subscribe "$pres" "$watcher" "$contact" "$exp" 1 ""
		echo '<recv response="200" optional="true" next="sub_ok"/>'
		echo '<recv response="202"/>'
		echo '<label id="sub_ok"/>'
		for i in $(seq 1 "$n"); do watch_notify_ok; done
		if [ "$unsub" = 1 ]; then
			watch_subscribe "$pres" "$watcher" "$contact" 0 2 \
				"[peer_tag_param]"
			echo '<recv response="200" optional="true" next="unsub_ok"/>'
			echo '<recv response="202"/>'
			echo '<label id="unsub_ok"/>'
			watch_notify_ok
		fi
		echo '</scenario>'
	} >"$scen"
	# a watcher waits while the case does its checks between NOTIFYs, which
	# can take over 10 s on a loaded machine: 30 s per message, 60 s in all
	# (at least); a case still ends when its assertions are done
	local t=$SIPP_TIMEOUT
	[ "$t" -ge 60 ] || t=60
	SIPP_TIMEOUT=$t sipp_bg "$name" "$scen" -recv_timeout 30000
}

watch_subscribe() {
	printf '%s\n' '<send><![CDATA[' \
		"SUBSCRIBE $1 SIP/2.0" \
		'Via: SIP/2.0/UDP [local_ip]:[local_port];branch=[branch]' \
		"From: <$2>;tag=[pid]w[call_number]" \
		"To: <$1>$6" \
		'Call-ID: [call_id]' \
		"CSeq: $5 SUBSCRIBE" \
		'Max-Forwards: 70' \
		"Contact: <$3>" \
		"Event: ${WATCH_EVENT:-presence}" \
		"Accept: ${WATCH_ACCEPT:-application/pidf+xml}" \
		"Expires: $4" \
		'Content-Length: [len]' \
		'' ']]></send>'
}

watch_notify_ok() {
	printf '%s\n' '<recv request="NOTIFY"/>' '<send><![CDATA[' \
		'SIP/2.0 200 OK' '[last_Via:]' '[last_From:]' '[last_To:]' \
		'[last_Call-ID:]' '[last_CSeq:]' 'Content-Length: 0' '' \
		']]></send>'
}

# watch_trace NAME: the message trace of a watcher.
# watch_notify_via_ok: receive a NOTIFY and answer it at the address in its
# Via (as a UA does), not at sipp's remote host: with several instances the
# NOTIFY may come from any of them. Later requests of the call go there too
# unless a setdest says otherwise.
watch_notify_via_ok() {
	printf '%s\n' '<recv request="NOTIFY"><action>' \
		'<ereg regexp="SIP/2.0/UDP ([0-9.]+):([0-9]+)" search_in="hdr" header="Via:" check_it="true" assign_to="via,vhost,vport"/>' \
		'<setdest host="[$vhost]" port="[$vport]" protocol="udp"/>' \
		'</action></recv>' '<send><![CDATA[' \
		'SIP/2.0 200 OK' '[last_Via:]' '[last_From:]' '[last_To:]' \
		'[last_Call-ID:]' '[last_CSeq:]' 'Content-Length: 0' '' \
		']]></send>'
}

watch_trace() { eval "echo \"\${BG_TRACE_$1}\""; }

# wait_notifies NAME K: wait (bounded) until watcher NAME got K NOTIFYs.
wait_notifies() {
	local t
	t=$(watch_trace "$1")
	if wait_until "$WAIT_MAX" notify_count_ge "$t" "$2"; then
		ok "watcher $1 got NOTIFY #$2"
	else
		fail "watcher $1: expected $2 NOTIFYs within ${WAIT_MAX}s, got $(trace_count "$t" received '^NOTIFY')"
		return 1
	fi
}
notify_count_ge() { [ "$(trace_count "$1" received '^NOTIFY')" -ge "$2" ]; }

# watch_notify NAME K: the K-th NOTIFY watcher NAME received (-1: last).
watch_notify() { trace_msg "$(watch_trace "$1")" received '^NOTIFY' "$2"; }

# watch_wait NAME [WHAT]: the watcher's sipp ended with 0.
watch_wait() {
	sipp_wait "$1"
	assert_sipp $? "${2:-watcher $1 scenario}"
}

# ---------------------------------------------------------------- traces

# trace_msg TRACE sent|received REGEX N: the N-th (1-based; -1 = last;
# 0 prints how many)
# message of that direction whose first line matches REGEX, CRLFs removed.
trace_msg() {
	local trace=$1 dir=$2 re=$3 n=$4
	[ -f "$trace" ] || return 1
	awk -v dir="$dir" -v re="$re" -v n="$n" -v what="${TRACE_WHAT:-msg}" '
	function flush() {
		if (cur != "" && first ~ re) { cnt++; msgs[cnt] = what == "time" ? stamp : cur }
		cur = ""; first = ""; inmsg = 0
	}
	/^-{20,} / { flush(); stamp = $2 " " $3; next }
	/^(UDP|TCP) message (sent|received)/ {
		flush()
		if (index($0, dir) > 0) { inmsg = 1; skipblank = 1 }
		next
	}
	inmsg {
		sub(/\r$/, "")
		if (skipblank && $0 == "") next
		if (skipblank) { first = $0; skipblank = 0 }
		cur = cur $0 "\n"
	}
	END {
		flush()
		if (n == 0) { print cnt + 0; exit }
		if (n < 0) n = cnt + 1 + n
		if (n >= 1 && n <= cnt) printf "%s", msgs[n]
	}' "$trace"
}

# trace_time TRACE sent|received REGEX N: when sipp logged that message
# (trace_msg's arguments), in ms since the epoch; empty when there is none.
trace_time() {
	local t
	t=$(TRACE_WHAT=time trace_msg "$@") && [ -n "$t" ] && date -d "$t" +%s%3N
}

# reply N: the N-th reply (1-based, -1 = last) in the last sipp trace.
reply() { trace_msg "$SIPP_TRACE" received '^SIP/2.0' "${1:--1}"; }

# trace_count TRACE sent|received REGEX: how many such messages.
trace_count() {
	[ -f "$1" ] || { echo 0; return; }
	trace_msg "$1" "$2" "$3" 0
}

# msg_hdr "MSG" NAME: value of the first NAME header (compact forms of the
# usual headers are understood).
msg_hdr() {
	local short=
	case "$(echo "$2" | tr '[:upper:]' '[:lower:]')" in
	from) short=f ;; to) short=t ;; call-id) short=i ;; contact) short=m ;;
	content-type) short=c ;; content-length) short=l ;; event) short=o ;;
	via) short=v ;; allow-events) short=u ;; esac
	printf '%s\n' "$1" | awk -v n="$2" -v s="$short" '
		NR == 1 { next }
		$0 == "" { exit }
		{
			i = index($0, ":"); if (!i) next
			h = tolower(substr($0, 1, i - 1)); gsub(/[ \t]/, "", h)
			if (h == tolower(n) || (s != "" && h == s)) {
				v = substr($0, i + 1); sub(/^[ \t]+/, "", v); sub(/[ \t]+$/, "", v)
				print v; exit
			}
		}'
}

# msg_body "MSG": the body (after the first empty line).
msg_body() { printf '%s\n' "$1" | awk 'f { print } $0 == "" { f = 1 }'; }

# msg_tag "HEADER VALUE": the tag parameter of a From/To value.
msg_tag() { printf '%s\n' "$1" | sed -n 's/.*;[ \t]*tag=\([^;> \t]*\).*/\1/p'; }

# msg_param "VALUE" NAME: a ;NAME=value parameter.
msg_param() { printf '%s\n' "$1" | sed -n "s/.*;[ \t]*$2=\([^;, \t]*\).*/\1/p"; }

# ---------------------------------------------------------------- asserts

# assert_eq EXPECTED SEEN WHAT
assert_eq() {
	if [ "$1" = "$2" ]; then
		ok "$3 = '$2'"
	else
		fail "$3: expected '$1', saw '$2'"
	fi
}

# assert_ne UNEXPECTED SEEN WHAT
assert_ne() {
	if [ "$1" != "$2" ]; then
		ok "$3 = '$2' (not '$1')"
	else
		fail "$3: expected something other than '$1'"
	fi
}

# assert_match REGEX SEEN WHAT (extended regex, whole-string not implied)
assert_match() {
	if printf '%s' "$2" | grep -Eq -- "$1"; then
		ok "$3 =~ /$1/"
	else
		fail "$3: expected to match /$1/, saw '$(printf '%s' "$2" | head -c 300)'"
	fi
}

# assert_no_match REGEX SEEN WHAT
assert_no_match() {
	if printf '%s' "$2" | grep -Eq -- "$1"; then
		fail "$3: expected no match of /$1/, saw '$(printf '%s' "$2" | head -c 300)'"
	else
		ok "$3 !~ /$1/"
	fi
}

# assert_num OP EXPECTED SEEN WHAT (OP: -gt -ge -lt -le -eq)
assert_num() {
	if [[ "$3" =~ ^-?[0-9]+$ ]] && test "$3" "$1" "$2"; then
		ok "$4 = $3 ($1 $2)"
	else
		fail "$4: expected $1 $2, saw '$3'"
	fi
}

# assert_sql SQL EXPECTED [WHAT]
assert_sql() {
	local seen
	seen=$(sql "$1" 2>&1)
	assert_eq "$2" "$seen" "${3:-sql: $1}"
}

# wait_sql SQL EXPECTED [WHAT]: poll (bounded) until SQL yields EXPECTED.
wait_sql() {
	local seen
	if wait_until "$WAIT_MAX" sql_is "$1" "$2"; then
		ok "${3:-sql: $1} = '$2'"
	else
		seen=$(sql "$1" 2>&1)
		fail "${3:-sql: $1}: expected '$2' within ${WAIT_MAX}s, saw '$seen'"
	fi
}
sql_is() { [ "$(sql "$1" 2>/dev/null)" = "$2" ]; }

# wait_db: bounded wait until presence's DB writer (db_write_interval, on
# by default) has written every change acknowledged so far: its queue
# (statistic presence:db_queue_length) is empty. A change enters the queue
# before its reply leaves and leaves it once its batch has committed, so
# after wait_db the tables show every reply received. Call it before
# reading presentity / watchers / active_watchers (a row that must be there,
# or must not). Nothing to wait for on the reference or once Kamailio has
# stopped (a clean stop writes the queue).
db_queue_empty() {
	[ "$(kam_rpc stats.get_statistics presence: 2>/dev/null |
		sed -n 's/^presence:db_queue_length = //p')" = 0 ]
}
wait_db() {
	is_reference && return 0
	kamailio_alive || return 0
	wait_until "$WAIT_MAX" db_queue_empty ||
		fail "presence's DB writer did not empty its queue within ${WAIT_MAX}s"
}

# assert_log_contains REGEX [WHAT]: the case's kamailio log matches.
assert_log_contains() {
	if grep -Eq -- "$1" "$KAM_LOG"; then
		ok "${2:-log contains /$1/}"
	else
		fail "${2:-log}: expected a line matching /$1/ in ${KAM_LOG#"$SIP_DIR"/}"
	fi
}

# assert_kamcmd EXPECTED-SUBSTRING ARGS...: kamcmd succeeds and prints it.
assert_kamcmd() {
	local want=$1 out rc
	shift
	out=$(kam_rpc "$@" 2>&1)
	rc=$?
	if [ "$rc" -eq 0 ] && [[ "$out" == *"$want"* ]] &&
		! printf '%s' "$out" | grep -qi '^error'; then
		ok "kamcmd $* -> contains '$want'"
	else
		fail "kamcmd $*: expected rc 0 and '$want', got rc $rc: $(echo "$out" | head -c 300)"
	fi
}

# assert_alive: the kamailio PID still runs and answers OPTIONS.
assert_alive() {
	if kamailio_alive; then
		ok "kamailio pid $KAM_PID alive"
	else
		fail "kamailio pid $KAM_PID died; log tail: $(tail -n 3 "$KAM_LOG" | tr '\n' ' ')"
	fi
	sip_request OPTIONS "sip:127.0.0.1:$PORT" ""
	assert_reply 200 "OPTIONS still answered"
}

# reply_code [N]: status code of the N-th reply in the last sipp trace.
reply_code() { reply "${1:--1}" | awk 'NR == 1 { print $2 }'; }

# pidf ENTITY STATUS [NOTE]: write a PIDF document to stdout.
pidf() {
	cat <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="$1">
  <tuple id="t1">
    <status><basic>$2</basic></status>
    <note>${3:-note-$2}</note>
  </tuple>
</presence>
EOF
}

# start_xcap_kamailio [ARGS as start_kamailio]: Kamailio with
# scripts/kamailio-xcap.cfg, Kamailio's xcap_server (on this ENGINE's DB
# driver) served by xhttp on TCP $PORT of 127.0.0.1; waits until xhttp
# listens.
start_xcap_kamailio() {
	local drv
	case "$ENGINE" in
	sqlite) drv=db_sqlite.so ;;
	postgres) drv=db_postgres.so ;;
	mysql) drv=db_mysql.so ;;
	esac
	PORT=$(free_udp_port) || return 1
	tcp_bound "$PORT" && { fail "TCP port $PORT is taken"; return 1; }
	KAM_CFG=$REPO/scripts/kamailio-xcap.cfg
	start_kamailio -A "HTTP_LISTEN=tcp:127.0.0.1:$PORT" \
		-A "XCAP_DBDRV=\"$drv\"" "$@" || return 1
	wait_until "$WAIT_MAX" tcp_bound "$PORT" ||
		{ fail "xhttp not listening on tcp:$PORT"; return 1; }
}

# ------------------------------------------- a watcher that stays, one that leaves

# The two watchers of the cases where an ended subscription must stay ended
# (93, 98): sip:stay@127.0.0.1 and sip:leave@127.0.0.1 of PRESENTITY, each
# from its own SIPp port (SPORT, LPORT), Call-IDs cid<N>-stay and
# cid<N>-leave, from-tags ft<N>stay and ft<N>leave, N the case's number.

# stay_leave_subscribe N PRESENTITY: on a running Kamailio, write open.xml
# and closed.xml (PIDF of PRESENTITY), PUBLISH open.xml, let stay and leave
# subscribe (Expires 600); sets SPORT, LPORT and LTT (leave's To-tag) and
# waits until both rows are in active_watchers.
stay_leave_subscribe() {
	local n=$1 a=$2 u
	u=${a#sip:}
	u=${u%%@*}
	pidf "$a" open "a$n-open" >open.xml
	pidf "$a" closed "a$n-closed" >closed.xml
	sip_request PUBLISH "$a" "Event: presence
Expires: 600
Content-Type: application/pidf+xml" open.xml
	assert_reply 200 "$u publishes"
	SPORT=$(free_udp_port) LPORT=$(free_udp_port)
	SIPP_LPORT=$SPORT sipp_run "$SIP_DIR/scenarios/subscribe.xml" \
		-cid_str "cid$n-stay" -k presentity "$a" -k watcher sip:stay@127.0.0.1 \
		-k fromtag "ft${n}stay" -k expires 600
	assert_sipp $? "stay subscribes"
	SIPP_LPORT=$LPORT sipp_run "$SIP_DIR/scenarios/subscribe.xml" \
		-cid_str "cid$n-leave" -k presentity "$a" -k watcher sip:leave@127.0.0.1 \
		-k fromtag "ft${n}leave" -k expires 600
	assert_sipp $? "leave subscribes"
	LTT=$(msg_tag "$(msg_hdr "$(reply 1)" To)")
	wait_sql "select count(*) from active_watchers where callid in ('cid$n-stay','cid$n-leave')" 2 \
		"both rows stored"
}

# stay_leave_unsubscribe N PRESENTITY: leave un-SUBSCRIBEs in its dialog
# (Expires 0, CSeq 2) and answers the final NOTIFY (SIPP_TRACE has both).
stay_leave_unsubscribe() {
	SIPP_LPORT=$LPORT sipp_run "$SIP_DIR/scenarios/refresh-unsub.xml" \
		-cid_str "cid$1-leave" -k presentity "$2" -k watcher sip:leave@127.0.0.1 \
		-k fromtag "ft${1}leave" -k totag "$LTT" -k expires 0 -k dlg_cseq 2
	assert_sipp $? "leave un-SUBSCRIBEs (Expires 0) and gets the final NOTIFY"
}

# stay_leave_after_restart PRESENTITY [ARGS as start_kamailio]: with
# Kamailio stopped, start it with ARGS, listen as stay and as leave (4 s) on
# their ports, PUBLISH closed.xml: stay gets a NOTIFY, leave none.
stay_leave_after_restart() {
	local a=$1 u
	shift
	u=${a#sip:}
	u=${u%%@*}
	start_kamailio "$@" || finish
	SIPP_LPORT=$SPORT sipp_bg stay "$SIP_DIR/scenarios/notify-listener.xml"
	SIPP_TIMEOUT=4 SIPP_LPORT=$LPORT sipp_bg leave "$SIP_DIR/scenarios/notify-listener.xml"
	sip_request PUBLISH "$a" "Event: presence
Expires: 600
Content-Type: application/pidf+xml" closed.xml
	assert_reply 200 "$u publishes after the restart"
	sipp_wait stay
	assert_sipp $? "stay gets a NOTIFY after the restart"
	sipp_wait leave
	assert_eq 0 "$(trace_count "$BG_TRACE_leave" received '^NOTIFY')" \
		"leave gets no NOTIFY after the restart"
}

# assert_notify_senders CALLID-PREFIX WHAT: every NOTIFY of a Call-ID
# starting with CALLID-PREFIX that the presence module logged (its "NOTIFY
# ... : <Call-ID>" line at local_log_level) left from a "presence notify
# sender" process (fanout_processes; kamcmd core.psx), and all of one
# Call-ID from the same one (its NOTIFYs stay in order).
assert_notify_senders() {
	local pids res
	pids=$(kam_rpc core.psx | awk '/PID:/ { p = $2 }
		/DSC: presence notify sender/ { printf "%s ", p }')
	res=$(awk -v pids=" $pids" -v pre="$1" '
		/pres_kam_send_notify\(\): NOTIFY / {
			cid = $NF
			if (index(cid, pre) != 1) next
			n++
			pid = $1; sub(/^[0-9]+\(/, "", pid); sub(/\).*/, "", pid)
			if (index(pids, " " pid " ") == 0) other++
			if ((cid in by) && by[cid] != pid) split_++
			by[cid] = pid
		}
		END { printf "%d NOTIFYs, %d not from a sender, %d dialogs on two senders", n, other, split_ }' "$KAM_LOG")
	case "$pids" in
	*" "*" "* | *" "*) ;;
	*) fail "$2: no presence notify sender process (core.psx)"; return ;;
	esac
	case "$res" in
	"0 NOTIFYs"*) fail "$2: no NOTIFY logged ($res)" ;;
	*", 0 not from a sender, 0 dialogs on two senders") ok "$2: $res (senders: $pids)" ;;
	*) fail "$2: $res (senders: $pids)" ;;
	esac
}
