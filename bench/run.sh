#!/usr/bin/env bash
# Load benchmark (`make bench`): our presence + presence_xml beside Debian's
# own kamailio-presence-modules, in one run, on the same config shape
# (scripts/kamailio-presence.cfg, SQLite, same route, same number of UDP
# workers), each with CHILDREN=1 and CHILDREN=4.  For every instance:
#
#   PUBLISH    SIPp, one presentity per call, the whole ETag life cycle
#              (initial, refresh, modify, remove = 4 PUBLISH per call), the
#              rate stepped up; a step lasts STEP_SECS seconds of sending.
#   SUBSCRIBE  SIPp, one dialog per call: SUBSCRIBE to a presentity of a
#              published pool, NOTIFY answered, unsubscribe, final NOTIFY
#              answered (2 SUBSCRIBE + 2 NOTIFY per call), same stepping.
#   CPU        utime+stime of every Kamailio process (/proc/<pid>/stat,
#              the main process and all its children) across a step,
#              per 1000 requests answered.
#   fan-out    bench/fanout.py: 1000 watchers of one presentity, then one
#              PUBLISH; time until the 1000th NOTIFY with the new state.
#              Run first, on the fresh instance.
#
# Our presence.so and presence_xml.so are copied to bench/out/engines/modules/ at the
# start and loaded from there, so that a rebuild of the tree during the run
# cannot mix two builds in one table.
#
# A step passes when >= 99.9 % of its calls succeed and the requests were
# answered at >= 90 % of the target rate; a failed step is tried once more
# (this 2-CPU host is shared, SIPp runs on it too), and stepping stops at
# the first rate that fails twice.  Before each step the previous load must
# have drained (Kamailio's CPU idle); every step records the share of the
# machine taken by Kamailio, by SIPp and by unrelated processes, and
# Kamailio's shared memory (kamcmd core.shmmem) is sampled before each step
# and at the end.  Kamailio runs with -m SHM_MB (1024): at a few thousand
# NOTIFYs a second tm alone holds hundreds of MB (each NOTIFY transaction,
# ~9 KB, stays 5 s on tm's wait timer), so a smaller pool would measure
# shared-memory exhaustion rather than the presence modules.  Every SIPp run is bounded by -m and -timeout, every wait by a
# bound; Kamailio is stopped by its PID.  Raw outputs go to bench/out/engines/ (BENCH_OUT), the
# table to stdout and bench/out/engines/results.md.
#
# Engines (ENGINES, default "sqlite postgres mysql"; the order they run in):
#
#   sqlite     everything above, as it was (bench/out/engines/<impl>-c<children>/),
#              then the scale-out measurements below on one SQLite file.
#   postgres   a private PostgreSQL / MariaDB server started with
#   mysql      test/db/servers.sh (data under bench/out/engines/db/, stopped by PID
#              at the end of the engine), then, CHILDREN=SRV_CHILDREN (4),
#              no fan-out, the steps SRV_PUB_RATES / SRV_SUB_RATES:
#                ours-c4        ours, one instance, default (cached) mode
#                reference-c4   Debian's presence, one instance (db_postgres
#                               / db_mysql loaded by bench/kamailio-bench.cfg)
#   all three: ours-dbonly-c4   ours, one instance, DB-only mode
#                               (subs_db_mode 3, publ_cache 0)
#              ours-2inst-c4    two instances of ours in DB-only mode on the
#                               one database, on two ports; each step runs
#                               one SIPp per instance at half the rate and
#                               half the calls, rates and counts summed
#              (bench/out/engines/<engine>/<name>/; for sqlite the one-instance
#              figures are those of ours-c4 / reference-c4 above).
#   Every measurement starts on a fresh schema: the tables are dropped and
#   created again from scripts/<engine>/presence-create.sql (SQLite: a new
#   file).  Kamailio runs from bench/kamailio-bench.cfg, a wrapper that
#   imports scripts/kamailio-presence.cfg and adds, by -A define, the
#   reference's DB driver (REFERENCE_DB_POSTGRES, REFERENCE_DB_MYSQL) and
#   the DB-only modparams (DB_ONLY).  Debian's kamailio-postgres-modules /
#   kamailio-mysql-modules are installed (apt-get) when missing.  The DB
#   server's CPU is reported as its own share of the machine (db %).
#
# Environment knobs: ENGINES, IMPLS ("ours reference"), CHILDREN_LIST
# ("1 4"), PUB_RATES, SUB_RATES (requests/s per step, SQLite one-instance
# runs), SRV_PUB_RATES ("500 1000 2000 4000 8000"), SRV_SUB_RATES ("500
# 1000 2000 4000") (the other measurements), SRV_CHILDREN (4), SCALE_OUT
# (1; 0 skips the DB-only and two-instance measurements), STEP_SECS (5),
# POOL (100), WATCHERS (1000), SHM_MB (1024), QUIET_MAX (20: seconds to
# wait for the machine to calm down before each instance), SKIP_FANOUT=1.
set -u

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH/.." && pwd)
OUT=${BENCH_OUT:-$BENCH/out/engines}
SCEN=$BENCH/scenarios
KAM_CFG=$REPO/scripts/kamailio-presence.cfg
KAM_BIN=${KAMAILIO:-/usr/sbin/kamailio}
DEBIAN_MPATH=/usr/lib/x86_64-linux-gnu/kamailio/modules

KAM_WRAP=$BENCH/kamailio-bench.cfg
ENGINES=${ENGINES:-"sqlite postgres mysql"}
IMPLS=${IMPLS:-"ours reference"}
SRV_PUB_RATES=${SRV_PUB_RATES:-"500 1000 2000 4000 8000"}
SRV_SUB_RATES=${SRV_SUB_RATES:-"500 1000 2000 4000"}
SRV_CHILDREN=${SRV_CHILDREN:-4}
SCALE_OUT=${SCALE_OUT:-1}
CHILDREN_LIST=${CHILDREN_LIST:-"1 4"}
PUB_RATES=${PUB_RATES:-"250 500 1000 1500 2000 3000 4000 6000 8000 12000 16000"}
SUB_RATES=${SUB_RATES:-"250 500 1000 1500 2000 3000 4000 6000 8000 12000"}
STEP_SECS=${STEP_SECS:-5}
POOL=${POOL:-100}
WATCHERS=${WATCHERS:-1000}
SHM_MB=${SHM_MB:-1024}
WAIT_MAX=${WAIT_MAX:-10}
MIN_SUCCESS=${MIN_SUCCESS:-99.9}   # percent of calls
MIN_ACHIEVED=${MIN_ACHIEVED:-90}   # percent of the target rate

# the running instances (index 0 = instance a, 1 = b); KAM_PID, PORT, CTL
# and KAM_LOG are those of instance a
KPIDS=() KPORTS=() KCTLS=() KLOGS=()
KAM_PID=
PORT=
SIPP_PIDS=()
ENGINE=sqlite DB_URL= DB_PID=

# ---------------------------------------------------------------- helpers
# (the approach of test/sip/lib.sh: free ports, bounded waits, stop by PID)

log() { echo "[$(date +%T)] $*" >&2; }

# wait_until, udp_bound, udp_free, proc_gone, free_udp_port (the ports
# this run handed out are kept in $OUT/ports)
. "$REPO/test/procs.sh"
PORTS_FILE=$OUT/ports

kamailio_alive() { # every started instance still runs
	local p
	[ ${#KPIDS[@]} -gt 0 ] || return 1
	for p in "${KPIDS[@]}"; do kill -0 "$p" 2>/dev/null || return 1; done
}
kamailio_ready() { # instance $1 (index)
	kill -0 "${KPIDS[$1]}" 2>/dev/null || return 0
	udp_bound "${KPORTS[$1]}" && kamcmd -s "unix:${KCTLS[$1]}" core.version >/dev/null 2>&1
}

# db_fresh DIR: a fresh schema for the next measurement: SQLite, a new file
# DIR/presence.db; a server engine, every table dropped and created again.
db_fresh() {
	local dir=$1 t
	case "$ENGINE" in
	sqlite)
		DB=$dir/presence.db DB_URL="sqlite://$DB"
		rm -f "$DB" "$DB-wal" "$DB-shm"
		bash "$REPO/scripts/create-sqlite-db.sh" "$DB" >/dev/null
		;;
	postgres)
		t=$(server_sql -A -t -c "SELECT string_agg(quote_ident(tablename), ', ') FROM pg_tables WHERE schemaname = 'public'") || return 1
		if [ -n "$t" ]; then server_sql -c "DROP TABLE IF EXISTS $t" >/dev/null || return 1; fi
		server_sql -f "$REPO/scripts/postgres/presence-create.sql" >/dev/null
		;;
	mysql)
		t=$(server_sql -N -B -e "SELECT GROUP_CONCAT(CONCAT('\`', table_name, '\`')) FROM information_schema.tables WHERE table_schema = DATABASE()") || return 1
		if [ -n "$t" ] && [ "$t" != NULL ]; then server_sql -e "DROP TABLE IF EXISTS $t" || return 1; fi
		server_sql <"$REPO/scripts/mysql/presence-create.sql"
		;;
	esac
}

# server_sql ARGS...: psql / mariadb as the bench user on $DB_URL
server_sql() {
	local r=${DB_URL#*://} u pw h port db
	u=${r%%:*} r=${r#*:}
	pw=${r%%@*} r=${r#*@}
	h=${r%%:*} r=${r#*:}
	port=${r%%/*} db=${r#*/}
	case "$ENGINE" in
	postgres) PGPASSWORD=$pw timeout 60 psql -X -q -v ON_ERROR_STOP=1 -h "$h" -p "$port" -U "$u" -d "$db" "$@" ;;
	mysql) timeout 60 mariadb --no-defaults -h "$h" -P "$port" -u "$u" -p"$pw" "$db" "$@" ;;
	esac
}

# db_rows: rows of presentity and active_watchers (after a measurement)
db_rows() {
	case "$ENGINE" in
	sqlite) sqlite3 -batch -cmd '.timeout 2000' "$DB" "select (select count(*) from presentity) || ' presentity, ' || (select count(*) from active_watchers) || ' active_watchers'" ;;
	postgres) server_sql -A -t -c "select (select count(*) from presentity) || ' presentity, ' || (select count(*) from active_watchers) || ' active_watchers'" ;;
	mysql) server_sql -N -B -e "select concat((select count(*) from presentity), ' presentity, ', (select count(*) from active_watchers), ' active_watchers')" ;;
	esac
}

# start_kamailio IMPL CHILDREN DIR [MODE]: one more Kamailio instance (a,
# then b) on a free port, on the current DB_URL (db_fresh first).  MODE
# dbonly: subs_db_mode 3, publ_cache 0.
start_kamailio() {
	local impl=$1 children=$2 dir=$3 mode=${4:-cached} mpath ref=() i sfx port ctl lg pid
	i=${#KPIDS[@]}
	sfx=
	[ "$i" = 0 ] || sfx=-$(echo abcdefgh | cut -c$((i + 1)))
	ctl=$dir/ctl$sfx.sock lg=$dir/kamailio$sfx.log
	rm -f "$ctl"
	port=$(free_udp_port) || return 1
	if [ "$impl" = reference ]; then
		mpath=$DEBIAN_MPATH
		ref=(-A REFERENCE)
		case "$ENGINE" in
		postgres) ref+=(-A REFERENCE_DB_POSTGRES) ;;
		mysql) ref+=(-A REFERENCE_DB_MYSQL) ;;
		esac
	else
		mpath=$OUT/modules:$DEBIAN_MPATH
	fi
	[ "$mode" = dbonly ] && ref+=(-A DB_ONLY)
	mkdir -p "$dir/run$sfx"
	"$KAM_BIN" -f "$KAM_WRAP" -DD -E -Y "$dir/run$sfx" -m "$SHM_MB" \
		-A "LISTEN=udp:127.0.0.1:$port" \
		-A "DBURL=\"$DB_URL\"" \
		-A "CTLSOCK=\"unix:$ctl\"" \
		-A "SERVER_ADDRESS=\"sip:127.0.0.1:$port\"" \
		-A "MPATH=\"$mpath\"" \
		-A "CHILDREN=$children" \
		"${ref[@]}" </dev/null >>"$lg" 2>&1 &
	pid=$!
	KPIDS+=("$pid") KPORTS+=("$port") KCTLS+=("$ctl") KLOGS+=("$lg")
	if [ "$i" = 0 ]; then
		KAM_PID=$pid PORT=$port CTL=$ctl KAM_LOG=$lg
	fi
	if ! wait_until "$WAIT_MAX" kamailio_ready "$i" || ! kill -0 "$pid" 2>/dev/null; then
		log "kamailio ($impl, $children children, $ENGINE $mode) did not come up; log tail:"
		tail -n 15 "$lg" >&2
		stop_kamailio
		return 1
	fi
	log "kamailio$sfx $impl children=$children $ENGINE $mode pid $pid on udp:127.0.0.1:$port"
}

stop_kamailio() { # every instance, by PID
	local i pid
	for i in "${!KPIDS[@]}"; do
		pid=${KPIDS[$i]}
		if kill -0 "$pid" 2>/dev/null; then
			kill -TERM "$pid" 2>/dev/null
			if ! wait_until "$WAIT_MAX" proc_gone "$pid"; then
				log "kamailio $pid ignored TERM, killing"
				kill -KILL "$pid" 2>/dev/null
			fi
		fi
		wait "$pid" 2>/dev/null
		wait_until "$WAIT_MAX" udp_free "${KPORTS[$i]}" || log "port ${KPORTS[$i]} still bound"
	done
	KPIDS=() KPORTS=() KCTLS=() KLOGS=()
	KAM_PID=
}

stop_sipp() {
	local pid
	for pid in "${SIPP_PIDS[@]}"; do
		if kill -0 "$pid" 2>/dev/null; then
			kill -TERM "$pid" 2>/dev/null
			wait_until 3 proc_gone "$pid" || kill -KILL "$pid" 2>/dev/null
		fi
		wait "$pid" 2>/dev/null
	done
	SIPP_PIDS=()
}

# the DB server this run started (servers.sh, data under bench/out/engines/db)
DB_STARTED=
db_server_stop() {
	case "$DB_STARTED" in
	postgres) pg_stop ;;
	mysql) my_stop ;;
	esac
	DB_STARTED= DB_PID=
}

cleanup() { stop_sipp; stop_kamailio; db_server_stop; }
trap cleanup EXIT
trap 'log interrupted; exit 1' INT TERM

# tree_ticks "PID...": utime+stime (clock ticks) of each root process and
# of every process descended from it, plus cutime+cstime of the roots
# (children that already exited).
tree_ticks() {
	# cat, not awk FILES: a process may vanish between the glob and the read
	cat /proc/[0-9]*/stat 2>/dev/null | awk -v roots="$1" '
	BEGIN { n = split(roots, r, " "); for (i = 1; i <= n; i++) isroot[r[i]] = 1 }
	{
		# "pid (comm) state ppid ... utime stime cutime cstime ...": comm
		# may hold spaces, so split after its closing parenthesis
		pid = $1
		sub(/^.*\) /, "")
		ppid[pid] = $2; t[pid] = $12 + $13; ct[pid] = $14 + $15
	}
	END {
		for (p in ppid) {
			q = p
			for (i = 0; i < 64 && q != "" && !(q in isroot) && q > 1; i++) q = ppid[q]
			if (q in isroot) s += t[p]
		}
		for (q in isroot) s += ct[q]
		print s + 0
	}'
}
# cpu_ticks: the Kamailio instances (main processes and all their children)
cpu_ticks() { tree_ticks "${KPIDS[*]}"; }
# db_ticks: the DB server this run started (0 for SQLite: in Kamailio)
db_ticks() { if [ -n "$DB_PID" ]; then tree_ticks "$DB_PID"; else echo 0; fi; }
CLK_TCK=$(getconf CLK_TCK)
NCPU=$(nproc)

# sipp_step NAME SCENARIO CALLS CALL_RATE PREFIX [sipp args]: run one
# bounded load step, each SIPp from a free port: with one instance one SIPp;
# with two, one SIPp per instance at half the call rate and half the calls
# (keys PREFIX, PREFIX"b"), started together (SIPP_ONE=1: instance a only).
# Writes $W/NAME.{out,stat.csv,counts.csv,err} (the SIPp of instance b:
# $W/NAME-b.*); sets SIPP_NAMES (those names), STEP_RC (the worst exit
# status), STEP_WALL_S (seconds, float, until the last SIPp ended) and
# SIPP_TICKS.
sipp_step() {
	local name=$1 scen=$2 calls=$3 crate=$4 prefix=$5 sport t0 t1 n i nm c r pid rc
	shift 5
	n=${#KPORTS[@]}
	[ -n "${SIPP_ONE:-}" ] && n=1
	[ "$n" -ge 1 ] || n=1
	local ch0
	children_ticks
	ch0=$CHILD_TICKS
	SIPP_NAMES=() SIPP_PIDS=()
	t0=$(date +%s%N)
	for ((i = 0; i < n; i++)); do
		nm=$name key=$prefix
		[ "$i" = 0 ] || nm=$name-b key=${prefix}b
		c=$((calls / n))
		[ "$i" = 0 ] && c=$((calls - (n - 1) * (calls / n)))
		r=$(awk -v r="$crate" -v n="$n" 'BEGIN { printf "%g", r / n }')
		sport=$(free_udp_port) || return 1
		# SIPp writes the -trace_counts file as <scenario>_<pid>_counts.csv
		# in its working directory: run it in $W and rename the file after
		(cd "$W" && exec sipp -sf "$scen" "127.0.0.1:${KPORTS[$i]:-$PORT}" -i 127.0.0.1 -p "$sport" \
			-r "$r" -rp 1000 -m "$c" -l "$c" \
			-nostdin -timeout "$((STEP_SECS + 20))s" \
			-recv_timeout 5000 -default_behaviors abortunexp \
			-buff_size 4194304 -deadcall_wait 10000 \
			-trace_stat -stf "$W/$nm.stat.csv" -fd 1 \
			-trace_counts \
			-trace_err -error_file "$W/$nm.err" -max_log_size 4000000 \
			-key prefix "$key" \
			"$@" >"$W/$nm.out" 2>&1 </dev/null) &
		SIPP_PIDS+=("$!")
		SIPP_NAMES+=("$nm")
	done
	STEP_RC=0
	for i in "${!SIPP_PIDS[@]}"; do
		pid=${SIPP_PIDS[$i]}
		wait "$pid"
		rc=$?
		[ "$rc" -gt "$STEP_RC" ] && STEP_RC=$rc
		nm=${SIPP_NAMES[$i]}
		f="$W/$(basename "$scen" .xml)_${pid}_counts.csv"
		[ -f "$f" ] && mv "$f" "$W/$nm.counts.csv"
	done
	SIPP_PIDS=()
	children_ticks
	SIPP_TICKS=$((CHILD_TICKS - ch0))
	t1=$(date +%s%N)
	STEP_WALL_S=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
}

# children_ticks: user+system CPU of this shell's waited-for children (bash
# `times`, second line), in clock ticks: around a sipp run, SIPp's own CPU.
# Sets CHILD_TICKS (`times` must run in this shell, not in a $(...)).
children_ticks() {
	times >"$OUT/.times"
	CHILD_TICKS=$(awk -v hz="$CLK_TCK" 'NR == 2 {
		s = 0
		for (i = 1; i <= 2; i++) {
			v = $i; m = v; sub(/m.*/, "", m); sub(/^[0-9]+m/, "", v); sub(/s$/, "", v)
			s += m * 60 + v
		}
		printf "%d", s * hz + 0.5 }' "$OUT/.times")
}

# system_busy_ticks: busy ticks of the whole machine (/proc/stat: all but
# idle and iowait), to see how much CPU other processes took in a step.
system_busy_ticks() {
	awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat
}

# wait_machine_quiet: before an instance, wait (at most QUIET_MAX s) until
# the machine's busy share over 1 s is under 15 %, so that unrelated load
# (other jobs on this host) disturbs the figures as little as possible.
wait_machine_quiet() {
	local a b i
	for i in $(seq 1 "${QUIET_MAX:-20}"); do
		a=$(system_busy_ticks)
		sleep 1
		b=$(system_busy_ticks)
		[ $((b - a)) -lt $((CLK_TCK * NCPU * 15 / 100)) ] && return 0
	done
	log "  (machine still busy with other processes: $(((b - a) * 100 / (CLK_TCK * NCPU))) % of all CPUs; going on)"
}

# shm_sample LABEL: append Kamailio's shared-memory figures (kamcmd
# core.shmmem: used, real_used, max_used; MB) to $W/shm.tsv.
shm_sample() {
	local c
	for c in "${KCTLS[@]}"; do kamcmd -s "unix:$c" core.shmmem 2>/dev/null; done | awk -v l="$1" '
		$1 ~ /^(used|real_used|max_used):/ { v[$1] += $2 / 1048576 }
		END { printf "%s\t%.1f\t%.1f\t%.1f\n", l, v["used:"], v["real_used:"], v["max_used:"] }' >>"$W/shm.tsv"
}

# shm_real_used: Kamailio's real_used shared memory, bytes (all instances).
shm_real_used() {
	local c
	for c in "${KCTLS[@]}"; do kamcmd -s "unix:$c" core.shmmem 2>/dev/null; done |
		awk '$1 == "real_used:" { s += $2; n++ } END { if (n) print s }'
}

# wait_shm_settled LABEL: poll (every 1 s, at most 45 s) until Kamailio's
# real_used shared memory is back within 5 MB of its value after start,
# then sample it as LABEL.  Finished transactions stay 5 s on tm's wait
# timer, and NOTIFYs that SIPp never answered (calls it had given up) are
# retransmitted until tm's fr_timer (30 s) ends them: memory in use right
# after an overloaded step is not a leak.
wait_shm_settled() {
	local b i
	for i in $(seq 1 45); do
		b=$(shm_real_used)
		[ -n "$b" ] || break
		[ "$b" -le $((SHM_BASE + ${#KCTLS[@]} * 5 * 1048576)) ] && break
		sleep 1
	done
	shm_sample "$1 (after ${i}s)"
}

# wait_idle: before a step, wait (at most 10 s) until Kamailio has drained
# the previous load: under 3 ticks of CPU in 300 ms.
wait_idle() {
	local a b i
	for i in $(seq 1 33); do
		a=$(cpu_ticks)
		sleep 0.3
		b=$(cpu_ticks)
		[ $((b - a)) -lt 3 ] && return 0
	done
	log "  (kamailio still busy after 10 s, starting the step anyway)"
}

# stat_field FILE NAME: the value of column NAME in the last line of a SIPp
# statistics CSV (columns separated by ';').
stat_field() {
	awk -F';' -v n="$2" '
	NR == 1 { for (i = 1; i <= NF; i++) if ($i == n) c = i; next }
	{ last = $c }
	END { print last + 0 }' "$1" 2>/dev/null
}

# step KIND RATE [TRY]: one load step of KIND publish|subscribe at RATE requests/s
# (PUBLISH requests, or SUBSCRIBE requests, per second), over all running
# instances (the SIPp figures summed).  Appends a row to $W/KIND.tsv;
# returns 0 when the step passed.
step() {
	local kind=$1 rate=$2 try=${3:-1} per scen crate calls name c0 c1 ok failed reqs
	local extra=() pass cpu_ms achieved ach_pct succ locked0 locked1 errs0 errs1
	local s0 s1 d0 d1 other sipp_pct kam_pct db_pct nm x
	if [ "$kind" = publish ]; then
		per=4 scen=$SCEN/publish-cycle.xml
	else
		per=2 scen=$SCEN/subscribe-cycle.xml
		extra=(-inf "$W/pool.csv")
	fi
	crate=$(awk -v r="$rate" -v p="$per" 'BEGIN { printf "%g", r / p }')
	calls=$(awk -v r="$rate" -v p="$per" -v s="$STEP_SECS" 'BEGIN { printf "%d", r / p * s }')
	name=$kind-$rate
	[ "$try" = 1 ] || name=$name-try$try
	wait_idle
	shm_sample "before $name"
	locked0=$(log_count 'database is locked')
	errs0=$(log_count ' (ERROR|CRITICAL|BUG|ALERT):')
	c0=$(cpu_ticks)
	d0=$(db_ticks)
	s0=$(system_busy_ticks)
	sipp_step "$name" "$scen" "$calls" "$crate" "$TAGP$kind$rate-$try" "${extra[@]}"
	s1=$(system_busy_ticks)
	d1=$(db_ticks)
	c1=$(cpu_ticks)
	# share of the machine (all CPUs) over the step: Kamailio, SIPp, the DB
	# server, the rest
	read -r kam_pct sipp_pct other db_pct < <(awk -v k=$((c1 - c0)) -v sp="$SIPP_TICKS" \
		-v sb=$((s1 - s0)) -v db=$((d1 - d0)) -v w="$STEP_WALL_S" -v hz="$CLK_TCK" -v n="$NCPU" 'BEGIN {
		cap = w * hz * n; o = sb - k - sp - db; if (o < 0) o = 0
		printf "%.0f %.0f %.0f %.0f\n", 100 * k / cap, 100 * sp / cap, 100 * o / cap, 100 * db / cap }')
	locked1=$(log_count 'database is locked')
	errs1=$(log_count ' (ERROR|CRITICAL|BUG|ALERT):')
	ok=0 failed=0 reqs=0
	for nm in "${SIPP_NAMES[@]}"; do
		ok=$((ok + $(stat_field "$W/$nm.stat.csv" 'SuccessfulCall(C)')))
		failed=$((failed + $(stat_field "$W/$nm.stat.csv" 'FailedCall(C)')))
		# requests answered: final replies SIPp received to its requests
		x=$(awk -F';' '
			NR == 1 { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+_20[02]_Recv$/) c[i] = 1; next }
			{ last = $0 }
			END { n = split(last, f, ";"); for (i in c) s += f[i]; print s + 0 }' \
			"$W/$nm.counts.csv" 2>/dev/null)
		reqs=$((reqs + ${x:-0}))
	done
	succ=$(awk -v o="$ok" -v c="$calls" 'BEGIN { printf "%.2f", c ? 100 * o / c : 0 }')
	# achieved rate: answered requests over the step's sending time (or the
	# whole run when SIPp could not keep up)
	achieved=$(awk -v q="$reqs" -v s="$STEP_SECS" -v w="$STEP_WALL_S" 'BEGIN {
		d = (w - 0.5 > s) ? w - 0.5 : s; printf "%d", q / d }')
	ach_pct=$(awk -v a="$achieved" -v r="$rate" 'BEGIN { printf "%d", 100 * a / r }')
	cpu_ms=$(awk -v a="$c0" -v b="$c1" -v t="$CLK_TCK" -v q="$reqs" 'BEGIN {
		if (q > 0) printf "%.1f", (b - a) * 1000 / t / q * 1000; else print "-" }')
	pass=no
	awk -v s="$succ" -v m="$MIN_SUCCESS" -v a="$ach_pct" -v n="$MIN_ACHIEVED" \
		'BEGIN { exit !(s >= m && a >= n) }' && pass=yes
	kamailio_alive || pass=dead
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
		"$rate" "$try" "$crate" "$calls" "$ok" "$failed" "$succ" "$reqs" \
		"$STEP_WALL_S" "$achieved" "$((c1 - c0))" "$cpu_ms" \
		"$((locked1 - locked0))" "$((errs1 - errs0))" "$kam_pct" "$sipp_pct" "$other" \
		"$pass" "$db_pct" >>"$W/$kind.tsv"
	log "  $kind $rate/s${3:+ (try $try)}: calls $ok/$calls ok ($succ %), $failed failed," \
		"$reqs answered, achieved $achieved/s, CPU $cpu_ms ms/1000," \
		"db-locked +$((locked1 - locked0)), log errors +$((errs1 - errs0))," \
		"machine: kamailio $kam_pct %, sipp $sipp_pct %, db $db_pct %, other $other % -> $pass"
	[ "$pass" = yes ]
}

# log_count REGEX: matching lines in the logs of the running instances
log_count() {
	local f n=0 x
	for f in "${KLOGS[@]}"; do
		x=$(grep -cE "$1" "$f" 2>/dev/null)
		n=$((n + ${x:-0}))
	done
	echo "$n"
}

# run_instance IMPL CHILDREN [DIR MODE NINST]: one measurement on a fresh
# schema: NINST (1) instances of IMPL in MODE (cached, or dbonly), the
# fan-out (sqlite, one instance, cached mode only), the PUBLISH steps
# ($RATES_PUB), the pool, the SUBSCRIBE steps ($RATES_SUB).
run_instance() {
	local impl=$1 children=$2 mode=${4:-cached} ninst=${5:-1} r i k
	W=${3:-$OUT/$impl-c$children}
	TAGP=${impl:0:3}c$children${mode:0:1}$ninst
	mkdir -p "$W"
	wait_machine_quiet
	printf 'rate\ttry\tcall_rate\tcalls\tok\tfailed\tsuccess_pct\tanswered\twall_s\tachieved\tcpu_ticks\tcpu_ms_per_1000\tdb_locked\tlog_errors\tkam_pct\tsipp_pct\tother_pct\tpass\tdb_pct\n' |
		tee "$W/publish.tsv" >"$W/subscribe.tsv"
	printf 'engine\t%s\nimpl\t%s\nchildren\t%s\nmode\t%s\ninstances\t%s\n' \
		"$ENGINE" "$impl" "$children" "$mode" "$ninst" >"$W/info.tsv"
	db_fresh "$W" || { log "$ENGINE: cannot create a fresh schema"; echo "schema failed" >"$W/state"; return 1; }
	for ((k = 0; k < ninst; k++)); do
		start_kamailio "$impl" "$children" "$W" "$mode" ||
			{ echo "start failed" >"$W/state"; stop_kamailio; return 1; }
	done
	echo "${KPIDS[*]}" >"$W/kamailio.pid"
	printf 'when\tused_mb\treal_used_mb\tmax_used_mb\n' >"$W/shm.tsv"
	shm_sample "after start"
	SHM_BASE=$(shm_real_used)
	SHM_BASE=${SHM_BASE:-0}

	# the fan-out first, on the fresh instance: after an overloaded step tm
	# would still be retransmitting NOTIFYs to calls SIPp gave up (30 s)
	if kamailio_alive && [ -z "${SKIP_FANOUT:-}" ] && [ "$ENGINE" = sqlite ] &&
		[ "$mode" = cached ] && [ "$ninst" = 1 ]; then
		log "$impl c$children: NOTIFY fan-out to $WATCHERS watchers"
		local c0 c1 l0 l1
		c0=$(cpu_ticks)
		l0=$(grep -c 'database is locked' "$KAM_LOG")
		timeout 150 python3 "$BENCH/fanout.py" --server "127.0.0.1:$PORT" \
			--watchers "$WATCHERS" --presentity "sip:${TAGP}fan@127.0.0.1" \
			--tag "$TAGP" >"$W/fanout.json" 2>"$W/fanout.log"
		c1=$(cpu_ticks)
		l1=$(grep -c 'database is locked' "$KAM_LOG")
		echo "{\"cpu_ticks\": $((c1 - c0)), \"clk_tck\": $CLK_TCK, \"db_locked\": $((l1 - l0))}" >"$W/fanout-extra.json"
		sed 's/^/  /' "$W/fanout.log" >&2
	fi

	log "$impl c$children $ENGINE $mode x$ninst: PUBLISH steps"
	for r in $RATES_PUB; do
		step publish "$r" || { kamailio_alive && step publish "$r" 2; } || break
		kamailio_alive || break
	done

	if kamailio_alive; then
		log "$impl c$children $ENGINE $mode x$ninst: publishing the pool of $POOL presentities (at instance a)"
		SIPP_ONE=1 sipp_step pool "$SCEN/publish-pool.xml" "$POOL" 200 "${TAGP}pool"
		echo SEQUENTIAL >"$W/pool.csv"
		for i in $(seq 1 "$POOL"); do echo "sip:${TAGP}pool-$i@127.0.0.1;"; done >>"$W/pool.csv"
		log "  pool: $(stat_field "$W/pool.stat.csv" 'SuccessfulCall(C)')/$POOL published"
		log "$impl c$children $ENGINE $mode x$ninst: SUBSCRIBE steps"
		for r in $RATES_SUB; do
			step subscribe "$r" || { kamailio_alive && step subscribe "$r" 2; } || break
			kamailio_alive || break
		done
	fi

	if kamailio_alive; then
		wait_idle
		wait_shm_settled "at the end (idle)"
		echo alive >"$W/state"
	else
		local dead=
		for i in "${!KPIDS[@]}"; do
			kill -0 "${KPIDS[$i]}" 2>/dev/null || dead="$dead ${KLOGS[$i]##*/}"
		done
		echo "died:$dead" >"$W/state"
		log "$impl c$children $ENGINE $mode x$ninst: KAMAILIO DIED (see$dead in $W)"
	fi
	db_rows >"$W/db_rows.txt" 2>&1
	stop_kamailio
}

# engine_start ENGINE: the private DB server (servers.sh), DB_URL, DB_PID
engine_start() {
	ENGINE=$1 DB_URL= DB_PID=
	case "$1" in
	sqlite) return 0 ;;
	postgres)
		lp_db_need kamailio-postgres-modules || return 1
		pg_start || return 1
		DB_STARTED=postgres DB_URL=$PG_URL DB_PID=$PG_PID
		echo "postgres: $(psql --version | head -n1) (private server, fsync off)" >>"$OUT/env.txt"
		;;
	mysql)
		lp_db_need kamailio-mysql-modules || return 1
		my_start || return 1
		DB_STARTED=mysql DB_URL=$MY_URL DB_PID=$MY_PID
		echo "mysql: $(mariadbd --version 2>/dev/null | head -n1) (private server, flush at commit off)" >>"$OUT/env.txt"
		;;
	*) log "unknown engine $1"; return 1 ;;
	esac
	log "$1 server pid $DB_PID at ${DB_URL/:kamailiorw@/:***@}"
}

# scale_out DIR: ours in DB-only mode, one instance and two on one DB
scale_out() {
	[ "$SCALE_OUT" = 1 ] || return 0
	RATES_PUB=$SRV_PUB_RATES RATES_SUB=$SRV_SUB_RATES
	log "=== $ENGINE: ours DB-only, one instance, CHILDREN=$SRV_CHILDREN"
	run_instance ours "$SRV_CHILDREN" "$1/ours-dbonly-c$SRV_CHILDREN" dbonly 1
	log "=== $ENGINE: ours DB-only, two instances on one DB, CHILDREN=$SRV_CHILDREN each"
	run_instance ours "$SRV_CHILDREN" "$1/ours-2inst-c$SRV_CHILDREN" dbonly 2
}

# ---------------------------------------------------------------- main

# LP_BENCH_LIB=1: sourced for its helpers (bench/shareddb.sh), no run
[ -n "${LP_BENCH_LIB:-}" ] && return 0

for t in sipp kamcmd sqlite3 python3 ss; do
	command -v "$t" >/dev/null || { echo "bench: $t not found" >&2; exit 2; }
done
[ -f "$REPO/modules/presence/presence.so" ] && [ -f "$REPO/modules/presence_xml/presence_xml.so" ] ||
	{ echo "bench: build first (make)" >&2; exit 2; }

rm -rf "$OUT"
mkdir -p "$OUT/modules"
# Our modules are copied once, so that every instance of this run loads the
# same build even if the tree is rebuilt meanwhile (libpresence is linked
# in statically; the config loads presence and presence_xml).
for m in presence presence_xml; do
	cp "$REPO/modules/$m/$m.so" "$OUT/modules/$m.so" || exit 2
done
so_stamp() {
	local f
	for f in "$OUT"/modules/*.so; do
		echo "$(basename "$f") md5 $(md5sum <"$f" | cut -c1-12), built $(date -r "$REPO/modules/$(basename "$f" .so)/$(basename "$f")" +%FT%T)"
	done
}
T0=$(date +%s)
{
	echo "date: $(date -u +%FT%TZ)"
	echo "host: $(nproc) CPUs, $(uname -r)"
	echo "kamailio: $("$KAM_BIN" -v 2>/dev/null | head -n1)"
	echo "sipp: $(sipp -v 2>&1 | grep -m1 -o 'SIPp v[^ ]*')"
	echo "reference: $(dpkg-query -W -f '${Package} ${Version}' kamailio-presence-modules 2>/dev/null)"
	echo "ours: $(cd "$REPO" && git rev-parse --short HEAD 2>/dev/null) ($(git -C "$REPO" status --porcelain 2>/dev/null | grep -c . ) uncommitted paths)"
	echo "steps: ${STEP_SECS}s each; PUBLISH rates $PUB_RATES; SUBSCRIBE rates $SUB_RATES"
	echo "engines: $ENGINES; server engines and DB-only / two-instance runs: CHILDREN=$SRV_CHILDREN, PUBLISH rates $SRV_PUB_RATES; SUBSCRIBE rates $SRV_SUB_RATES"
	so_stamp | sed 's/^/ours module (copied at start): /'
} >"$OUT/env.txt"

LP_DB_DIR=$OUT/db
. "$REPO/test/db/servers.sh"
for engine in $ENGINES; do
	ET0=$(date +%s)
	if ! engine_start "$engine"; then
		log "=== $engine: the server did not start, skipped"
		mkdir -p "$OUT/$engine" && echo "server did not start" >"$OUT/$engine/failed"
		db_server_stop
		continue
	fi
	if [ "$engine" = sqlite ]; then
		RATES_PUB=$PUB_RATES RATES_SUB=$SUB_RATES
		for c in $CHILDREN_LIST; do
			for impl in $IMPLS; do
				log "=== $impl, CHILDREN=$c"
				run_instance "$impl" "$c"
			done
		done
	else
		RATES_PUB=$SRV_PUB_RATES RATES_SUB=$SRV_SUB_RATES
		for impl in $IMPLS; do
			log "=== $engine: $impl, one instance, CHILDREN=$SRV_CHILDREN"
			run_instance "$impl" "$SRV_CHILDREN" "$OUT/$engine/$impl-c$SRV_CHILDREN"
		done
	fi
	scale_out "$OUT/$engine"
	db_server_stop
	echo "elapsed $engine: $(($(date +%s) - ET0)) s" >>"$OUT/env.txt"
done
T1=$(date +%s)
echo "elapsed: $((T1 - T0)) s" >>"$OUT/env.txt"
for m in presence presence_xml; do
	cmp -s "$REPO/modules/$m/$m.so" "$OUT/modules/$m.so" ||
		echo "note: modules/$m/$m.so was rebuilt during the run; the bench used the copy taken at its start" >>"$OUT/env.txt"
done

python3 "$BENCH/report.py" "$OUT" | tee "$OUT/results.md"
