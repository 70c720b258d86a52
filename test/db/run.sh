#!/bin/bash
# Runs the db_servers, pres_shareddb and pres_persist Check suites
# (test/unit/check_db_servers.c, check_pres_shareddb.c,
# check_pres_persist.c) against a
# private PostgreSQL and a private MariaDB started here by servers.sh, and
# stops both by PID on the way out, whatever happens. The exit code is the
# suite's (non-zero too when a server cannot be started).
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/servers.sh"

trap 'pg_stop; my_stop' EXIT
trap 'exit 130' INT TERM

pg_start || { echo "run.sh: PostgreSQL did not start" >&2; exit 1; }
my_start || { echo "run.sh: MariaDB did not start" >&2; exit 1; }
make -s -C "$top/test/unit" check_runner || exit 1
cd "$top/test/unit" || exit 1
export LP_TEST_PG_URL=$PG_URL LP_TEST_MY_URL=$MY_URL CK_DEFAULT_TIMEOUT=60 \
	ASAN_OPTIONS=detect_leaks=1
# the drivers, the DB-only store of presence, then what presence keeps
# across a restart, on both servers
./check_runner db_servers && ./check_runner pres_shareddb &&
	./check_runner pres_persist
