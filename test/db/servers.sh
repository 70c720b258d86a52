# Private PostgreSQL and MariaDB servers for the tests, in directories under
# build/testdb/ (git-ignored) that this file owns. Source it, then:
#   pg_start / pg_stop   PostgreSQL on 127.0.0.1, exports PG_URL and PG_PID
#   my_start / my_stop   MariaDB on 127.0.0.1, exports MY_URL and MY_PID
# Each start installs the Debian packages it needs when missing, initialises
# a fresh data directory, starts the server on a free port with a private
# socket directory (never the system's server, port or socket), waits until
# it accepts connections (bounded polling), creates the database
# kamailio_test and the user kamailio (password kamailiorw), loads
# scripts/<engine>/presence-create.sql as that user and exports the
# Kamailio-style db_url. Each stop ends the server it started, by PID.
# Durability is off (fsync, doublewrite): these servers hold test data only.
# Functions return non-zero on failure, after printing the server's log.

LP_DB_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LP_DB_DIR=${LP_DB_DIR:-$LP_DB_TOP/build/testdb}
LP_DB_NAME=kamailio_test
LP_DB_USER=kamailio
LP_DB_PASS=kamailiorw
LP_DB_WAIT=300 # tenths of a second a server gets to start or stop

lp_db_log() { echo "servers.sh: $*" >&2; }

# Install the packages that are missing; `apt-get update` once on failure.
lp_db_need() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	lp_db_log "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null ||
		{ apt-get update -q >/dev/null &&
			apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; }
}

# A TCP port nobody listens on, from a start that depends on our PID so that
# two runs at once are unlikely to race for the same one.
lp_db_free_port() {
	local p=$(( $1 + $$ % 1000 )) i
	for (( i = 0; i < 1000; i++, p++ )); do
		ss -Htln "sport = :$p" 2>/dev/null | grep -q . || { echo "$p"; return 0; }
	done
	return 1
}

# Run a command as user $1 when we are root (servers refuse to run as root).
lp_db_as() {
	local u=$1; shift
	if [ "$(id -u)" = 0 ]; then runuser -u "$u" -- "$@"; else "$@"; fi
}

# Poll `cmd...` every 0.1 s while process $1 lives, at most LP_DB_WAIT times.
lp_db_poll() {
	local pid=$1 i; shift
	for (( i = 0; i < LP_DB_WAIT; i++ )); do
		"$@" >/dev/null 2>&1 && return 0
		[ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null && return 1
		sleep 0.1
	done
	return 1
}

# Send signal $2 to PID $1 and wait (bounded) until it has gone; KILL after.
# Only when PID $1 is still the program $3 (a stale pid file may name a PID
# that another process has since been given).
lp_db_kill() {
	local pid=$1 sig=$2 i
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
	[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$3" ] || return 0
	kill -"$sig" "$pid"
	for (( i = 0; i < LP_DB_WAIT; i++ )); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	lp_db_log "PID $pid ignored SIG$sig, killing it"
	kill -KILL "$pid" 2>/dev/null
	return 0
}

# ---- PostgreSQL ----

# pg_launch BIN DIR PORT: start the server on an initialised data directory
# and wait until it accepts connections.
pg_launch() {
	local bin=$1 d=$2 port=$3
	lp_db_as postgres "$bin/postgres" -D "$d/data" -p "$port" -k "$d/sock" \
		-c listen_addresses=127.0.0.1 -c shared_buffers=16MB \
		-c fsync=off -c synchronous_commit=off -c full_page_writes=off \
		-c max_connections=100 >>"$d/server.log" 2>&1 &
	# postmaster.pid appears once the server has started (first line: PID)
	if ! lp_db_poll "$!" "$bin/pg_isready" -q -h 127.0.0.1 -p "$port"; then
		lp_db_log "PostgreSQL did not start on port $port"
		cat "$d/server.log" >&2
		PG_PID=$(head -n 1 "$d/data/postmaster.pid" 2>/dev/null); pg_stop
		return 1
	fi
	export PG_PID=$(head -n 1 "$d/data/postmaster.pid")
	echo "$PG_PID" >"$d/pid"
}

# pg_down / pg_up: stop the running server (fast shutdown, data kept) and
# start it again on the same port: for fault tests.
pg_down() {
	local f=$LP_DB_DIR/pg/pid
	[ -f "$f" ] && lp_db_kill "$(cat "$f")" INT postgres
}
pg_up() {
	local d=$LP_DB_DIR/pg bin
	bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
	pg_launch "$bin" "$d" "$(cat "$d/port")"
}

pg_start() {
	local d=$LP_DB_DIR/pg bin port
	lp_db_need postgresql libpq-dev || return 1
	bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
	[ -x "$bin/postgres" ] || { lp_db_log "no PostgreSQL server binaries"; return 1; }
	pg_stop
	rm -rf "$d" && mkdir -p "$d/data" "$d/sock" || return 1
	[ "$(id -u)" = 0 ] && chown -R postgres:postgres "$d"
	lp_db_as postgres "$bin/initdb" -D "$d/data" -U postgres -E UTF8 \
		--no-locale --no-sync --auth-local=trust --auth-host=scram-sha-256 \
		>"$d/initdb.log" 2>&1 || { cat "$d/initdb.log" >&2; return 1; }
	port=$(lp_db_free_port 25000) || return 1
	echo "$port" >"$d/port"
	pg_launch "$bin" "$d" "$port" || return 1
	export PG_PID=$(head -n 1 "$d/data/postmaster.pid")
	echo "$PG_PID" >"$d/pid"
	"$bin/psql" -X -q -h "$d/sock" -p "$port" -U postgres -d postgres \
		-v ON_ERROR_STOP=1 \
		-c "CREATE ROLE $LP_DB_USER LOGIN PASSWORD '$LP_DB_PASS'" \
		-c "CREATE DATABASE $LP_DB_NAME OWNER $LP_DB_USER" &&
	PGPASSWORD=$LP_DB_PASS "$bin/psql" -X -q -h 127.0.0.1 -p "$port" \
		-U "$LP_DB_USER" -d "$LP_DB_NAME" -v ON_ERROR_STOP=1 \
		-f "$LP_DB_TOP/scripts/postgres/presence-create.sql" >/dev/null ||
		{ pg_stop; return 1; }
	export PG_URL="postgres://$LP_DB_USER:$LP_DB_PASS@127.0.0.1:$port/$LP_DB_NAME"
	lp_db_log "PostgreSQL PID $PG_PID at $PG_URL"
}

# Fast shutdown (SIGINT): sessions are ended, nothing waits for clients.
pg_stop() {
	local f=$LP_DB_DIR/pg/pid
	[ -f "$f" ] && PG_PID=$(cat "$f") # the file wins: pg_up may have restarted it
	lp_db_kill "${PG_PID:-}" INT postgres
	rm -f "$f"
	unset PG_PID PG_URL
}

# ---- MariaDB ----

# my_launch DIR PORT: start mariadbd on an installed data directory and wait
# until it answers.
my_launch() {
	local d=$1 port=$2 u=() pid
	[ "$(id -u)" = 0 ] && u=(--user=mysql)
	mariadbd --no-defaults "${u[@]}" --datadir="$d/data" \
		--socket="$d/sock" --port="$port" --bind-address=127.0.0.1 \
		--pid-file="$d/mariadbd.pid" --log-error="$d/server.log" \
		--skip-name-resolve --innodb-buffer-pool-size=16M \
		--innodb-log-file-size=16M --innodb-flush-log-at-trx-commit=0 \
		--innodb-doublewrite=0 --performance-schema=0 >/dev/null 2>&1 &
	pid=$!
	# as the OS root over the private socket (unix_socket authentication)
	if ! lp_db_poll "$pid" mariadb-admin --no-defaults --socket="$d/sock" \
			-uroot ping; then
		lp_db_log "MariaDB did not start on port $port"
		cat "$d/server.log" >&2
		MY_PID=$pid; my_stop
		return 1
	fi
	export MY_PID=$pid
	echo "$MY_PID" >"$d/pid"
}

# my_down / my_up: as pg_down / pg_up.
my_down() {
	local f=$LP_DB_DIR/my/pid
	[ -f "$f" ] && lp_db_kill "$(cat "$f")" TERM mariadbd
}
my_up() {
	local d=$LP_DB_DIR/my
	my_launch "$d" "$(cat "$d/port")"
}

my_start() {
	local d=$LP_DB_DIR/my port u=() pid
	lp_db_need mariadb-server default-libmysqlclient-dev || return 1
	my_stop
	rm -rf "$d" && mkdir -p "$d/data" || return 1
	[ "$(id -u)" = 0 ] && { chown -R mysql:mysql "$d"; u=(--user=mysql); }
	mariadb-install-db --no-defaults "${u[@]}" --datadir="$d/data" \
		--auth-root-authentication-method=socket --skip-test-db \
		--skip-name-resolve >"$d/install.log" 2>&1 ||
		{ cat "$d/install.log" >&2; return 1; }
	port=$(lp_db_free_port 26000) || return 1
	echo "$port" >"$d/port"
	my_launch "$d" "$port" || return 1
	mariadb --no-defaults --socket="$d/sock" -uroot -e "
		CREATE DATABASE $LP_DB_NAME CHARACTER SET utf8mb4;
		CREATE USER '$LP_DB_USER'@'%' IDENTIFIED BY '$LP_DB_PASS';
		GRANT ALL ON $LP_DB_NAME.* TO '$LP_DB_USER'@'%';" &&
	mariadb --no-defaults -h 127.0.0.1 -P "$port" -u"$LP_DB_USER" \
		-p"$LP_DB_PASS" "$LP_DB_NAME" \
		<"$LP_DB_TOP/scripts/mysql/presence-create.sql" ||
		{ my_stop; return 1; }
	export MY_URL="mysql://$LP_DB_USER:$LP_DB_PASS@127.0.0.1:$port/$LP_DB_NAME"
	lp_db_log "MariaDB PID $MY_PID at $MY_URL"
}

my_stop() {
	local f=$LP_DB_DIR/my/pid
	[ -f "$f" ] && MY_PID=$(cat "$f") # the file wins: my_up may have restarted it
	lp_db_kill "${MY_PID:-}" TERM mariadbd
	rm -f "$f"
	unset MY_PID MY_URL
}
