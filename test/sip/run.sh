#!/bin/bash
# Runs the end-to-end SIP cases (cases/<NN-name>/test.sh) in order, each in a
# fresh work directory out/<case>/ with its output in out/<case>/test.log,
# and prints one PASS/FAIL line per case with the failed assertions.
# Usage: bash test/sip/run.sh [NAME-FILTER]    (IMPL=reference: Debian's modules)
set -u
cd "$(dirname "$0")" || exit 2
filter=${1:-}
# ENGINE=postgres|mysql: run every case against a private server, started
# here (test/db/servers.sh) and stopped by PID on the way out.
ENGINE=${ENGINE:-sqlite}
export ENGINE
case "$ENGINE" in
sqlite) ;;
postgres|mysql)
	. ../db/servers.sh
	if [ "$ENGINE" = postgres ]; then
		trap 'pg_stop' EXIT
		pg_start || { echo "run.sh: PostgreSQL did not start" >&2; exit 1; }
		export PG_URL
	else
		trap 'my_stop' EXIT
		my_start || { echo "run.sh: MariaDB did not start" >&2; exit 1; }
		export MY_URL
	fi
	trap 'exit 130' INT TERM
	;;
*) echo "ENGINE must be sqlite, postgres or mysql" >&2; exit 2 ;;
esac
pass=0
skipped=0
failed=()
t_all=$(date +%s)
for dir in cases/*/; do
	name=$(basename "$dir")
	[ -f "$dir/test.sh" ] || continue
	case "$name" in *"$filter"*) ;; *) continue ;; esac
	# a case whose subject does not depend on the presence database (the
	# binary API seen by Kamailio's own event modules) names the engines it
	# runs on in a file `engines`; the others skip it to keep the suite short
	# SKIP_DEBIAN_MODULES=1 (another Kamailio than Debian's 5.6.3): cases
	# that load Debian's binary event modules (file `debian-modules`) skip
	if [ -n "${SKIP_DEBIAN_MODULES:-}" ] && [ -f "$dir/debian-modules" ]; then
		echo "SKIP $name (loads Debian's 5.6.3 event modules)"
		skipped=$((skipped + 1))
		continue
	fi
	if [ -f "$dir/engines" ] && ! grep -qw "$ENGINE" "$dir/engines"; then
		echo "SKIP $name (runs on: $(tr '\n' ' ' <"$dir/engines"))"
		skipped=$((skipped + 1))
		continue
	fi
	work=out/$name
	rm -rf "$work"
	mkdir -p "$work"
	t0=$(date +%s)
	SIP_SUITE=1 timeout -k 10 "${CASE_TIMEOUT:-120}" bash "$dir/test.sh" \
		>"$work/test.log" 2>&1 </dev/null
	rc=$?
	dt=$(($(date +%s) - t0))
	skips=$(grep -c '^  SKIP' "$work/test.log")
	extra=
	[ "$skips" -gt 0 ] && extra=", $skips ours-only skipped"
	if [ "$rc" -eq 0 ]; then
		echo "PASS $name (${dt}s$extra)"
		pass=$((pass + 1))
	else
		failed+=("$name")
		echo "FAIL $name (${dt}s$extra, rc $rc, log test/sip/$work/test.log)"
		[ "$rc" -eq 124 ] && echo "     - timed out after ${CASE_TIMEOUT:-120}s"
		if grep -q '^FAIL:' "$work/test.log"; then
			grep '^FAIL:' "$work/test.log" | cut -c1-400 | sed 's/^FAIL:/     -/'
		else
			tail -n 5 "$work/test.log" | sed 's/^/     | /'
		fi
	fi
done
total=$((pass + ${#failed[@]}))
skipnote=
[ "$skipped" -gt 0 ] && skipnote=" ($skipped skipped)"
echo "${IMPL:-ours} on $ENGINE: $pass/$total cases passed in $(($(date +%s) - t_all))s$skipnote${failed[*]:+; failed: ${failed[*]}}"
[ "$total" -gt 0 ] && [ ${#failed[@]} -eq 0 ]
