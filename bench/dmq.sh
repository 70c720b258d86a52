#!/usr/bin/env bash
# DMQ subscription replication benchmark (`make bench-dmq`, not part of
# check): what enable_subs_dmq costs, measured side by side in one run.
# For SUBS in SUBS_LIST ("0 1") a fresh 2-node DMQ cluster on 127.0.0.1
# (scripts/kamailio-presence.cfg with -A WITH_DMQ [-A WITH_DMQ_SUBS], each
# node its own SQLite file, CHILDREN (2) UDP workers each), then:
#
#   FIRST      a (default, as test/dmq/ does): A starts first with itself
#              as dmq's notification_address, B learns the cluster from A.
#              dmq 5.6 then lists A twice in A's own node list (once local,
#              once not: the notification address), so A broadcasts every
#              KDMQ to itself as well as to B and applies its own records
#              again.  b: B starts first (notifying itself) and A learns
#              from B: A lists only B, and the figures of A are the cost of
#              replication without that echo (B sends nothing under this
#              load).
#
#   pool       POOL (100) presentities published at A (replicated to B).
#   SUBSCRIBE  SIPp (bench/scenarios/subscribe-cycle.xml: SUBSCRIBE,
#              NOTIFY, un-SUBSCRIBE, NOTIFY on the pool) to node A only,
#              at each of RATES ("200 400 800 1600") SUBSCRIBE requests/s for
#              STEP_SECS (10) s; bench/run.sh's step: it passes at >= 99.9 %
#              of calls ok and >= 90 % of the rate answered; a failed step
#              is tried once more, stepping stops at the first rate that
#              fails twice.  Per step, node A's and node B's Kamailio CPU
#              (utime+stime of the main process and all its children,
#              /proc) from before the step until both are idle again
#              (B applies the replicated records asynchronously, in its
#              dmq worker), less the node's idle CPU (its timers, measured
#              for IDLE_SECS (5) s on the fresh cluster) over the same time,
#              per 1000 SUBSCRIBE requests answered at A; and
#              the requests B received (kex's core:rcv_requests: B takes
#              nothing but KDMQ here; dmq's pings, every 60 s, are in it)
#              per SUBSCRIBE request answered.
#   fan-out    bench/fanout.py: WATCHERS (1000) watchers of one presentity
#              subscribed at A, one PUBLISH at B; the time until the last
#              watcher has the NOTIFY with the new state (A notifies on the
#              replicated publication).  SKIP_FANOUT=1 leaves it out.
#
# The table (markdown, with nproc and the load average before and after
# each cluster) goes to stdout and $OUT/results.md, the raw rows to
# $OUT/dmq.tsv; RESULT=path also copies both there (path.md, path.tsv).
# Our modules are copied to $OUT/modules at the start.  It uses bench/
# run.sh's helpers (sourced with LP_BENCH_LIB=1): free ports, bounded
# waits, SIPp steps, Kamailio stopped by PID.  Knobs: SUBS_LIST, RATES,
# STEP_SECS, CHILDREN, POOL, WATCHERS, SKIP_FANOUT, FIRST, BENCH_OUT
# (bench/out/dmq), SHM_MB (1024: -m of each node; with 256 the 1600/s
# step with enable_subs_dmq 1 ran A out of shared memory, 503s).
set -u

DMQ_BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export BENCH_OUT=${BENCH_OUT:-$DMQ_BENCH/out/dmq}
SUBS_LIST=${SUBS_LIST:-"0 1"}
RATES=${RATES:-"200 400 800 1600"}
CHILDREN=${CHILDREN:-2}
IDLE_SECS=${IDLE_SECS:-5}
FIRST=${FIRST:-a}
export POOL=${POOL:-100} STEP_SECS=${STEP_SECS:-10} SHM_MB=${SHM_MB:-1024}
export WATCHERS=${WATCHERS:-1000}
LP_BENCH_LIB=1 . "$DMQ_BENCH/run.sh"
KAM_CFG=$REPO/scripts/kamailio-presence.cfg

# start_node NAME SUBS [NOTIFY_PORT]: one more DMQ node (its own SQLite
# file $W/NAME/presence.db), learning the cluster from the node on
# NOTIFY_PORT (empty: itself); appended to KPIDS/KPORTS/KCTLS/KLOGS.
start_node() {
	local name=$1 subs=$2 dir=$W/$1 port ctl lg pid i extra=()
	i=${#KPIDS[@]}
	mkdir -p "$dir/run"
	db_fresh "$dir" || return 1
	ctl=$dir/ctl.sock lg=$dir/kamailio.log
	rm -f "$ctl"
	port=$(free_udp_port) || return 1
	[ "$subs" = 1 ] && extra=(-A WITH_DMQ_SUBS)
	"$KAM_BIN" -f "$KAM_CFG" -DD -E -Y "$dir/run" -m "$SHM_MB" \
		-A "LISTEN=udp:127.0.0.1:$port" \
		-A "DBURL=\"$DB_URL\"" \
		-A "CTLSOCK=\"unix:$ctl\"" \
		-A "SERVER_ADDRESS=\"sip:127.0.0.1:$port\"" \
		-A "MPATH=\"$OUT/modules:$DEBIAN_MPATH\"" \
		-A "CHILDREN=$CHILDREN" \
		-A WITH_DMQ -A "DMQ_NOTIFY=\"sip:127.0.0.1:${3:-$port}\"" \
		"${extra[@]}" </dev/null >>"$lg" 2>&1 &
	pid=$!
	KPIDS+=("$pid") KPORTS+=("$port") KCTLS+=("$ctl") KLOGS+=("$lg")
	if [ "$i" = 0 ]; then
		KAM_PID=$pid PORT=$port CTL=$ctl KAM_LOG=$lg
	fi
	if ! wait_until "$WAIT_MAX" kamailio_ready "$i" || ! kill -0 "$pid" 2>/dev/null; then
		log "node $name did not come up; log tail:"
		tail -n 15 "$lg" >&2
		return 1
	fi
	log "node $name (enable_subs_dmq $subs) pid $pid on udp:127.0.0.1:$port"
}

# active_nodes INDEX: the nodes dmq at instance INDEX lists as active
active_nodes() {
	kamcmd -s "unix:${KCTLS[$1]}" dmq.list_nodes 2>/dev/null |
		awk '/port:/ { p = $2 } /status: active/ { print p }' | sort -u | wc -l
}
cluster_formed() { [ "$(active_nodes 0)" -ge 2 ] && [ "$(active_nodes 1)" -ge 2 ]; }

# rcv_requests INDEX: kex's core:rcv_requests of instance INDEX
rcv_requests() {
	kamcmd -s "unix:${KCTLS[$1]}" stats.get_statistics core: 2>/dev/null |
		awk '$1 == "core:rcv_requests" { print $3 + 0; exit }'
}

# wait_both_idle: wait_idle, then (B applies asynchronously) again
wait_both_idle() { wait_idle; wait_idle; }

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# measure SUBS RATE TRY: one SUBSCRIBE step to node A with per-node CPU
# and B's received requests; appends to $OUT/dmq.tsv; 0 when it passed.
measure() {
	local subs=$1 rate=$2 try=$3 a0 a1 b0 b1 t0 t1 a b q0 q1 row reqs cpa cpb kd pass la
	wait_both_idle
	la=$(loadavg)
	a0=$(tree_ticks "${KPIDS[0]}") b0=$(tree_ticks "${KPIDS[1]}") t0=$(date +%s%N)
	q0=$(rcv_requests 1)
	SIPP_ONE=1 step subscribe "$rate" "$try"
	wait_both_idle
	a1=$(tree_ticks "${KPIDS[0]}") b1=$(tree_ticks "${KPIDS[1]}") t1=$(date +%s%N)
	q1=$(rcv_requests 1)
	# less each node's idle CPU over the same time
	a=$(awk -v d=$((a1 - a0)) -v i="$IDLE_A" -v w=$((t1 - t0)) 'BEGIN { v = d - i * w / 1e9; printf "%d", v < 0 ? 0 : v + 0.5 }')
	b=$(awk -v d=$((b1 - b0)) -v i="$IDLE_B" -v w=$((t1 - t0)) 'BEGIN { v = d - i * w / 1e9; printf "%d", v < 0 ? 0 : v + 0.5 }')
	row=$(tail -n 1 "$W/subscribe.tsv")
	reqs=$(echo "$row" | cut -f8)
	pass=$(echo "$row" | cut -f18)
	read -r cpa cpb kd < <(awk -v a="$a" -v b="$b" -v q="$reqs" \
		-v k=$((${q1:-0} - ${q0:-0})) -v hz="$CLK_TCK" 'BEGIN {
		if (q > 0) printf "%.1f %.1f %.3f\n", a * 1e6 / hz / q, b * 1e6 / hz / q, k / q
		else print "- - -" }')
	# the columns of the header printed at the start, then the raw ticks
	# and the wall time they were taken over
	echo "$row" | awk -F'\t' -v OFS='\t' -v s="$subs" -v at="$a" -v bt="$b" \
		-v ca="$cpa" -v cb="$cpb" -v ra=$((a1 - a0)) -v rb=$((b1 - b0)) \
		-v w="$(awk -v w=$((t1 - t0)) 'BEGIN { printf "%.2f", w / 1e9 }')" -v k=$((${q1:-0} - ${q0:-0})) -v kd="$kd" -v la="$la" \
		'{ print s, $1, $2, $4, $5, $7, $8, $10, $18, at, bt, ca, cb, k, kd, $15, $16, $17, la, ra, rb, w }' >>"$OUT/dmq.tsv"
	log "  -> A $cpa ms/1000 SUBSCRIBE, B $cpb ms/1000, B received $((${q1:-0} - ${q0:-0})) requests ($kd per SUBSCRIBE); load $la"
	[ "$pass" = yes ]
}

# cluster SUBS: the whole measurement on a fresh 2-node cluster
cluster() {
	local subs=$1 r k fo a0 a1 b0 b1 t0 t1
	W=$OUT/subs$subs TAGP=dq$subs
	mkdir -p "$W"
	wait_machine_quiet
	printf 'subs%s\tload_before\t%s\n' "$subs" "$(loadavg)" >>"$OUT/state.tsv"
	printf 'rate\ttry\tcall_rate\tcalls\tok\tfailed\tsuccess_pct\tanswered\twall_s\tachieved\tcpu_ticks\tcpu_ms_per_1000\tdb_locked\tlog_errors\tkam_pct\tsipp_pct\tother_pct\tpass\tdb_pct\n' >"$W/subscribe.tsv"
	if [ "$FIRST" = b ]; then
		start_node b "$subs" || { stop_kamailio; return 1; }
		start_node a "$subs" "${KPORTS[0]}" || { stop_kamailio; return 1; }
		# index 0 is A everywhere below
		KPIDS=("${KPIDS[1]}" "${KPIDS[0]}") KPORTS=("${KPORTS[1]}" "${KPORTS[0]}")
		KCTLS=("${KCTLS[1]}" "${KCTLS[0]}") KLOGS=("${KLOGS[1]}" "${KLOGS[0]}")
		KAM_PID=${KPIDS[0]} PORT=${KPORTS[0]} CTL=${KCTLS[0]} KAM_LOG=${KLOGS[0]}
	else
		start_node a "$subs" || { stop_kamailio; return 1; }
		start_node b "$subs" "${KPORTS[0]}" || { stop_kamailio; return 1; }
	fi
	kamcmd -s "unix:${KCTLS[0]}" dmq.list_nodes >"$W/a/dmq-nodes.txt" 2>&1
	if ! wait_until 30 cluster_formed; then
		log "subs $subs: the DMQ cluster did not form"
		stop_kamailio
		return 1
	fi
	log "subs $subs: cluster of 2 formed"
	kamcmd -s "unix:${KCTLS[1]}" stats.get_statistics core: >"$W/b/stats-start.txt" 2>&1
	# each node's CPU when idle (its timers), on the fresh cluster before
	# any load, subtracted from the steps
	wait_both_idle
	a0=$(tree_ticks "${KPIDS[0]}") b0=$(tree_ticks "${KPIDS[1]}") t0=$(date +%s%N)
	sleep "$IDLE_SECS"
	a1=$(tree_ticks "${KPIDS[0]}") b1=$(tree_ticks "${KPIDS[1]}") t1=$(date +%s%N)
	IDLE_A=$(awk -v t=$((a1 - a0)) -v w=$((t1 - t0)) 'BEGIN { printf "%.3f", t * 1e9 / w }')
	IDLE_B=$(awk -v t=$((b1 - b0)) -v w=$((t1 - t0)) 'BEGIN { printf "%.3f", t * 1e9 / w }')
	printf 'subs%s\tidle\t%s\t%s\n' "$subs" "$IDLE_A" "$IDLE_B" >>"$OUT/state.tsv"
	log "  idle: A $IDLE_A ticks/s, B $IDLE_B ticks/s (of $CLK_TCK a CPU)"
	SIPP_ONE=1 sipp_step pool "$SCEN/publish-pool.xml" "$POOL" 200 "${TAGP}pool"
	echo SEQUENTIAL >"$W/pool.csv"
	for k in $(seq 1 "$POOL"); do echo "sip:${TAGP}pool-$k@127.0.0.1;"; done >>"$W/pool.csv"
	log "  pool: $(stat_field "$W/pool.stat.csv" 'SuccessfulCall(C)')/$POOL published at A"
	if [ -z "${SKIP_FANOUT:-}" ]; then
		log "subs $subs: fan-out, $WATCHERS watchers at A, PUBLISH at B"
		wait_both_idle
		timeout 150 python3 "$BENCH/fanout.py" --server "127.0.0.1:${KPORTS[0]}" \
			--publish-server "127.0.0.1:${KPORTS[1]}" \
			--watchers "$WATCHERS" --presentity "sip:${TAGP}fan@127.0.0.1" \
			--tag "${TAGP}f" >"$W/fanout.json" 2>"$W/fanout.log"
		sed 's/^/  /' "$W/fanout.log" >&2
		fo=$(python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print("%s\t%s\t%s\t%s\t%s" % (d.get("notifies_with_new_state"), d.get("first_notify_ms"),
	d.get("p50_ms"), d.get("last_notify_ms"), d.get("publish_code")))' "$W/fanout.json" 2>/dev/null) ||
			fo="-	-	-	-	-"
		printf 'subs%s\tfanout\t%s\t%s\n' "$subs" "$fo" "$(loadavg)" >>"$OUT/state.tsv"
	fi
	log "subs $subs: SUBSCRIBE steps at A"
	for r in $RATES; do
		measure "$subs" "$r" 1 || { kamailio_alive && measure "$subs" "$r" 2; } || break
		kamailio_alive || break
	done
	kamailio_alive || log "subs $subs: A KAMAILIO DIED (see $W/*/kamailio.log)"
	for k in 0 1; do
		printf 'subs%s\terrors_%s\t%s\n' "$subs" "$k" \
			"$(grep -cE ' (ERROR|CRITICAL|BUG|ALERT):' "${KLOGS[$k]}")" >>"$OUT/state.tsv"
	done
	printf 'subs%s\tload_after\t%s\n' "$subs" "$(loadavg)" >>"$OUT/state.tsv"
	stop_kamailio
}

for t in sipp kamcmd sqlite3 python3 ss; do
	command -v "$t" >/dev/null || { echo "bench: $t not found" >&2; exit 2; }
done
[ -f "$REPO/modules/presence/presence.so" ] || { echo "bench: build first (make modules)" >&2; exit 2; }
rm -rf "$OUT"
mkdir -p "$OUT/modules"
for m in presence presence_xml; do
	cp "$REPO/modules/$m/$m.so" "$OUT/modules/$m.so" || exit 2
done
{
	echo "date: $(date -u +%FT%TZ); host: $(nproc) CPUs, $(uname -r)"
	echo "ours: $(git -C "$REPO" rev-parse --short HEAD) ($(git -C "$REPO" status --porcelain | grep -c .) uncommitted paths)"
	echo "kamailio: $("$KAM_BIN" -v 2>/dev/null | head -n1)"
	echo "2 nodes, CHILDREN=$CHILDREN each, SQLite each, -m $SHM_MB, steps ${STEP_SECS}s at $RATES SUBSCRIBE/s, pool $POOL, FIRST=$FIRST (the node started first, its own dmq notification_address)"
} >"$OUT/env.txt"
printf 'subs\trate\ttry\tcalls\tok\tsuccess_pct\tanswered\tachieved\tpass\tcpuA_net_ticks\tcpuB_net_ticks\tcpuA_ms_per_1000\tcpuB_ms_per_1000\tB_requests\tB_requests_per_subscribe\tkam_pct\tsipp_pct\tother_pct\tload\tcpuA_raw_ticks\tcpuB_raw_ticks\twall_s\n' >"$OUT/dmq.tsv"
: >"$OUT/state.tsv"
for s in $SUBS_LIST; do
	log "=== enable_subs_dmq $s"
	cluster "$s" || log "enable_subs_dmq $s: not measured"
done

# the table
{
	echo "# DMQ subscription replication: 2 nodes, SUBSCRIBE at A ($(date -u +%F))"
	echo
	sed 's/^/    /' "$OUT/env.txt"
	echo "    nproc $(nproc); load average (1, 5, 15 min) per cluster in the rows below"
	echo
	echo "CPU: Kamailio utime+stime of the node's process tree from before the step until both nodes are idle again, less each node's idle CPU over that time, per 1000 SUBSCRIBE requests answered at A (un-SUBSCRIBEs included; the NOTIFYs A sends are in A's figure). B req/SUB: requests B received (KDMQ) per SUBSCRIBE request answered at A."
	echo
	echo "| enable_subs_dmq | rate/s | try | calls ok | answered/s | pass | A CPU ms/1000 SUB | B CPU ms/1000 SUB | B KDMQ/SUB | machine: kam/sipp/other % | load |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|"
	awk -F'\t' 'NR > 1 { printf "| %s | %s | %s | %s/%s (%s %%) | %s | %s | %s | %s | %s | %s/%s/%s | %s |\n",
		$1, $2, $3, $5, $4, $6, $8, $9, $12, $13, $15, $16, $17, $18, $19 }' "$OUT/dmq.tsv"
	echo
	for s in $SUBS_LIST; do
		awk -F'\t' -v s="subs$s" -v hz="$CLK_TCK" '
			$1 == s && $2 == "load_before" { lb = $3 }
			$1 == s && $2 == "load_after" { la = $3 }
			$1 == s && $2 ~ /^errors_/ { e = e " " $3 }
			$1 == s && $2 == "idle" { id = sprintf("; idle CPU (ticks/s of %s a CPU) A %s, B %s", hz, $3, $4) }
			$1 == s && $2 == "fanout" { f = sprintf("fan-out: %s NOTIFYs with the new state, first %s ms, median %s ms, last %s ms after the PUBLISH at B (reply %s), load %s", $3, $4, $5, $6, $7, $8) }
			END { printf "- enable_subs_dmq %s: load before %s, after %s; log errors (A, B):%s%s\n", substr(s, 5), lb, la, e, id
			      if (f != "") printf "  %s\n", f }' "$OUT/state.tsv"
	done
	# highest passing rate per setting
	awk -F'\t' 'NR > 1 && $9 == "yes" { if ($2 + 0 > best[$1] + 0) best[$1] = $2 }
		END { for (s in best) printf "- enable_subs_dmq %s: highest rate passed %s SUBSCRIBE/s (of the rates tried)\n", s, best[s] }' "$OUT/dmq.tsv" | sort
} | tee "$OUT/results.md"
if [ -n "${RESULT:-}" ]; then
	cp "$OUT/results.md" "$RESULT.md"
	cp "$OUT/dmq.tsv" "$RESULT.tsv"
fi
