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
# Our presence.so and presence_xml.so are copied to bench/out/modules/ at the
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
# bound; Kamailio is stopped by its PID.  Raw outputs go to bench/out/, the
# table to stdout and bench/out/results.md.
#
# Environment knobs: IMPLS ("ours reference"), CHILDREN_LIST ("1 4"),
# PUB_RATES, SUB_RATES (requests/s per step), STEP_SECS (5), POOL (100),
# WATCHERS (1000), SHM_MB (1024), QUIET_MAX (20: seconds to wait for the
# machine to calm down before each instance), SKIP_FANOUT=1.
set -u

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH/.." && pwd)
OUT=$BENCH/out
SCEN=$BENCH/scenarios
KAM_CFG=$REPO/scripts/kamailio-presence.cfg
KAM_BIN=${KAMAILIO:-/usr/sbin/kamailio}
DEBIAN_MPATH=/usr/lib/x86_64-linux-gnu/kamailio/modules

IMPLS=${IMPLS:-"ours reference"}
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

KAM_PID=
PORT=
USED_PORTS=" "
SIPP_PID=

# ---------------------------------------------------------------- helpers
# (the approach of test/sip/lib.sh: free ports, bounded waits, stop by PID)

log() { echo "[$(date +%T)] $*" >&2; }

wait_until() { # SECONDS CMD...: poll every 50 ms, bounded
	local limit=$1 end
	shift
	end=$(($(date +%s%N) + limit * 1000000000))
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ "$(date +%s%N)" -ge "$end" ] && return 1
		sleep 0.05
	done
}

udp_bound() { [ -n "$(ss -Hlun "sport = :$1" 2>/dev/null)" ]; }
udp_free() { ! udp_bound "$1"; }
proc_gone() { ! kill -0 "$1" 2>/dev/null; }

free_udp_port() {
	local p i
	for i in $(seq 1 200); do
		p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		case "$USED_PORTS" in *" $p "*) continue ;; esac
		if udp_free "$p"; then
			USED_PORTS="$USED_PORTS$p "
			echo "$p"
			return 0
		fi
	done
	echo "no free UDP port found" >&2
	return 1
}

kamailio_alive() { [ -n "$KAM_PID" ] && kill -0 "$KAM_PID" 2>/dev/null; }
kamailio_ready() {
	kamailio_alive || return 0
	udp_bound "$PORT" && kamcmd -s "unix:$CTL" core.version >/dev/null 2>&1
}

# start_kamailio IMPL CHILDREN DIR: fresh SQLite DB, Kamailio on a free port
start_kamailio() {
	local impl=$1 children=$2 dir=$3 mpath ref=()
	DB=$dir/presence.db CTL=$dir/ctl.sock KAM_LOG=$dir/kamailio.log
	rm -f "$DB" "$DB-wal" "$DB-shm" "$CTL"
	bash "$REPO/scripts/create-sqlite-db.sh" "$DB" >/dev/null || return 1
	PORT=$(free_udp_port) || return 1
	if [ "$impl" = reference ]; then
		mpath=$DEBIAN_MPATH
		ref=(-A REFERENCE)
	else
		mpath=$OUT/modules:$DEBIAN_MPATH
	fi
	mkdir -p "$dir/run"
	"$KAM_BIN" -f "$KAM_CFG" -DD -E -Y "$dir/run" -m "$SHM_MB" \
		-A "LISTEN=udp:127.0.0.1:$PORT" \
		-A "DBURL=\"sqlite://$DB\"" \
		-A "CTLSOCK=\"unix:$CTL\"" \
		-A "SERVER_ADDRESS=\"sip:127.0.0.1:$PORT\"" \
		-A "MPATH=\"$mpath\"" \
		-A "CHILDREN=$children" \
		"${ref[@]}" </dev/null >>"$KAM_LOG" 2>&1 &
	KAM_PID=$!
	if ! wait_until "$WAIT_MAX" kamailio_ready || ! kamailio_alive; then
		log "kamailio ($impl, $children children) did not come up; log tail:"
		tail -n 15 "$KAM_LOG" >&2
		stop_kamailio
		return 1
	fi
	log "kamailio $impl children=$children pid $KAM_PID on udp:127.0.0.1:$PORT"
}

stop_kamailio() {
	local pid=$KAM_PID
	[ -n "$pid" ] || return 0
	KAM_PID=
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null
		if ! wait_until "$WAIT_MAX" proc_gone "$pid"; then
			log "kamailio $pid ignored TERM, killing"
			kill -KILL "$pid" 2>/dev/null
		fi
	fi
	wait "$pid" 2>/dev/null
	wait_until "$WAIT_MAX" udp_free "$PORT" || log "port $PORT still bound"
}

stop_sipp() {
	local pid=$SIPP_PID
	[ -n "$pid" ] || return 0
	SIPP_PID=
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null
		wait_until 3 proc_gone "$pid" || kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
}

cleanup() { stop_sipp; stop_kamailio; }
trap cleanup EXIT
trap 'log interrupted; exit 1' INT TERM

# cpu_ticks: utime+stime (clock ticks) of the Kamailio main process and of
# every process descended from it, plus cutime+cstime of the main process
# (children that already exited).
cpu_ticks() {
	# cat, not awk FILES: a process may vanish between the glob and the read
	cat /proc/[0-9]*/stat 2>/dev/null | awk -v root="$KAM_PID" '
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
			for (i = 0; i < 64 && q != "" && q != root && q > 1; i++) q = ppid[q]
			if (q == root) s += t[p]
		}
		print s + ct[root]
	}'
}
CLK_TCK=$(getconf CLK_TCK)
NCPU=$(nproc)

# sipp_step NAME SCENARIO CALLS CALL_RATE [sipp args]: run one bounded load
# step from a free port; writes $W/NAME.{out,stat.csv,counts.csv,err}.
# Sets STEP_RC, STEP_WALL_S (seconds, float).
sipp_step() {
	local name=$1 scen=$2 calls=$3 crate=$4 sport t0 t1
	shift 4
	sport=$(free_udp_port) || return 1
	local ch0
	children_ticks
	ch0=$CHILD_TICKS
	t0=$(date +%s%N)
	# SIPp writes the -trace_counts file as <scenario>_<pid>_counts.csv in
	# its working directory: run it in $W and rename the file afterwards
	(cd "$W" && exec sipp -sf "$scen" "127.0.0.1:$PORT" -i 127.0.0.1 -p "$sport" \
		-r "$crate" -rp 1000 -m "$calls" -l "$calls" \
		-nostdin -timeout "$((STEP_SECS + 20))s" \
		-recv_timeout 5000 -default_behaviors abortunexp \
		-buff_size 4194304 -deadcall_wait 10000 \
		-trace_stat -stf "$W/$name.stat.csv" -fd 1 \
		-trace_counts \
		-trace_err -error_file "$W/$name.err" -max_log_size 4000000 \
		"$@" >"$W/$name.out" 2>&1 </dev/null) &
	SIPP_PID=$!
	wait "$SIPP_PID"
	STEP_RC=$?
	SIPP_PID=
	children_ticks
	SIPP_TICKS=$((CHILD_TICKS - ch0))
	for f in "$W"/"$(basename "$scen" .xml)"_*_counts.csv; do
		[ -f "$f" ] && mv "$f" "$W/$name.counts.csv"
	done
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
	kamcmd -s "unix:$CTL" core.shmmem 2>/dev/null | awk -v l="$1" '
		$1 ~ /^(used|real_used|max_used):/ { v[$1] = $2 / 1048576 }
		END { printf "%s\t%.1f\t%.1f\t%.1f\n", l, v["used:"], v["real_used:"], v["max_used:"] }' >>"$W/shm.tsv"
}

# shm_real_used: Kamailio's real_used shared memory, bytes.
shm_real_used() {
	kamcmd -s "unix:$CTL" core.shmmem 2>/dev/null | awk '$1 == "real_used:" { print $2 }'
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
		[ "$b" -le $((SHM_BASE + 5 * 1048576)) ] && break
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
# (PUBLISH requests, or SUBSCRIBE requests, per second).  Appends a row to
# $W/KIND.tsv; returns 0 when the step passed.
step() {
	local kind=$1 rate=$2 try=${3:-1} per scen crate calls name c0 c1 ok failed reqs
	local extra=() pass cpu_ms achieved ach_pct succ locked0 locked1 errs0 errs1
	local s0 s1 other sipp_pct kam_pct
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
	locked0=$(grep -c 'database is locked' "$KAM_LOG")
	errs0=$(grep -cE ' (ERROR|CRITICAL|BUG|ALERT):' "$KAM_LOG")
	c0=$(cpu_ticks)
	s0=$(system_busy_ticks)
	sipp_step "$name" "$scen" "$calls" "$crate" -key prefix "$TAGP$kind$rate-$try" "${extra[@]}"
	s1=$(system_busy_ticks)
	c1=$(cpu_ticks)
	# share of the machine (all CPUs) over the step: Kamailio, SIPp, the rest
	read -r kam_pct sipp_pct other < <(awk -v k=$((c1 - c0)) -v sp="$SIPP_TICKS" \
		-v sb=$((s1 - s0)) -v w="$STEP_WALL_S" -v hz="$CLK_TCK" -v n="$NCPU" 'BEGIN {
		cap = w * hz * n; o = sb - k - sp; if (o < 0) o = 0
		printf "%.0f %.0f %.0f\n", 100 * k / cap, 100 * sp / cap, 100 * o / cap }')
	locked1=$(grep -c 'database is locked' "$KAM_LOG")
	errs1=$(grep -cE ' (ERROR|CRITICAL|BUG|ALERT):' "$KAM_LOG")
	ok=$(stat_field "$W/$name.stat.csv" 'SuccessfulCall(C)')
	failed=$(stat_field "$W/$name.stat.csv" 'FailedCall(C)')
	# requests answered: final replies SIPp received to its requests
	reqs=$(awk -F';' '
		NR == 1 { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+_20[02]_Recv$/) c[i] = 1; next }
		{ last = $0 }
		END { n = split(last, f, ";"); for (i in c) s += f[i]; print s + 0 }' \
		"$W/$name.counts.csv" 2>/dev/null)
	[ -n "$reqs" ] || reqs=0
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
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
		"$rate" "$try" "$crate" "$calls" "$ok" "$failed" "$succ" "$reqs" \
		"$STEP_WALL_S" "$achieved" "$((c1 - c0))" "$cpu_ms" \
		"$((locked1 - locked0))" "$((errs1 - errs0))" "$kam_pct" "$sipp_pct" "$other" \
		"$pass" >>"$W/$kind.tsv"
	log "  $kind $rate/s${3:+ (try $try)}: calls $ok/$calls ok ($succ %), $failed failed," \
		"$reqs answered, achieved $achieved/s, CPU $cpu_ms ms/1000," \
		"db-locked +$((locked1 - locked0)), log errors +$((errs1 - errs0))," \
		"machine: kamailio $kam_pct %, sipp $sipp_pct %, other $other % -> $pass"
	[ "$pass" = yes ]
}

# run_instance IMPL CHILDREN
run_instance() {
	local impl=$1 children=$2 r i
	W=$OUT/$impl-c$children
	TAGP=${impl:0:3}c$children
	mkdir -p "$W"
	wait_machine_quiet
	printf 'rate\ttry\tcall_rate\tcalls\tok\tfailed\tsuccess_pct\tanswered\twall_s\tachieved\tcpu_ticks\tcpu_ms_per_1000\tdb_locked\tlog_errors\tkam_pct\tsipp_pct\tother_pct\tpass\n' |
		tee "$W/publish.tsv" >"$W/subscribe.tsv"
	start_kamailio "$impl" "$children" "$W" || { echo "start failed" >"$W/failed"; return 1; }
	echo "$KAM_PID" >"$W/kamailio.pid"
	printf 'when\tused_mb\treal_used_mb\tmax_used_mb\n' >"$W/shm.tsv"
	shm_sample "after start"
	SHM_BASE=$(shm_real_used)
	SHM_BASE=${SHM_BASE:-0}

	# the fan-out first, on the fresh instance: after an overloaded step tm
	# would still be retransmitting NOTIFYs to calls SIPp gave up (30 s)
	if kamailio_alive && [ -z "${SKIP_FANOUT:-}" ]; then
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

	log "$impl c$children: PUBLISH steps"
	for r in $PUB_RATES; do
		step publish "$r" || { kamailio_alive && step publish "$r" 2; } || break
		kamailio_alive || break
	done

	if kamailio_alive; then
		log "$impl c$children: publishing the pool of $POOL presentities"
		sipp_step pool "$SCEN/publish-pool.xml" "$POOL" 200 -key prefix "${TAGP}pool"
		echo SEQUENTIAL >"$W/pool.csv"
		for i in $(seq 1 "$POOL"); do echo "sip:${TAGP}pool-$i@127.0.0.1;"; done >>"$W/pool.csv"
		log "  pool: $(stat_field "$W/pool.stat.csv" 'SuccessfulCall(C)')/$POOL published"
		log "$impl c$children: SUBSCRIBE steps"
		for r in $SUB_RATES; do
			step subscribe "$r" || { kamailio_alive && step subscribe "$r" 2; } || break
			kamailio_alive || break
		done
	fi

	if kamailio_alive; then
		wait_idle
		wait_shm_settled "at the end (idle)"
		echo alive >"$W/state"
	else
		echo "died" >"$W/state"
		log "$impl c$children: KAMAILIO DIED (see $W/kamailio.log)"
	fi
	stop_kamailio
}

# ---------------------------------------------------------------- main

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
	so_stamp | sed 's/^/ours module (copied at start): /'
} >"$OUT/env.txt"

for c in $CHILDREN_LIST; do
	for impl in $IMPLS; do
		log "=== $impl, CHILDREN=$c"
		run_instance "$impl" "$c"
	done
done
T1=$(date +%s)
echo "elapsed: $((T1 - T0)) s" >>"$OUT/env.txt"
for m in presence presence_xml; do
	cmp -s "$REPO/modules/$m/$m.so" "$OUT/modules/$m.so" ||
		echo "note: modules/$m/$m.so was rebuilt during the run; the bench used the copy taken at its start" >>"$OUT/env.txt"
done

python3 "$BENCH/report.py" "$OUT" | tee "$OUT/results.md"
