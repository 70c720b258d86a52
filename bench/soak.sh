#!/usr/bin/env bash
# Soak (`make soak`, not part of the tests): one Kamailio with our modules
# under a steady mixed load for SOAK_SECONDS, the database server stopped
# and started again every RESTART_EVERY seconds, to show that memory does
# not grow once warm and that the service comes back by itself.
#
#   load       two SIPp in the background for the whole run: PUBLISH life
#              cycles (bench/scenarios/publish-cycle.xml, 4 PUBLISH a call)
#              at PUB_RATE calls/s and SUBSCRIBE calls (subscribe-cycle.xml:
#              SUBSCRIBE, NOTIFY, un-SUBSCRIBE, NOTIFY) at SUB_RATE calls/s
#              to a pool of POOL published presentities.
#   faults     ENGINE postgres or mysql (default postgres): a private server
#              from test/db/servers.sh, stopped (fast shutdown, data kept)
#              for DOWN_SECONDS every RESTART_EVERY seconds; sqlite: none.
#   samples    every SAMPLE_SECONDS: the RSS of all Kamailio processes
#              (sum of VmRSS), Kamailio's shared memory in use (kamcmd
#              core.shmmem real_used), and the successful and failed calls
#              of each SIPp so far (its -trace_stat file, cumulative).
#   verdict    memory "once warm": the mean of the last third of the
#              samples against the mean of the middle third; growth above
#              GROW_PCT percent (default 10) is reported as growth.
#
# Every SIPp is bounded by -m and -timeout, every wait by a bound; Kamailio
# and the DB server are stopped by PID. Output: bench/out/soak/ (samples.csv,
# Kamailio's log, SIPp files) and a summary on stdout.
# Quick look: SOAK_SECONDS=180 RESTART_EVERY=60 bash bench/soak.sh
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
SOAK_SECONDS=${SOAK_SECONDS:-1200}
RESTART_EVERY=${RESTART_EVERY:-300}
DOWN_SECONDS=${DOWN_SECONDS:-10}
SAMPLE_SECONDS=${SAMPLE_SECONDS:-10}
PUB_RATE=${PUB_RATE:-40}
SUB_RATE=${SUB_RATE:-40}
POOL=${POOL:-200}
GROW_PCT=${GROW_PCT:-10}
ENGINE=${ENGINE:-postgres}
export ENGINE

# lib.sh gives start_kamailio / kam_rpc / free_udp_port; its work
# directory is test/sip/out/<this dir's name>: point it at bench/out/soak
. "$TOP/test/db/servers.sh"
case "$ENGINE" in
postgres) LP_DB_DIR=$TOP/bench/out/soak-db; pg_start || exit 1 ;;
mysql) LP_DB_DIR=$TOP/bench/out/soak-db; my_start || exit 1 ;;
sqlite) ;;
*) echo "ENGINE: sqlite, postgres or mysql" >&2; exit 2 ;;
esac
. "$TOP/test/sip/lib.sh"
OUT=$TOP/bench/out/soak
rm -rf "$OUT" && mkdir -p "$OUT" && cd "$OUT" || exit 1
WORK=$OUT DB=$OUT/presence.db CTL=$OUT/ctl.sock KAM_LOG=$OUT/kamailio.log
[ "$ENGINE" = sqlite ] && DB_URL="sqlite://$DB"
SCEN=$TOP/bench/scenarios

db_down() { case "$ENGINE" in postgres) pg_down ;; mysql) my_down ;; esac; }
db_up() { case "$ENGINE" in postgres) pg_up ;; mysql) my_up ;; esac; }
db_stop() { case "$ENGINE" in postgres) pg_stop ;; mysql) my_stop ;; esac; }

cleanup() {
	local p
	for p in "${LOAD_PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done
	stop_kamailio >/dev/null 2>&1
	db_stop >/dev/null 2>&1
}
LOAD_PIDS=()
trap cleanup EXIT

# load NAME SCENARIO RATE CALLS [args]: a SIPp in the background
load() {
	local name=$1 scen=$2 rate=$3 calls=$4 sport
	shift 4
	sport=$(free_udp_port) || return 1
	sipp -sf "$scen" "127.0.0.1:$PORT" -i 127.0.0.1 -p "$sport" \
		-r "$rate" -m "$calls" -l "$((rate * 20))" -nostdin \
		-timeout "$((SOAK_SECONDS + 60))s" -recv_timeout 10000 \
		-default_behaviors abortunexp -buff_size 4194304 \
		-trace_stat -stf "$OUT/$name.stat.csv" -fd "$SAMPLE_SECONDS" \
		-trace_err -error_file "$OUT/$name.err" -max_log_size 2000000 \
		-key prefix "soak$name" "$@" >"$OUT/$name.out" 2>&1 </dev/null &
	LOAD_PIDS+=("$!")
}

rss_kb() { # the main process and its children
	local p sum=0 v
	for p in $KAM_PID $(pgrep -P "$KAM_PID"); do
		v=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null)
		sum=$((sum + ${v:-0}))
	done
	echo "$sum"
}
shm_used() { kam_rpc core.shmmem 2>/dev/null | awk '$1 == "real_used:" { print $2 }'; }
# last_field FILE NAME: the last periodic value of a -trace_stat column
last_field() {
	[ -f "$1" ] || { echo 0; return; }
	awk -F';' -v n="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == n) c = i; next }
		c { v = $c } END { print v + 0 }' "$1"
}

CHILDREN=${CHILDREN:-4} start_kamailio -m 256 --param=presence:db_update_period:2 || exit 1
echo "soak: kamailio $KAM_PID on udp:$PORT, $ENGINE, ${SOAK_SECONDS}s," \
	"PUBLISH $PUB_RATE/s + SUBSCRIBE $SUB_RATE/s, DB restart every ${RESTART_EVERY}s"
sipp -sf "$SCEN/publish-pool.xml" "127.0.0.1:$PORT" -i 127.0.0.1 \
	-p "$(free_udp_port)" -r 200 -m "$POOL" -nostdin -timeout 60s \
	-key prefix soakpool >"$OUT/pool.out" 2>&1 </dev/null ||
	{ echo "soak: publishing the pool failed (see $OUT/pool.out)"; exit 1; }
{ echo SEQUENTIAL; for i in $(seq 1 "$POOL"); do echo "sip:soakpool-$i@127.0.0.1;"; done; } >"$OUT/pool.csv"

load pub "$SCEN/publish-cycle.xml" "$PUB_RATE" "$((PUB_RATE * SOAK_SECONDS))"
load sub "$SCEN/subscribe-cycle.xml" "$SUB_RATE" "$((SUB_RATE * SOAK_SECONDS))" -inf "$OUT/pool.csv"

echo "t_s,rss_kb,shm_used,pub_ok_total,pub_failed_total,sub_ok_total,sub_failed_total,db" >"$OUT/samples.csv"
t0=$(date +%s) next_restart=$RESTART_EVERY down_until=0 restarts=0 state=up
while :; do
	now=$(($(date +%s) - t0))
	[ "$now" -ge "$SOAK_SECONDS" ] && break
	kill -0 "$KAM_PID" 2>/dev/null || { echo "soak: kamailio died at ${now}s"; break; }
	if [ "$ENGINE" != sqlite ] && [ "$state" = up ] && [ "$now" -ge "$next_restart" ]; then
		db_down && state=down down_until=$((now + DOWN_SECONDS))
		restarts=$((restarts + 1))
		echo "soak: ${now}s database stopped"
	elif [ "$state" = down ] && [ "$now" -ge "$down_until" ]; then
		db_up && state=up next_restart=$((now + RESTART_EVERY))
		echo "soak: ${now}s database started again"
	fi
	printf '%s,%s,%s,%s,%s,%s,%s,%s\n' "$now" "$(rss_kb)" "$(shm_used)" \
		"$(last_field "$OUT/pub.stat.csv" 'SuccessfulCall(C)')" \
		"$(last_field "$OUT/pub.stat.csv" 'FailedCall(C)')" \
		"$(last_field "$OUT/sub.stat.csv" 'SuccessfulCall(C)')" \
		"$(last_field "$OUT/sub.stat.csv" 'FailedCall(C)')" "$state" >>"$OUT/samples.csv"
	sleep "$SAMPLE_SECONDS" # the sampling period (not a synchronisation)
done
[ "$state" = down ] && db_up
for p in "${LOAD_PIDS[@]}"; do kill -INT "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
LOAD_PIDS=()
alive=no
kill -0 "$KAM_PID" 2>/dev/null && kam_rpc core.version >/dev/null 2>&1 && alive=yes

echo
echo "samples (bench/out/soak/samples.csv):"
column -s, -t "$OUT/samples.csv"
awk -F, -v g="$GROW_PCT" -v r="$restarts" -v a="$alive" '
	NR > 1 { n++; rss[n] = $2; shm[n] = $3; po = $4; pf = $5; so = $6; sf = $7 }
	END {
		if (n < 6) { print "too few samples for a verdict"; exit }
		m1 = int(n / 3) + 1; m2 = int(2 * n / 3); l1 = m2 + 1
		for (i = m1; i <= m2; i++) { rm += rss[i]; sm += shm[i] }
		for (i = l1; i <= n; i++) { rl += rss[i]; sl += shm[i] }
		rm /= (m2 - m1 + 1); sm /= (m2 - m1 + 1); rl /= (n - l1 + 1); sl /= (n - l1 + 1)
		printf "RSS (sum, kB): middle third %.0f, last third %.0f (%+.1f %%)\n", rm, rl, 100 * (rl - rm) / rm
		printf "shm in use (B): middle third %.0f, last third %.0f (%+.1f %%)\n", sm, sl, 100 * (sl - sm) / sm
		printf "calls: PUBLISH cycles %d ok / %d failed, SUBSCRIBE calls %d ok / %d failed; DB restarts %d; kamailio alive at the end: %s\n", po, pf, so, sf, r, a
		grow = (100 * (rl - rm) / rm > g) || (100 * (sl - sm) / sm > g)
		print (grow ? "memory: GROWTH above " g " %" : "memory: no growth above " g " % once warm")
	}' "$OUT/samples.csv"
