#!/usr/bin/env bash
# Worker-scaling benchmark (`make bench`; not part of the tests): for each
# worker count of WORKERS (1 4 8) it measures, in one run, side by side:
#
#   ours       our presence + presence_xml (copied to OUT/modules at start)
#   reference  Debian's kamailio-presence-modules (IMPL=reference style:
#              Debian's module directory, its db_sqlite)
#   floor      the "tm floor": the same Kamailio without presence
#              (bench/floor.cfg: PUBLISH -> t_newtran + t_reply 200 with a
#              SIP-ETag; SUBSCRIBE -> 200, then one fixed-body NOTIFY sent
#              through tm by the uac module)
#
# ours and reference run scripts/kamailio-presence.cfg (through
# bench/kamailio-bench.cfg) with WITH_TM (t_newtran() before the handler,
# the shape of Kamailio's stock config), on a fresh SQLite file each.
# Figures, each measured RUNS (2) times (rounds: every instance of round 1,
# then of round 2):
#
#   PUBLISH life cycles/s   highest rate (calls/s of bench/scenarios/
#              publish-cycle.xml: 4 PUBLISH each) with >= 99.9 % of the calls
#              successful and >= 90 % of the requests answered in time, by a
#              bounded search: from a start rate (the previous result of the
#              same implementation when there is one) the rate is doubled
#              (x 1.25 from a previous result) or halved until a pass and a
#              failure bracket it, then bisected until the bracket is within
#              PRECISION %, at most MAX_TRIALS steps of TRIAL_SECS each; a
#              step that fails is tried once more at the same rate
#              (RETRY_FAILED=1, the default; 0: one trial per step), and
#              fails only when both trials fail.
#   SUBSCRIBE calls/s       the same with subscribe-cycle.xml (SUBSCRIBE,
#              NOTIFY, un-SUBSCRIBE, NOTIFY) on a pool of POOL published
#              presentities.
#   CPU per 1000 requests   utime+stime (/proc/<pid>/stat) of the Kamailio
#              main process and all its children over the highest passing
#              trial, per 1000 requests answered (PUBLISH; SUBSCRIBE, each
#              with its NOTIFY transaction); and, after each search, in one
#              more trial at each rate of COST_RATES (default 700 calls/s) that
#              is not above the search's maximum, the same rates for all:
#              presence's own cost is ours minus the floor at that equal
#              load, and the CPU at N workers against 1 worker at the same
#              rate shows what the workers themselves cost.
#   fan-out    bench/fanout.py on the fresh instance: FANOUT_SIZES watchers
#              of one presentity, then one PUBLISH: ms until the last
#              watcher has the NOTIFY with the new state (the reference only
#              up to FANOUT_REF_MAX watchers: it subscribes at tens to
#              hundreds a second); then FANOUT_AGAIN (3) more on the same
#              instance, new watchers each time, once tm has freed the
#              transactions of the one before: their median is the "again"
#              figure (memory already touched, as on a server that has
#              been up; the first pays for the kernel's first touch).
#   shared memory per publication / subscription: kamcmd core.shmmem
#              real_used before and after SHM_N publications (publish-pool)
#              and SHM_N subscriptions that stay (subscribe-hold), each
#              sampled once tm holds no transaction (tm.stats current 0).
#   start-up load: LOAD_N subscriptions (100 watchers per presentity)
#              inserted into a fresh SQLite file with sqlite3, then Kamailio
#              (LOAD_WORKERS workers) started: seconds until it answers an
#              OPTIONS (bench/ready.py), beside the same start on an empty
#              file; shared memory per loaded subscription; for ours the
#              watcher count of one presentity (presence.watcher_list) as a
#              check that they were loaded.  Started with -M LOAD_PKG_MB
#              (256): Debian's presence on db_sqlite reads the whole table
#              into private memory, and fails with Kamailio's default 8 MB.
#
# Everything is bounded: every SIPp by -m, -timeout and an outer timeout,
# fanout.py by its phase time-outs and timeout(1), every wait by a limit;
# Kamailio and SIPp are stopped by PID (TERM, then KILL after STOP_WAIT s).
# BENCH_QUICK=1: a few-minute smoke (one round, 2 s trials, at most 3 per
# search, fan-out 100 and 1000, SHM_N 200, LOAD_N 10000); the full mode
# takes about half an hour on an idle 2-CPU machine.  The machine state
# (nproc, load average at the start and end, kernel, Kamailio version, git
# commit) goes to OUT/env.txt and the head of the table.  Outputs: OUT
# (bench/out/workers): results.tsv (every figure), trials.tsv (every
# trial), results.md (the table, also printed), one directory per instance.
#
# Knobs (environment): BENCH_QUICK, RUNS, WORKERS, IMPLS ("floor ours
# reference"), TRIAL_SECS, MAX_TRIALS, PRECISION, MIN_SUCCESS, MIN_ACHIEVED,
# RETRY_FAILED,
# COST_RATES (0: no equal-load trial; COST_RATE, one rate, is read too),
# FANOUT_SIZES, FANOUT_REF_MAX, FANOUT_AGAIN, SHM_N, LOAD_N, LOAD_WORKERS, LOAD_PKG_MB,
# POOL, SHM_MB,
# SKIP_FANOUT, SKIP_SHM, SKIP_LOAD, SKIP_RATES, BENCH_OUT,
# KINDS ("publish subscribe": the rate searches to run, in that order; the
# SUBSCRIBE one otherwise follows the PUBLISH overload trial and the state
# it left),
# DB_WRITE_INTERVAL (ms: ours with the DB writer process, db_write_interval),
# SHMEM_THP (never, advise, within_size, always: the kernel's huge page
# policy for shared memory, /sys/kernel/mm/transparent_hugepage/
# shmem_enabled, set for the run and put back at its end; unset: as found;
# ours asks for huge pages on the shm pool, shm_hugepages, doc/presence.md
# "Huge pages and pre-faulting"; the policy in force is in the table's head),
# OVERLOAD_QUEUE_PERCENT (ours with overload_queue_percent; 0: no overload
# 503, so ours' rate search counts as the floor's does, where the kernel's
# drops come back as retransmissions and still pass),
# PRES_RULES (1: presence_xml with force_active 0, Kamailio's default, and a
# pres-rules document in the xcap table for each fan-out's presentity and
# every presentity of the SUBSCRIBE pool, allowing everyone at 127.0.0.1
# everything: every watcher's authorization and NOTIFY filter read and
# apply it; ours, base and reference),
# SHM_PREFAULT (MB: ours with shm_prefault, the pool populated at start-up
# and in every process, doc/presence.md "Huge pages and pre-faulting"),
# FLOOR_FORCE_ALLOC (1: the floor with Kamailio's shm_force_alloc, its pool
# written through once at start-up; the floor's nearest to shm_prefault),
# BASE_REV (a git revision: "base", our modules built from that revision, runs
# beside ours in the same run, for before/after figures; IMPLS then defaults
# to "floor base ours reference"; BASE_SHM_PREFAULT: base with that
# shm_prefault, for a revision that has it; base runs the config without
# pres_check_overload(), which an earlier revision may not have: its
# overload refusals go through the transaction; BASE_OVERLOAD_CHECK=1:
# base with it, for a revision that has it),
# OVERLOAD_CHECK (0: ours without pres_check_overload() before t_newtran()
# too, WITHOUT_OVERLOAD_CHECK; default 1, as the sample config),
# MEM_MANAGER (qm, fm or tlsf: Kamailio's memory manager for every instance,
# -x and -X; unset: Kamailio's default, qm; its free-list walk is a third
# of a worker's samples, doc/scaling.md).
set -u

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH/.." && pwd)
OUT=${BENCH_OUT:-$BENCH/out/workers}
SCEN=$BENCH/scenarios
KAM_BIN=${KAMAILIO:-/usr/sbin/kamailio}
DEBIAN_MPATH=/usr/lib/x86_64-linux-gnu/kamailio/modules
KAMAILIO_SRC=${KAMAILIO_SRC:-$REPO/build/kamailio-5.6.3}
KAM_WRAP=$BENCH/kamailio-bench.cfg
FLOOR_CFG=$BENCH/floor.cfg

if [ "${BENCH_QUICK:-0}" = 1 ]; then
	d_runs=1 d_secs=2 d_max=3 d_fan="100 1000" d_shm=200 d_load=10000 d_over=2
else
	d_runs=2 d_secs=5 d_max=5 d_fan="100 1000 10000" d_shm=1000 d_load=100000 d_over=10
fi
RUNS=${RUNS:-$d_runs}
TRIAL_SECS=${TRIAL_SECS:-$d_secs}
OVER_SECS=${OVER_SECS:-$d_over}  # the overload trial's sending time (s)
OVER_RATE=${OVER_RATE:-}          # calls/s of every overload trial (unset: OVERLOAD x the maximum)
MAX_TRIALS=${MAX_TRIALS:-$d_max}
FANOUT_SIZES=${FANOUT_SIZES:-$d_fan}
SHM_N=${SHM_N:-$d_shm}
LOAD_N=${LOAD_N:-$d_load}
WORKERS=${WORKERS:-"1 4 8"}
KINDS=${KINDS:-"publish subscribe"}
if [ -n "${BASE_REV:-}" ]; then
	IMPLS=${IMPLS:-"floor base ours reference"}
else
	IMPLS=${IMPLS:-"floor ours reference"}
fi
PRECISION=${PRECISION:-15}         # percent: stop when fail/pass <= 1.15
MIN_SUCCESS=${MIN_SUCCESS:-99.9}   # percent of calls
MIN_ACHIEVED=${MIN_ACHIEVED:-90}   # percent of the target request rate
FANOUT_REF_MAX=${FANOUT_REF_MAX:-1000}
FANOUT_AGAIN=${FANOUT_AGAIN:-3}    # fan-outs after the first on an instance
LOAD_WORKERS=${LOAD_WORKERS:-1}
LOAD_PKG_MB=${LOAD_PKG_MB:-256}
POOL=${POOL:-100}
SHM_MB=${SHM_MB:-1024}
STOP_WAIT=${STOP_WAIT:-30}
MAX_RATE=${MAX_RATE:-20000}        # calls/s: the search never goes above
COST_RATES=${COST_RATES:-${COST_RATE:-700}}  # calls/s of the equal-load CPU trials (0: none)
RETRY_FAILED=${RETRY_FAILED:-1}    # 1: a search tries a failed rate once more
OVERLOAD=${OVERLOAD:-2}            # the overload trial offers this x the maximum (0: none)
# start rates of a search (calls/s) when no earlier result exists
# (ours and base start where the floor does: a search that starts lower
# spends its bounded trials doubling instead of bisecting)
declare -A SEED=([floor-publish]=800 [floor-subscribe]=600
	[ours-publish]=800 [ours-subscribe]=600
	[base-publish]=800 [base-subscribe]=600
	[reference-publish]=50 [reference-subscribe]=80)
# the rate the shared-memory loads are sent at (calls/s)
declare -A SHM_RATE=([ours]=400 [base]=400 [reference]=40)

KAM_PID= PORT= CTL= KAM_LOG=
SIPP_PID=
CLK_TCK=$(getconf CLK_TCK)
NCPU=$(nproc)

log() { echo "[$(date +%T)] $*" >&2; }

# wait_until, udp_bound, udp_free, proc_gone, free_udp_port (the ports
# this run handed out are kept in $OUT/ports)
. "$REPO/test/procs.sh"
PORTS_FILE=$OUT/ports

kam() { kamcmd -s "unix:$CTL" "$@"; }
kamailio_ready() { udp_bound "$PORT" && kam core.version; }
kamailio_alive() { [ -n "$KAM_PID" ] && kill -0 "$KAM_PID" 2>/dev/null; }

# pres_rules DB USERS: with PRES_RULES=1, a pres-rules document allowing
# everyone at 127.0.0.1 everything for each user@127.0.0.1 USERS (an SQL
# expression of the username column over n(i), i = 1..POOL, or a literal),
# written into the instance's database while it runs
pres_rules() {
	[ "${PRES_RULES:-0}" = 1 ] || return 0
	local rules='<?xml version="1.0" encoding="UTF-8"?><cr:ruleset xmlns:cr="urn:ietf:params:xml:ns:common-policy" xmlns:pr="urn:ietf:params:xml:ns:pres-rules"><cr:rule id="all"><cr:conditions><cr:identity><cr:many domain="127.0.0.1"/></cr:identity></cr:conditions><cr:actions><pr:sub-handling>allow</pr:sub-handling></cr:actions><cr:transformations><pr:provide-services><pr:all-services/></pr:provide-services><pr:provide-persons><pr:all-persons/></pr:provide-persons><pr:provide-devices><pr:all-devices/></pr:provide-devices><pr:provide-all-attributes/></cr:transformations></cr:rule></cr:ruleset>'
	sqlite3 -bail "$1" "
	WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $POOL)
	INSERT OR IGNORE INTO xcap (username, domain, doc, doc_type, etag, source, doc_uri, port)
	SELECT DISTINCT $2, '127.0.0.1', '$rules', 2, 'bench', 1,
		'/pres-rules/users/sip:' || $2 || '@127.0.0.1/index', 80 FROM n;" ||
		{ log "could not write the pres-rules into $1"; return 1; }
}

# start_kamailio IMPL WORKERS DIR [PORT]: one instance on a fresh SQLite
# file DIR/presence.db (ours, reference; kept when it exists and PORT is
# given: the start-up load) or on floor.cfg; sets KAM_PID PORT CTL KAM_LOG.
# With NOWAIT=1 returns at once (the caller times the start); PKG_MB set:
# -M PKG_MB (private memory per process, MB).
start_kamailio() {
	local impl=$1 workers=$2 dir=$3 args=()
	PORT=${4:-}
	[ -n "$PORT" ] || PORT=$(free_udp_port) || return 1
	CTL=$dir/ctl.sock KAM_LOG=$dir/kamailio.log
	mkdir -p "$dir/run"
	rm -f "$CTL"
	case "$impl" in
	floor)
		args=(-f "$FLOOR_CFG" -A "MPATH=\"$DEBIAN_MPATH\"")
		[ "${FLOOR_FORCE_ALLOC:-0}" = 1 ] && args+=(-A SHM_FORCE_ALLOC)
		;;
	ours | base | reference)
		if [ -z "${4:-}" ]; then
			rm -f "$dir/presence.db" "$dir/presence.db-wal" "$dir/presence.db-shm"
			bash "$REPO/scripts/create-sqlite-db.sh" "$dir/presence.db" >/dev/null || return 1
		fi
		args=(-f "$KAM_WRAP" -A WITH_TM
			-A "DBURL=\"sqlite://$dir/presence.db\""
			-A "SERVER_ADDRESS=\"sip:127.0.0.1:$PORT\"")
		if [ "$impl" = reference ]; then
			args+=(-A REFERENCE -A "MPATH=\"$DEBIAN_MPATH\"")
		elif [ "$impl" = base ]; then
			args+=(-A "MPATH=\"$OUT/base-modules:$DEBIAN_MPATH\"")
			[ "${BASE_OVERLOAD_CHECK:-0}" = 1 ] || args+=(-A WITHOUT_OVERLOAD_CHECK)
			[ -z "${BASE_SHM_PREFAULT:-}" ] ||
				args+=(-A "SHM_PREFAULT=$BASE_SHM_PREFAULT")
		else
			args+=(-A "MPATH=\"$OUT/modules:$DEBIAN_MPATH\"")
			[ -z "${DB_WRITE_INTERVAL:-}" ] ||
				args+=(-A "DB_WRITE_INTERVAL=$DB_WRITE_INTERVAL")
			[ -z "${FANOUT_PROCESSES:-}" ] ||
				args+=(-A "FANOUT_PROCESSES=$FANOUT_PROCESSES")
			[ -z "${SHM_PREFAULT:-}" ] ||
				args+=(-A "SHM_PREFAULT=$SHM_PREFAULT")
			[ -z "${OVERLOAD_QUEUE_PERCENT:-}" ] ||
				args+=(-A "OVERLOAD_QUEUE_PERCENT=$OVERLOAD_QUEUE_PERCENT")
			[ "${OVERLOAD_CHECK:-1}" = 1 ] || args+=(-A WITHOUT_OVERLOAD_CHECK)
		fi
		;;
	esac
	[ "${PRES_RULES:-0}" = 1 ] && [ "$impl" != floor ] && args+=(-A PRES_RULES)
	[ -z "${MEM_MANAGER:-}" ] || args+=(-x "$MEM_MANAGER" -X "$MEM_MANAGER")
	"$KAM_BIN" "${args[@]}" -DD -E -Y "$dir/run" -m "$SHM_MB" ${PKG_MB:+-M "$PKG_MB"} \
		-A "LISTEN=udp:127.0.0.1:$PORT" -A "CTLSOCK=\"unix:$CTL\"" \
		-A "CHILDREN=$workers" </dev/null >>"$KAM_LOG" 2>&1 &
	KAM_PID=$!
	[ "${NOWAIT:-0}" = 1 ] && return 0
	if ! wait_until 60 kamailio_ready || ! kamailio_alive; then
		log "kamailio $impl (workers $workers) did not come up; log tail:"
		tail -n 15 "$KAM_LOG" >&2
		stop_kamailio
		return 1
	fi
	log "kamailio $impl workers=$workers pid $KAM_PID on udp:127.0.0.1:$PORT"
}

stop_kamailio() { # by PID: TERM, KILL after STOP_WAIT s
	[ -n "$KAM_PID" ] || return 0
	if kill -0 "$KAM_PID" 2>/dev/null; then
		kill -TERM "$KAM_PID" 2>/dev/null
		if ! wait_until "$STOP_WAIT" proc_gone "$KAM_PID"; then
			log "kamailio $KAM_PID ignored TERM for ${STOP_WAIT}s, killing"
			kill -KILL "$KAM_PID" 2>/dev/null
		fi
	fi
	wait "$KAM_PID" 2>/dev/null
	wait_until 10 udp_free "$PORT" || log "port $PORT still bound"
	KAM_PID=
}

stop_sipp() {
	[ -n "$SIPP_PID" ] || return 0
	if kill -0 "$SIPP_PID" 2>/dev/null; then
		kill -TERM "$SIPP_PID" 2>/dev/null
		wait_until 3 proc_gone "$SIPP_PID" || kill -KILL "$SIPP_PID" 2>/dev/null
	fi
	wait "$SIPP_PID" 2>/dev/null
	SIPP_PID=
}

THP_FILE=/sys/kernel/mm/transparent_hugepage/shmem_enabled
THP_FOUND=
thp_policy() { sed -n 's/.*\[\([a-z_]*\)\].*/\1/p' "$THP_FILE" 2>/dev/null; }
# thp_set: SHMEM_THP into the kernel for this run (the policy found is put
# back by cleanup)
thp_set() {
	[ -n "${SHMEM_THP:-}" ] || return 0
	THP_FOUND=$(thp_policy)
	echo "$SHMEM_THP" >"$THP_FILE" || { echo "bench: cannot set $THP_FILE to $SHMEM_THP" >&2; exit 2; }
}
thp_restore() { [ -z "$THP_FOUND" ] || echo "$THP_FOUND" >"$THP_FILE"; }

cleanup() { stop_sipp; stop_kamailio; thp_restore; }
trap cleanup EXIT
trap 'log interrupted; exit 1' INT TERM

# cpu_ticks: utime+stime of the Kamailio main process and every process
# descended from it (/proc/<pid>/stat), plus its cutime+cstime
cpu_ticks() {
	cat /proc/[0-9]*/stat 2>/dev/null | awk -v root="$KAM_PID" '
	{
		pid = $1
		sub(/^.*\) /, "")   # comm may hold spaces
		ppid[pid] = $2; t[pid] = $12 + $13; ct[pid] = $14 + $15
	}
	END {
		for (p in ppid) {
			q = p
			for (i = 0; i < 64 && q != root && q > 1; i++) q = ppid[q]
			if (q == root) s += t[p]
		}
		print s + ct[root]
	}'
}
system_busy_ticks() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }

# wait_idle: until Kamailio used < 3 ticks in 300 ms (at most 10 s)
wait_idle() {
	local a b i
	for i in $(seq 1 33); do
		a=$(cpu_ticks)
		sleep 0.3
		b=$(cpu_ticks)
		[ $((b - a)) -lt 3 ] && return 0
	done
	log "  (kamailio still busy after 10 s, going on)"
}

# wait_no_transactions: until tm holds no transaction (at most 45 s:
# finished ones wait 5 s, unanswered NOTIFYs up to fr_timer)
tm_current() { kam tm.stats 2>/dev/null | awk '$1 == "current:" { print $2 }'; }
no_transactions() { [ "$(tm_current)" = 0 ]; }
wait_no_transactions() { wait_until 45 no_transactions || log "  (tm still holds $(tm_current) transactions)"; }
shm_real_used() { kam core.shmmem 2>/dev/null | awk '$1 == "real_used:" { print $2 }'; }

# stat_window FILE FROM TO: calls completed and 503s (aborted on an
# unexpected reply) per second over the rows of a SIPp stat CSV (about one
# a second, -fd 1) that end FROM to TO seconds after SIPp started, each
# row's counts over the time since the row before (a last row can be a
# fraction of a second): "C R"
stat_window() {
	awk -F';' -v a="$2" -v b="$3" '
	NR == 1 { for (i = 1; i <= NF; i++) { if ($i == "SuccessfulCall(P)") c = i
		if ($i == "FailedUnexpectedMessage(P)") u = i }; next }
	{ split($1, s, "\t"); split($2, l, "\t"); split($3, t, "\t"); e = t[3] - s[3] }
	e > a + 0.5 && e <= b + 0.5 { d += t[3] - l[3]; ok += $c; r += $u }
	END { if (d > 0) printf "%.0f %.0f\n", ok / d, r / d; else print "- -" }' "$1" 2>/dev/null
}

stat_field() { # FILE NAME: column NAME of the last line of a SIPp stat CSV
	awk -F';' -v n="$2" '
	NR == 1 { for (i = 1; i <= NF; i++) if ($i == n) c = i; next }
	{ last = $c }
	END { print last + 0 }' "$1" 2>/dev/null
}

# sipp_run DIR SCENARIO CALLS RATE PREFIX [args]: one bounded SIPp run in
# DIR (its own directory: SIPp writes its counts file to the working
# directory); sets S_OK S_FAILED S_ANSWERED (final 200/202 replies received)
# S_RETRANS (SIPp's retransmissions: Kamailio answered late) S_WALL (s)
sipp_run() {
	local d=$1 scen=$2 calls=$3 rate=$4 prefix=$5 sport t0 t1
	shift 5
	mkdir -p "$d"
	sport=$(free_udp_port) || return 1
	t0=$(date +%s%N)
	(cd "$d" && exec timeout -k 2 $((TRIAL_SECS + 40)) sipp -sf "$scen" "127.0.0.1:$PORT" \
		-i 127.0.0.1 -p "$sport" -r "$rate" -rp 1000 -m "$calls" -l "$calls" \
		-nostdin -timeout "$((TRIAL_SECS + 25))s" -recv_timeout 5000 \
		-default_behaviors abortunexp -buff_size 4194304 -deadcall_wait 10000 \
		-trace_stat -stf "$d/stat.csv" -fd 1 -trace_counts \
		-trace_err -error_file "$d/err.log" -max_log_size 2000000 \
		-key prefix "$prefix" "$@" >"$d/sipp.out" 2>&1 </dev/null) &
	SIPP_PID=$!
	wait "$SIPP_PID"
	SIPP_PID=
	t1=$(date +%s%N)
	S_WALL=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
	S_OK=$(stat_field "$d/stat.csv" 'SuccessfulCall(C)')
	S_FAILED=$(stat_field "$d/stat.csv" 'FailedCall(C)')
	S_RETRANS=$(stat_field "$d/stat.csv" 'Retransmissions(C)')
	S_ANSWERED=$(cat "$d"/*_counts.csv 2>/dev/null | awk -F';' '
		NR == 1 { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+_20[02]_Recv$/) c[i] = 1; next }
		{ last = $0 }
		END { n = split(last, f, ";"); for (i in c) s += f[i]; print s + 0 }')
}

# result METRIC VALUE: one figure of the current instance
result() { printf '%s\t%s\t%s\t%s\t%s\n' "$RUN" "$IMPL" "$NW" "$1" "$2" >>"$OUT/results.tsv"; }

# trial KIND RATE: one load trial at RATE calls/s; 0 when it passed; sets
# T_CPU (ms per 1000 requests answered)
TRIAL_N=0
trial() {
	local kind=$1 rate=$2 per scen extra=() calls c0 c1 s0 s1 succ ach pass kam_pct rest_pct
	if [ "$kind" = publish ]; then
		per=4 scen=$SCEN/publish-cycle.xml
	else
		per=2 scen=$SCEN/subscribe-cycle.xml extra=(-inf "$W/pool.csv")
	fi
	calls=$((rate * TRIAL_SECS))
	[ "$calls" -ge 10 ] || calls=10
	TRIAL_N=$((TRIAL_N + 1))
	# each trial on a drained instance: after a failed trial tm holds its
	# transactions (and memory) for 5 s, and ours' overload 503 refuses a
	# lossy second within 3 s of its last refusal (the next trial's SIPp
	# start-up burst)
	wait_no_transactions
	wait_idle
	c0=$(cpu_ticks) s0=$(system_busy_ticks)
	sipp_run "$W/t$TRIAL_N-$kind-$rate" "$scen" "$calls" "$rate" "r$RUN${IMPL:0:1}$NW$kind$TRIAL_N" "${extra[@]}"
	c1=$(cpu_ticks) s1=$(system_busy_ticks)
	succ=$(awk -v o="$S_OK" -v c="$calls" 'BEGIN { printf "%.2f", 100 * o / c }')
	# answered requests per second over the sending time (or the whole run
	# when SIPp could not keep up) against the target request rate
	ach=$(awk -v q="$S_ANSWERED" -v s="$TRIAL_SECS" -v w="$S_WALL" -v r="$rate" -v p="$per" 'BEGIN {
		d = (w - 0.5 > s) ? w - 0.5 : s; printf "%d", 100 * q / d / (r * p) }')
	T_CPU=$(awk -v a="$c0" -v b="$c1" -v t="$CLK_TCK" -v q="$S_ANSWERED" 'BEGIN {
		if (q > 0) printf "%.3f", (b - a) * 1000 / t / q * 1000; else print "-" }')
	read -r kam_pct rest_pct < <(awk -v k=$((c1 - c0)) -v sb=$((s1 - s0)) -v w="$S_WALL" \
		-v hz="$CLK_TCK" -v n="$NCPU" 'BEGIN { cap = w * hz * n; o = sb - k; if (o < 0) o = 0
		printf "%.0f %.0f\n", 100 * k / cap, 100 * o / cap }')
	pass=no
	awk -v s="$succ" -v m="$MIN_SUCCESS" -v a="$ach" -v n="$MIN_ACHIEVED" \
		'BEGIN { exit !(s >= m && a >= n) }' && pass=yes
	kamailio_alive || pass=dead
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$RUN" "$IMPL" "$NW" \
		"$kind" "$rate" "$calls" "$S_OK" "$S_FAILED" "$succ" "$S_ANSWERED" "$S_RETRANS" "$ach" \
		"$T_CPU" "$kam_pct" "$rest_pct" "$pass" >>"$OUT/trials.tsv"
	log "  $kind $rate calls/s: $S_OK/$calls ok ($succ %), $S_ANSWERED answered ($ach % of target), $S_RETRANS retransmitted," \
		"CPU $T_CPU ms/1000 req, machine: kamailio $kam_pct %, rest $rest_pct % -> $pass"
	[ "$pass" = yes ]
}

# search KIND: the bounded search for the highest passing rate; records
# KIND_cps, KIND_fail (lowest failing rate tried, 0: none), KIND_cpu_ms,
# KIND_trials, KIND_retrans (SIPp retransmissions in the best trial)
declare -A LAST
search() {
	local kind=$1 key=$IMPL-$1 r lo=0 hi=0 n=0 f=2 cpu=- rt=- next
	r=${LAST[$key]:-}
	if [ -n "$r" ] && [ "$r" -gt 0 ]; then f=1.25; else r=${SEED[$key]}; fi
	# start on a drained instance: the SUBSCRIBE search follows the PUBLISH
	# overload trial, whose transactions (and shared memory) tm still holds
	wait_no_transactions
	while [ "$n" -lt "$MAX_TRIALS" ] && kamailio_alive; do
		n=$((n + 1))
		# a failed rate is tried once more (RETRY_FAILED): on two shared
		# cores one trial in a few fails on a stray burst of the other
		# processes, and a search that believes it stops a step or two low
		if trial "$kind" "$r" ||
			{ [ "$RETRY_FAILED" = 1 ] && kamailio_alive && log "  (failed once: again at $r)" &&
				trial "$kind" "$r"; }; then
			lo=$r cpu=$T_CPU rt=$S_RETRANS
		else
			hi=$r
		fi
		if [ "$hi" = 0 ]; then
			next=$(awk -v r="$r" -v f="$f" -v m="$MAX_RATE" 'BEGIN { x = int(r * f); if (x > m) x = m; print x }')
			[ "$next" -gt "$r" ] || break
		elif [ "$lo" = 0 ]; then
			next=$((r / 2))
			[ "$next" -ge 2 ] || break
		else
			awk -v l="$lo" -v h="$hi" -v p="$PRECISION" 'BEGIN { exit !(h <= l * (1 + p / 100)) }' && break
			next=$(((lo + hi) / 2))
		fi
		r=$next
	done
	LAST[$key]=$lo
	result "${kind}_cps" "$lo"
	result "${kind}_fail" "$hi"
	result "${kind}_cpu_ms" "$cpu"
	result "${kind}_trials" "$n"
	result "${kind}_retrans" "$rt"
	log "  => $IMPL workers=$NW $kind: $lo calls/s (failed at ${hi/#0/-}), CPU $cpu ms/1000 req, $n steps"
	cost_trials "$kind" "$lo"
	overload "$kind" "$lo"
}

# cost_trials KIND MAX: the CPU cost at each rate of COST_RATES, the same
# rates for every implementation, so that ours minus the floor compares
# equal loads, and so does one worker count against another (on this kind
# of host the CPU per request depends on the rate: a worker woken for
# fewer datagrams a wake-up pays more switches per request); a rate above
# the search's MAX is skipped (Debian's presence passes tens to hundreds of
# calls a second: a trial far above it measures an overload); records
# KIND_cpu_at_RATE_ms
cost_trials() {
	local kind=$1 max=$2 cr
	for cr in $COST_RATES; do
		[ "$cr" -gt 0 ] && kamailio_alive || continue
		if [ "$cr" -gt "$max" ]; then
			result "${kind}_cpu_at_${cr}_ms" "(above its maximum)"
		elif trial "$kind" "$cr"; then
			result "${kind}_cpu_at_${cr}_ms" "$T_CPU"
		else
			result "${kind}_cpu_at_${cr}_ms" "($T_CPU, failed)"
		fi
	done
}

# overload KIND MAX: past the limit (issue 12: hold the maximum or answer
# 503 with Retry-After, never collapse): one trial offering OVERLOAD x MAX
# calls/s (or OVER_RATE calls/s when set: every implementation offered the
# same load) for OVER_SECS; records KIND_over_cps (calls completed per second
# over the trial, including its tail), KIND_over_share (that against MAX,
# %), KIND_over_late ("C (S %), R": calls completed and 503s per second
# over the second half of the sending time, the overload's steady state,
# and C against MAX), KIND_over_retrans, KIND_over_503 (calls SIPp
# aborted on an unexpected reply, its FailedUnexpectedMessage counter: in
# these scenarios a 503; the error log, while it lasts, shows no other.
# Before 6 December 2026 the count matched nothing and read 0; later that
# day it counted the error log's 503 lines, and SIPp stops that log at
# -max_log_size, 2 MB: about 4100 lines, so every figure over it read
# about 4100)
overload() {
	local kind=$1 max=$2 rate d c r TRIAL_SECS=$OVER_SECS
	[ "$OVERLOAD" != 0 ] && [ "$max" -gt 0 ] && kamailio_alive || return 0
	rate=${OVER_RATE:-$(awk -v m="$max" -v f="$OVERLOAD" 'BEGIN { printf "%d", m * f }')}
	trial "$kind" "$rate"
	d=$(awk -v s="$TRIAL_SECS" -v w="$S_WALL" 'BEGIN { print (w - 0.5 > s) ? w - 0.5 : s }')
	result "${kind}_over_cps" "$(awk -v o="$S_OK" -v d="$d" 'BEGIN { printf "%.0f", o / d }')"
	result "${kind}_over_share" "$(awk -v o="$S_OK" -v d="$d" -v m="$max" 'BEGIN { printf "%.0f %%", 100 * o / d / m }')"
	read -r c r < <(stat_window "$W/t$TRIAL_N-$kind-$rate/stat.csv" \
		"$(awk -v s="$TRIAL_SECS" 'BEGIN { print s / 2 }')" "$TRIAL_SECS")
	result "${kind}_over_late" "$(awk -v c="$c" -v r="$r" -v m="$max" 'BEGIN {
		if (c == "-") print "-"; else printf "%d (%.0f %%), %d", c, 100 * c / m, r }')"
	result "${kind}_over_retrans" "$S_RETRANS"
	result "${kind}_over_503" "$(stat_field "$W/t$TRIAL_N-$kind-$rate/stat.csv" 'FailedUnexpectedMessage(C)')"
	kamailio_alive || result state dead
}

# publish_pool: the POOL presentities the SUBSCRIBE trials subscribe to
# (W/pool.csv), published first (the floor publishes nothing)
publish_pool() {
	local i p=r$RUN${IMPL:0:1}${NW}pool
	echo SEQUENTIAL >"$W/pool.csv"
	for i in $(seq 1 "$POOL"); do echo "sip:$p-$i@127.0.0.1;"; done >>"$W/pool.csv"
	[ "$IMPL" = floor ] && return 0
	pres_rules "$W/presence.db" "'$p-' || i" || return
	sipp_run "$W/pool" "$SCEN/publish-pool.xml" "$POOL" 100 "$p"
	log "  pool: $S_OK/$POOL published"
}

# fanout: for each size, FANOUT_AGAIN + 1 fan-outs on this instance, each
# to new watchers of a new presentity once tm holds no transaction: the
# first (fanout_N_ms) into memory no process of this fresh instance has
# touched, the others (fanout_N_again_ms, the median of them) into memory
# the first one used and tm gave back, as on a server that has been up
fanout() {
	local n j k key vals
	for n in $FANOUT_SIZES; do
		if [ "$IMPL" = reference ] && [ "$n" -gt "$FANOUT_REF_MAX" ]; then
			result "fanout_${n}_ms" skipped
			continue
		fi
		vals=
		for k in $(seq 0 "$FANOUT_AGAIN"); do
			kamailio_alive || return
			wait_no_transactions
			pres_rules "$W/presence.db" "'r$RUN-fan$n-$k'" || return
			timeout -k 2 150 python3 "$BENCH/fanout.py" --server "127.0.0.1:$PORT" \
				--watchers "$n" --presentity "sip:r$RUN-fan$n-$k@127.0.0.1" \
				--phase-timeout 40 --tag "r$RUN${IMPL:0:1}$NW$k" \
				>"$W/fanout-$n-$k.json" 2>"$W/fanout-$n-$k.log"
			sed 's/^/  /' "$W/fanout-$n-$k.log" >&2
			j=$(python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
v = d.get("last_notify_ms")
print(v if d.get("complete") and v is not None else "incomplete:%s/%s" % (d.get("notifies_with_new_state"), d.get("watchers")))' \
				"$W/fanout-$n-$k.json" 2>/dev/null)
			if [ "$k" = 0 ]; then
				result "fanout_${n}_ms" "${j:-failed}"
			else
				vals="$vals ${j:-failed}"
			fi
		done
		[ "$FANOUT_AGAIN" -gt 0 ] || continue
		result "fanout_${n}_again_ms" "$(python3 -c 'import sys
v = sys.argv[1:]
try:
    f = sorted(float(x) for x in v)
    print("%.2f" % f[len(f) // 2] if len(f) % 2 else "%.2f" % ((f[len(f) // 2 - 1] + f[len(f) // 2]) / 2))
except ValueError:
    print("/".join(v))' $vals)"
	done
}

# shm_per KIND: shared memory per publication (kind pub) or subscription
shm_per() {
	local kind=$1 b0 b1 scen extra=()
	kamailio_alive || return
	wait_no_transactions
	b0=$(shm_real_used)
	if [ "$kind" = pub ]; then
		scen=$SCEN/publish-pool.xml
	else
		scen=$SCEN/subscribe-hold.xml extra=(-inf "$W/shm-pres.csv")
		echo SEQUENTIAL >"$W/shm-pres.csv"
		for i in $(seq 1 "$SHM_N"); do echo "sip:r$RUN${IMPL:0:1}${NW}shmp-$i@127.0.0.1;"; done >>"$W/shm-pres.csv"
	fi
	sipp_run "$W/shm-$kind" "$scen" "$SHM_N" "${SHM_RATE[$IMPL]}" "r$RUN${IMPL:0:1}${NW}shm$kind" "${extra[@]}"
	wait_no_transactions
	b1=$(shm_real_used)
	if [ "$S_OK" -gt 0 ] && [ -n "$b0" ] && [ -n "$b1" ]; then
		result "shm_per_${kind}_b" $(((b1 - b0) / S_OK))
	else
		result "shm_per_${kind}_b" "failed"
	fi
	result "shm_${kind}_ok" "$S_OK/$SHM_N"
	log "  shared memory: $S_OK/$SHM_N ${kind}: real_used $b0 -> $b1 bytes"
}

# instance IMPL WORKERS: every per-instance figure
instance() {
	IMPL=$1 NW=$2
	W=$OUT/r$RUN-$IMPL-w$NW
	mkdir -p "$W"
	log "=== round $RUN: $IMPL, $NW workers"
	start_kamailio "$IMPL" "$NW" "$W" || { result state "start failed"; return; }
	if [ "$IMPL" != floor ]; then
		[ -n "${SKIP_FANOUT:-}" ] || fanout
		if [ -z "${SKIP_SHM:-}" ]; then
			shm_per pub
			shm_per sub
		fi
	fi
	if [ -z "${SKIP_RATES:-}" ]; then
		case " $KINDS " in *" publish "*) kamailio_alive && search publish ;; esac
		case " $KINDS " in *" subscribe "*)
			if kamailio_alive; then
				publish_pool
				search subscribe
			fi ;;
		esac
	fi
	if kamailio_alive; then result state alive; else result state died; fi
	result db_locked_lines "$(grep -c 'database is locked' "$KAM_LOG")"
	result error_lines "$(grep -cE ' (ERROR|CRITICAL|BUG|ALERT):' "$KAM_LOG")"
	stop_kamailio
}

probe_or_kamailio_done() { proc_gone "$1" || ! kamailio_alive; }

# load_time IMPL: start-up with LOAD_N subscriptions in the DB (Kamailio
# with -M LOAD_PKG_MB: Debian's presence on db_sqlite reads the whole
# active_watchers table into private memory at once, and Kamailio's default
# 8 MB does not hold 10,000 rows)
load_time() {
	IMPL=$1 NW=$LOAD_WORKERS
	local d=$OUT/r$RUN-$IMPL-load port t0 t1 base b now per cnt rp
	W=$d
	mkdir -p "$d"
	log "=== round $RUN: $IMPL, start-up with $LOAD_N subscriptions"
	for phase in empty full; do
		port=$(free_udp_port) || return
		rm -f "$d/presence.db" "$d/presence.db-wal" "$d/presence.db-shm"
		bash "$REPO/scripts/create-sqlite-db.sh" "$d/presence.db" >/dev/null || return
		if [ "$phase" = full ]; then
			now=$(date +%s)
			per=100
			sqlite3 -bail "$d/presence.db" "
			WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $LOAD_N)
			INSERT INTO active_watchers (presentity_uri, watcher_username, watcher_domain,
				to_user, to_domain, event, to_tag, from_tag, callid, local_cseq,
				remote_cseq, contact, expires, status, reason, version, socket_info,
				local_contact, from_user, from_domain, updated, updated_winfo, flags,
				user_agent)
			SELECT 'sip:load-' || ((i - 1) / $per) || '@127.0.0.1', 'w' || i, '127.0.0.1',
				'load-' || ((i - 1) / $per), '127.0.0.1', 'presence', 'tt' || i, 'ft' || i,
				'load-' || i || '@127.0.0.1', 1, 1, 'sip:w' || i || '@127.0.0.1:9',
				$now + 3600, 1, '', 1, 'udp:127.0.0.1:$port', 'sip:127.0.0.1:$port',
				'w' || i, '127.0.0.1', 0, 0, 0, 'bench' FROM n;" ||
				{ log "  could not fill the DB"; return; }
		fi
		t0=$(date +%s%N)
		PKG_MB=$LOAD_PKG_MB NOWAIT=1 start_kamailio "$IMPL" "$NW" "$d" "$port" || return
		timeout -k 2 200 python3 "$BENCH/ready.py" --server "127.0.0.1:$port" \
			--timeout 180 >"$d/ready-$phase.txt" &
		rp=$!
		# until the probe ends, or Kamailio does (a failed start)
		wait_until 200 probe_or_kamailio_done "$rp"
		if ! kamailio_alive; then
			kill -TERM "$rp" 2>/dev/null
			wait "$rp" 2>/dev/null
			log "  kamailio died during start-up: $(grep -m1 -E 'ERROR' "$KAM_LOG")"
			result "load_${phase}_s" died
			stop_kamailio
			continue
		fi
		wait "$rp" 2>/dev/null
		t1=$(cat "$d/ready-$phase.txt")
		if [ -z "$t1" ]; then
			log "  no answer within 180 s"
			result "load_${phase}_s" timeout
			stop_kamailio
			continue
		fi
		result "load_${phase}_s" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')"
		wait_until 30 kamailio_ready
		b=$(shm_real_used)
		if [ "$phase" = empty ]; then
			base=$b
		else
			[ -n "$b" ] && [ -n "${base:-}" ] && result load_shm_per_sub_b $(((b - base) / LOAD_N))
			if [ "$IMPL" != reference ]; then
				cnt=$(kam presence.watcher_list sip:load-0@127.0.0.1 presence 2>/dev/null | grep -c 'callid:')
				result load_check "$cnt/$per watchers of sip:load-0 in memory"
			fi
		fi
		log "  $phase: answering after $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }') s, shm real_used $b"
		stop_kamailio
	done
}

# build_base: our presence and presence_xml at BASE_REV, built from a
# git archive of that revision against the same Kamailio tree, into
# OUT/base-modules (the log in OUT/base-build.log).
build_base() {
	local src=$OUT/base-src
	[ -n "${BASE_REV:-}" ] || { echo "bench: IMPLS has base but BASE_REV is not set" >&2; return 1; }
	mkdir -p "$src" "$OUT/base-modules"
	git -C "$REPO" archive "$BASE_REV" | tar -x -C "$src" || return 1
	log "building base ($BASE_REV) in $src"
	make -C "$src" modules KAMAILIO_SRC="$KAMAILIO_SRC" >"$OUT/base-build.log" 2>&1 || {
		echo "bench: building $BASE_REV failed, see $OUT/base-build.log" >&2
		return 1
	}
	for m in presence presence_xml; do
		cp "$src/modules/$m/$m.so" "$OUT/base-modules/" || return 1
	done
}

# ---------------------------------------------------------------- main

for t in sipp kamcmd sqlite3 python3 ss timeout; do
	command -v "$t" >/dev/null || { echo "bench: $t not found" >&2; exit 2; }
done
for m in presence presence_xml; do
	[ -f "$REPO/modules/$m/$m.so" ] || { echo "bench: build first (make)" >&2; exit 2; }
done
rm -rf "$OUT"
mkdir -p "$OUT/modules"
for m in presence presence_xml; do cp "$REPO/modules/$m/$m.so" "$OUT/modules/" || exit 2; done
case " $IMPLS " in *" base "*) build_base || exit 2 ;; esac
thp_set
T0=$(date +%s)
{
	echo "date: $(date -u +%FT%TZ)"
	echo "mode: $([ "${BENCH_QUICK:-0}" = 1 ] && echo "quick (BENCH_QUICK=1)" || echo full)"
	echo "machine: nproc $NCPU, kernel $(uname -r), load average at start $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "kamailio: $("$KAM_BIN" -v 2>/dev/null | head -n1 | sed 's/^version: //')"
	echo "reference: $(dpkg-query -W -f '${Package} ${Version}' kamailio-presence-modules 2>/dev/null)"
	echo "ours: git $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null) ($(git -C "$REPO" status --porcelain 2>/dev/null | grep -c .) uncommitted paths)"
	[ -z "${BASE_REV:-}" ] || echo "base: git $(git -C "$REPO" rev-parse --short "$BASE_REV") (our modules at that revision, with its defaults)"
	echo "sipp: $(sipp -v 2>&1 | grep -m1 -o 'SIPp v[^ ]*')"
	[ -z "${OVERLOAD_QUEUE_PERCENT:-}" ] || echo "ours: overload_queue_percent $OVERLOAD_QUEUE_PERCENT"
	[ -z "${MEM_MANAGER:-}" ] || echo "every instance: memory manager $MEM_MANAGER (-x, -X)"
	[ -z "${SHM_PREFAULT:-}" ] || echo "ours: shm_prefault $SHM_PREFAULT (MB of the shm pool populated at start-up and in every process)"
	[ "${FLOOR_FORCE_ALLOC:-0}" = 1 ] && echo "floor: shm_force_alloc yes"
	[ "${PRES_RULES:-0}" = 1 ] && echo "ours, base, reference: presence_xml force_active 0, a pres-rules document (xcap table) for every presentity"
	echo "kernel huge pages for shared memory (shmem_enabled): $(thp_policy || true)${SHMEM_THP:+ (set by SHMEM_THP for this run; $THP_FOUND before)}"
	# the kernel's DAMON monitor (kdamond) scans page access bits: 7 % of
	# the CPU samples of an overload on this project's 2-core VM
	echo "kernel DAMON monitors (kdamond), their states: $(cat /sys/kernel/mm/damon/admin/kdamonds/*/state 2>/dev/null | tr '\n' ' ' || true)"
	echo "settings: rounds $RUNS; workers $WORKERS; searches $KINDS; trials ${TRIAL_SECS}s, at most $MAX_TRIALS steps per search (a failed step tried again: RETRY_FAILED=$RETRY_FAILED) (then one at each of $COST_RATES calls/s not above its maximum, and one overload ${OVERLOAD}x the maximum for ${OVER_SECS}s), precision $PRECISION %, pass >= $MIN_SUCCESS % calls and >= $MIN_ACHIEVED % of the rate; fan-out $FANOUT_SIZES (reference up to $FANOUT_REF_MAX), each first and then $FANOUT_AGAIN more on the instance; shm $SHM_N; start-up $LOAD_N subscriptions, $LOAD_WORKERS worker(s)"
} >"$OUT/env.txt"
cat "$OUT/env.txt" >&2
printf 'run\timpl\tworkers\tmetric\tvalue\n' >"$OUT/results.tsv"
printf 'run\timpl\tworkers\tkind\trate\tcalls\tok\tfailed\tsuccess_pct\tanswered\tretransmissions\tachieved_pct\tcpu_ms_per_1000\tkam_pct\trest_pct\tpass\n' >"$OUT/trials.tsv"

for RUN in $(seq 1 "$RUNS"); do
	for nw in $WORKERS; do
		for impl in $IMPLS; do instance "$impl" "$nw"; done
	done
	if [ -z "${SKIP_LOAD:-}" ]; then
		for impl in $IMPLS; do [ "$impl" = floor ] || load_time "$impl"; done
	fi
done
{
	echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "elapsed: $(($(date +%s) - T0)) s"
} >>"$OUT/env.txt"
python3 "$BENCH/workers_report.py" "$OUT" | tee "$OUT/results.md"
