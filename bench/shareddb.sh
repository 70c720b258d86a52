#!/usr/bin/env bash
# Shared-database load run (`make bench-shareddb`): INSTANCES (2) Kamailio
# instances with our presence in DB-only mode (subs_db_mode 3, publ_cache
# 0) on one private MariaDB and then one private PostgreSQL server
# (test/db/servers.sh), CHILDREN (4) UDP workers each, loaded with
# SUBSCRIBE dialogs (bench/scenarios/subscribe-cycle.xml: SUBSCRIBE,
# NOTIFY, un-SUBSCRIBE, NOTIFY on a pool of POOL published presentities)
# at RATE SUBSCRIBE requests/s over all instances for SECS seconds, one
# SIPp per instance.  It reports, per engine: calls that failed, the
# deadlock / serialization refusals the DB drivers logged as warnings
# (retried), the statements that gave up on one (errors), every ERROR line,
# the deadlocks the server itself counted, the DB statements and rows
# written per SUBSCRIBE request, and (MariaDB) the last deadlock of SHOW
# ENGINE INNODB STATUS (every deadlock is also in the server's log:
# innodb_print_all_deadlocks).  Not a test (no figure is asserted); the
# host is shared, so pick a RATE it sustains (see `answered` and the
# machine share in the output) before reading a failure as a deadlock.
#
# It uses bench/run.sh's helpers (sourced with LP_BENCH_LIB=1): engine
# start, fresh schema, Kamailio start and stop by PID, SIPp steps.
# Outputs in bench/out/shareddb/ (BENCH_OUT): results.txt, and per engine
# the Kamailio logs, SIPp outputs, DB counters, innodb-status.txt.
# Knobs: ENGINES ("mysql postgres"), INSTANCES, CHILDREN, RATE (400),
# SECS (20), POOL (100).
set -u

SDB_BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export BENCH_OUT=${BENCH_OUT:-$SDB_BENCH/out/shareddb}
SDB_ENGINES=${ENGINES:-"mysql postgres"}
INSTANCES=${INSTANCES:-2}
CHILDREN=${CHILDREN:-4}
RATE=${RATE:-400}
SECS=${SECS:-20}
export POOL=${POOL:-100} STEP_SECS=$SECS
LP_BENCH_LIB=1 . "$SDB_BENCH/run.sh"

# refusals the drivers log as warnings (retried), and giving up (errors)
DEADLOCK_RE='Deadlock found|Lock wait timeout|deadlock detected|could not serialize|lock not available'
GIVEUP_RE='still (locked or )?deadlocked|cannot (store|update|read|remove)'

# root_sql SQL: as MariaDB's root over the private socket
root_sql() { timeout 60 mariadb --no-defaults --socket="$LP_DB_DIR/my/sock" -uroot -N -B -e "$1"; }

# db_counters: statements and rows written so far, "name value" lines
db_counters() {
	case "$ENGINE" in
	mysql)
		root_sql "SHOW GLOBAL STATUS WHERE Variable_name IN ('Com_insert',
			'Com_update', 'Com_delete', 'Com_select', 'Com_commit',
			'Com_rollback', 'Innodb_rows_inserted', 'Innodb_rows_updated',
			'Innodb_rows_deleted', 'Innodb_deadlocks')" | tr '\t' ' '
		;;
	postgres)
		# the statistics reach pg_stat_database within a second
		sleep 1.5
		server_sql -A -t -F ' ' -c "SELECT v.n, v.x FROM pg_stat_database d,
			LATERAL (VALUES ('xact_commit', d.xact_commit),
			('xact_rollback', d.xact_rollback), ('tup_inserted', d.tup_inserted),
			('tup_updated', d.tup_updated), ('tup_deleted', d.tup_deleted),
			('tup_fetched', d.tup_fetched), ('deadlocks', d.deadlocks)) v(n, x)
			WHERE d.datname = current_database()" |
			awk 'NF == 2'
		;;
	esac
}

# the PostgreSQL server's own log lines (deadlock detected, ...)
server_log_count() {
	local f=$LP_DB_DIR/pg/server.log n
	[ "$ENGINE" = postgres ] && [ -f "$f" ] || { echo 0; return; }
	n=$(grep -cE "$1" "$f")
	echo "${n:-0}"
}

# one engine: fresh schema, instances, pool, the SUBSCRIBE load, figures
run_engine() {
	local e=$1 k dl0 dl1 gu0 gu1 sl0 sl1 reqs row
	engine_start "$e" || { log "$e: server did not start"; return 1; }
	W=$OUT/$e TAGP=sdb${e:0:1}
	mkdir -p "$W"
	db_fresh "$W" || { log "$e: no fresh schema"; db_server_stop; return 1; }
	[ "$e" = mysql ] && root_sql "SET GLOBAL innodb_print_all_deadlocks = ON"
	for ((k = 0; k < INSTANCES; k++)); do
		start_kamailio ours "$CHILDREN" "$W" dbonly || { stop_kamailio; db_server_stop; return 1; }
	done
	printf 'rate\ttry\tcall_rate\tcalls\tok\tfailed\tsuccess_pct\tanswered\twall_s\tachieved\tcpu_ticks\tcpu_ms_per_1000\tdb_locked\tlog_errors\tkam_pct\tsipp_pct\tother_pct\tpass\tdb_pct\n' >"$W/subscribe.tsv"
	SIPP_ONE=1 sipp_step pool "$SCEN/publish-pool.xml" "$POOL" 200 "${TAGP}pool"
	echo SEQUENTIAL >"$W/pool.csv"
	for k in $(seq 1 "$POOL"); do echo "sip:${TAGP}pool-$k@127.0.0.1;"; done >>"$W/pool.csv"
	log "$e: pool $(stat_field "$W/pool.stat.csv" 'SuccessfulCall(C)')/$POOL published"
	db_counters >"$W/counters-before.txt"
	dl0=$(log_count "$DEADLOCK_RE") gu0=$(log_count "$GIVEUP_RE")
	sl0=$(server_log_count 'deadlock detected|could not serialize')
	step subscribe "$RATE"
	dl1=$(log_count "$DEADLOCK_RE") gu1=$(log_count "$GIVEUP_RE")
	sl1=$(server_log_count 'deadlock detected|could not serialize')
	wait_idle
	db_counters >"$W/counters-after.txt"
	[ "$e" = mysql ] && root_sql "SHOW ENGINE INNODB STATUS" |
		sed 's/\\n/\n/g' >"$W/innodb-status.txt"
	row=$(tail -n 1 "$W/subscribe.tsv")
	reqs=$(echo "$row" | cut -f8)
	{
		echo "== $e: $INSTANCES instances x $CHILDREN workers, DB-only, SUBSCRIBE $RATE/s for ${SECS}s"
		echo "$row" | awk -F'\t' '{ printf "calls ok %s of %s (%s %%), failed %s; answered %s (%s req/s); log errors %s; machine: kamailio %s %%, sipp %s %%, db %s %%, other %s %%\n",
			$5, $4, $7, $6, $8, $10, $14, $15, $16, $19, $17 }'
		echo "deadlock/serialization refusals logged as warnings (retried): $((dl1 - dl0))"
		echo "statements or transactions that gave up (errors): $((gu1 - gu0))"
		[ "$e" = postgres ] && echo "server log: deadlock / serialization errors: $((sl1 - sl0))"
		echo "DB per SUBSCRIBE request answered ($reqs; the NOTIFYs included):"
		join <(sort "$W/counters-before.txt") <(sort "$W/counters-after.txt") |
			awk -v q="$reqs" '{ d = $3 - $2; printf "  %-22s %8d  %6.2f / request\n", $1, d, q ? d / q : 0 }'
		if [ "$e" = mysql ]; then
			echo "latest deadlock (SHOW ENGINE INNODB STATUS):"
			awk '/^LATEST DETECTED DEADLOCK/ { p = 1 } /^TRANSACTIONS$/ { p = 0 } p' \
				"$W/innodb-status.txt" | grep -E 'TRANSACTION|^(UPDATE|INSERT|DELETE|SELECT)|WAITING|HOLDS|index|WE ROLL' |
				cut -c1-200 | sed 's/^/  /'
		fi
	} | tee -a "$OUT/results.txt"
	stop_kamailio
	db_server_stop
}

rm -rf "$OUT"
mkdir -p "$OUT/modules"
for m in presence presence_xml; do
	cp "$REPO/modules/$m/$m.so" "$OUT/modules/$m.so" || exit 2
done
LP_DB_DIR=$OUT/db
. "$REPO/test/db/servers.sh"
{
	echo "date: $(date -u +%FT%TZ); host: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "ours: $(git -C "$REPO" rev-parse --short HEAD) ($(git -C "$REPO" status --porcelain | grep -c .) uncommitted paths)"
} | tee "$OUT/results.txt"
for e in $SDB_ENGINES; do
	run_engine "$e"
done
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/results.txt"
