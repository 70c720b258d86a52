#!/usr/bin/env bash
# Package test (`make pkgtest`, run by `make check` after every other check):
#   1. clones the committed HEAD into a temp dir (a dirty tree is never
#      packaged) and checks `make install DESTDIR=... PREFIX=/usr` and
#      `make uninstall` there (same files as the package; nothing left);
#   2. builds the Debian package with the clone's `make deb`;
#   3. installs it with `apt-get install -y ./kamailio-presence_*.deb`;
#   4. starts Debian's Kamailio from the installed files only: the installed
#      sample config as it is (its MPATH default names the installed module
#      dir), an SQLite DB made by the installed create-sqlite-db.sh from the
#      installed schema, a free UDP port on 127.0.0.1; waits on the port and
#      the ctl socket; checks that the .so files mapped are ours;
#   5. SIPp: PUBLISH a PIDF document, SUBSCRIBE, and checks that the NOTIFY
#      body carries the published state;
#   6. stops Kamailio by PID, purges the package and checks that nothing of
#      what `dpkg -L` listed is left, and that Debian's kamailio packages are
#      still installed as before.
# Needs root (apt), a machine where scripts/setup.sh has run, and no
# kamailio-presence package installed beforehand (the test would otherwise
# replace and purge the operator's one: it refuses instead).
# KEEP=1 keeps the temp dir.
set -u

REPO=$(cd "$(dirname "$0")/../.." && pwd)
PKG_DIR=$REPO/test/pkg
PKG=kamailio-presence
KAMAILIO_SRC=${KAMAILIO_SRC:-$REPO/build/kamailio-5.6.3}
WAIT_MAX=${WAIT_MAX:-10}
FAILED=0
KAM_PID=
INSTALLED_BY_US=0
T0=$(date +%s)

ok() { echo "  ok: $*"; }
fail() { echo "FAIL: $*"; FAILED=$((FAILED + 1)); }
note() { echo "  .. $*"; }
die() { fail "$*"; exit 1; }

. "$(dirname "${BASH_SOURCE[0]}")/../procs.sh"
pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }
pkg_known() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -qv 'not-installed'; }

stop_kamailio() {
	local pid=$KAM_PID
	[ -n "$pid" ] || return 0
	KAM_PID=
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid"
		wait_until "$WAIT_MAX" proc_gone "$pid" || {
			echo "kamailio $pid ignored TERM, killing" >&2
			kill -KILL "$pid" 2>/dev/null
		}
	fi
	wait "$pid" 2>/dev/null
	wait_until "$WAIT_MAX" udp_free "$PORT" ||
		echo "port $PORT still bound after stopping kamailio $pid" >&2
}

purge_pkg() {
	DEBIAN_FRONTEND=noninteractive apt-get purge -y -q "$PKG" >"$WORK/purge.log" 2>&1
}

cleanup() {
	stop_kamailio
	if [ "$INSTALLED_BY_US" = 1 ] && pkg_known "$PKG"; then
		echo "  .. cleanup: purging $PKG"
		purge_pkg || echo "cleanup: apt-get purge $PKG failed (see $WORK/purge.log)" >&2
	fi
	if [ "${KEEP:-0}" = 1 ] || [ "$FAILED" -gt 0 ]; then
		echo "  .. work dir kept: $WORK"
	else
		rm -rf "$WORK"
	fi
}

# trace_msg TRACE sent|received REGEX N: the N-th message (1-based, -1 last)
# of that direction in a sipp -trace_msg file whose first line matches REGEX.
trace_msg() {
	awk -v dir="$2" -v re="$3" -v n="$4" '
	function flush() {
		if (cur != "" && first ~ re) { cnt++; msgs[cnt] = cur }
		cur = ""; first = ""; inmsg = 0
	}
	/^-{20,} / { flush(); next }
	/^(UDP|TCP) message (sent|received)/ {
		flush()
		if (index($0, dir) > 0) { inmsg = 1; skip = 1 }
		next
	}
	inmsg {
		sub(/\r$/, "")
		if (skip && $0 == "") next
		if (skip) { first = $0; skip = 0 }
		cur = cur $0 "\n"
	}
	END {
		flush()
		if (n < 0) n = cnt + 1 + n
		if (n >= 1 && n <= cnt) printf "%s", msgs[n]
	}' "$1"
}
# sipp_reason NAME: why the sipp run NAME failed (its error file, else its output).
sipp_reason() {
	{ grep -hv '^[[:space:]]*$' "$WORK/$1.err" "$WORK/$1.out" 2>/dev/null || true; } |
		grep -m1 -iE 'unexpected|timeout|timed out|aborting|error|referenced|failed' | cut -c1-200
}
msg_hdr() { printf '%s\n' "$1" | sed -n "/^\$/q; s/^$2:[ \t]*//Ip" | head -n1; }
msg_body() { printf '%s\n' "$1" | awk 'f { print } $0 == "" { f = 1 }'; }

# sipp_run NAME SCENARIO [args]: one call from its own free port; the trace
# goes to $WORK/NAME.msg. Returns sipp's exit code.
sipp_run() {
	local name=$1 scen=$2 lport
	shift 2
	lport=$(free_udp_port) || return 1
	sipp -sf "$scen" "127.0.0.1:$PORT" -i 127.0.0.1 -p "$lport" \
		-m 1 -l 1 -nr -nostdin -timeout 20s -timeout_error -recv_timeout 5000 \
		-trace_msg -message_file "$WORK/$name.msg" \
		-trace_err -error_file "$WORK/$name.err" "$@" \
		>"$WORK/$name.out" 2>&1 </dev/null
}

# ------------------------------------------------------------ preconditions
[ "$(id -u)" = 0 ] || { echo "test/pkg: run as root (installs a package with apt)" >&2; exit 1; }
for c in git sipp kamcmd sqlite3 apt-get dpkg-buildpackage ss; do
	command -v "$c" >/dev/null || { echo "test/pkg: $c missing (run scripts/setup.sh)" >&2; exit 1; }
done
if pkg_known "$PKG"; then
	echo "test/pkg: $PKG is already installed here; this test installs and purges" \
		"it, so it stops instead (dpkg --purge $PKG first)" >&2
	exit 1
fi
KAM_VERSION=$(dpkg-query -W -f='${Version}' kamailio 2>/dev/null)
[ -n "$KAM_VERSION" ] || { echo "test/pkg: Debian's kamailio is not installed (run scripts/setup.sh)" >&2; exit 1; }
DEBIAN_PKGS_BEFORE=$(dpkg-query -W -f='${Package} ${Version} ${Status}\n' 'kamailio*' 2>/dev/null | grep 'ok installed' | sort)
MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
MODDIR=/usr/lib/$MA/kamailio-presence/modules
CFG=/usr/share/doc/$PKG/examples/kamailio-presence.cfg

WORK=$(mktemp -d /tmp/kamailio-presence-pkgtest.XXXXXX)
PORTS_FILE=$WORK/ports
trap cleanup EXIT
trap 'fail "interrupted"; exit 1' INT TERM
echo "test/pkg: work dir $WORK"

# ------------------------------------------------------------ 1. clone, make install / uninstall
git clone -q "$REPO" "$WORK/src" || die "git clone of $REPO"
HEAD=$(git -C "$WORK/src" rev-parse --short HEAD)
note "clone of committed HEAD $HEAD"
export KAMAILIO_SRC
if make --no-print-directory -j"$(nproc)" -C "$WORK/src" install DESTDIR="$WORK/destdir" PREFIX=/usr >"$WORK/install.log" 2>&1; then
	ok "make install DESTDIR=... PREFIX=/usr"
else
	tail -n 20 "$WORK/install.log"
	die "make install failed (log $WORK/install.log)"
fi
(cd "$WORK/destdir" && find . -type f | sed 's/^\.//' | sort) >"$WORK/install.files"
if grep -qx "$MODDIR/presence.so" "$WORK/install.files" &&
	grep -qx "/usr/share/$PKG/sqlite/presence-create.sql" "$WORK/install.files" &&
	grep -qx "$CFG" "$WORK/install.files"; then
	ok "make install put $(wc -l <"$WORK/install.files") files (modules in $MODDIR)"
else
	fail "make install: expected files missing: $(tr '\n' ' ' <"$WORK/install.files")"
fi
make --no-print-directory -C "$WORK/src" uninstall DESTDIR="$WORK/destdir" PREFIX=/usr >"$WORK/uninstall.log" 2>&1 ||
	fail "make uninstall failed (log $WORK/uninstall.log)"
left=$(cd "$WORK/destdir" && find . \( -type f -o -path '*kamailio-presence*' \) | sed 's/^\.//')
if [ -z "$left" ]; then
	ok "make uninstall left no file and no kamailio-presence dir"
else
	fail "make uninstall left: $(echo "$left" | tr '\n' ' ')"
fi

# ------------------------------------------------------------ 2. make deb
if make --no-print-directory -C "$WORK/src" deb >"$WORK/deb.log" 2>&1; then
	DEB=$(tail -n 1 "$WORK/deb.log")
else
	tail -n 30 "$WORK/deb.log"
	die "make deb failed (log $WORK/deb.log)"
fi
[ -f "$DEB" ] || die "make deb did not print the .deb path (last line: '$DEB')"
DEPENDS=$(dpkg-deb -f "$DEB" Depends)
ok "make deb: $(basename "$DEB") ($(stat -c %s "$DEB") bytes)"
note "Depends: $DEPENDS"
case "$DEPENDS" in
*"kamailio (= $KAM_VERSION)"*) ok "depends on exactly kamailio (= $KAM_VERSION)" ;;
*) fail "Depends lacks kamailio (= $KAM_VERSION)" ;;
esac
for lib in libxml2 libsqlite3 libpq5 libmariadb3; do
	case "$DEPENDS" in *"$lib"*) ;; *) fail "Depends lacks $lib" ;; esac
done
(dpkg-deb --fsys-tarfile "$DEB" | tar -t | sed 's/^\.//' | grep -v '/$' | sort) >"$WORK/deb.files"
extra=$(comm -3 "$WORK/install.files" <(grep -v "^/usr/share/doc/$PKG/\(copyright\|changelog.gz\)\$" "$WORK/deb.files"))
if [ -z "$extra" ]; then
	ok "the package holds the files make install puts (plus copyright and changelog)"
else
	fail "make install and the package differ: $(echo "$extra" | tr '\n' ' ')"
fi

# ------------------------------------------------------------ 3. apt install
INSTALLED_BY_US=1
if DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$DEB" >"$WORK/apt-install.log" 2>&1; then
	ok "apt-get install -y $(basename "$DEB")"
else
	tail -n 20 "$WORK/apt-install.log"
	die "apt-get install failed (log $WORK/apt-install.log)"
fi
pkg_installed "$PKG" || die "$PKG not installed after apt-get install"
dpkg -L "$PKG" | sort -u >"$WORK/dpkg-L"
while read -r p; do
	if [ -d "$p" ]; then echo "d $p"; else echo "f $p"; fi
done <"$WORK/dpkg-L" >"$WORK/dpkg-L.typed"
note "dpkg -L $PKG: $(grep -c '^f' "$WORK/dpkg-L.typed") files"

# ------------------------------------------------------------ 4. kamailio from the installed files
[ -f "$CFG" ] || die "no installed sample config $CFG"
mpath_line=$(grep '^#!define MPATH' "$CFG")
if [ "$mpath_line" = "#!define MPATH \"$MODDIR:/usr/lib/$MA/kamailio/modules\"" ]; then
	ok "installed config: $mpath_line"
else
	fail "installed config MPATH default: '$mpath_line'"
fi
DB=$WORK/presence.db
/usr/share/$PKG/create-sqlite-db.sh "$DB" >"$WORK/db.log" 2>&1 ||
	die "installed create-sqlite-db.sh failed: $(cat "$WORK/db.log")"
ok "SQLite DB from /usr/share/$PKG/sqlite/presence-create.sql: $(sqlite3 "$DB" "select group_concat(table_name||'='||table_version, ' ') from version")"
PORT=$(free_udp_port) || die "no free UDP port"
CTL=$WORK/ctl.sock
mkdir -p "$WORK/run"
# only the sockets, the DB and the ctl socket are set: the module path is the
# installed config's own default
/usr/sbin/kamailio -f "$CFG" -DD -E -Y "$WORK/run" -m 64 \
	-A "LISTEN=udp:127.0.0.1:$PORT" -A "DBURL=\"sqlite://$DB\"" \
	-A "CTLSOCK=\"unix:$CTL\"" -A "SERVER_ADDRESS=\"sip:127.0.0.1:$PORT\"" \
	-A CHILDREN=2 </dev/null >"$WORK/kamailio.log" 2>&1 &
KAM_PID=$!
kam_ready() {
	kill -0 "$KAM_PID" 2>/dev/null || return 0
	udp_bound "$PORT" && kamcmd -s "unix:$CTL" core.version
}
wait_until "$WAIT_MAX" kam_ready
if ! kill -0 "$KAM_PID" 2>/dev/null; then
	wait "$KAM_PID"
	rc=$?
	KAM_PID=
	tail -n 15 "$WORK/kamailio.log" | sed 's/^/    | /'
	die "kamailio exited during start-up (rc $rc)"
fi
udp_bound "$PORT" && kamcmd -s "unix:$CTL" core.version >/dev/null 2>&1 ||
	die "kamailio $KAM_PID not ready on udp:127.0.0.1:$PORT and $CTL within ${WAIT_MAX}s"
ok "kamailio $KAM_PID ($(kamcmd -s "unix:$CTL" core.version 2>/dev/null | head -n1)) ready on udp:127.0.0.1:$PORT"
maps=$(cat /proc/"$KAM_PID"/maps 2>/dev/null)
for m in presence presence_xml; do
	if grep -q "$MODDIR/$m.so" <<<"$maps"; then
		ok "$m.so mapped from $MODDIR"
	else
		fail "$m.so not mapped from $MODDIR"
	fi
done
if grep -q "/usr/lib/$MA/kamailio/modules/presence" <<<"$maps"; then
	fail "Debian's own presence modules are mapped too"
else
	ok "no module of Debian's kamailio-presence-modules mapped"
fi

# ------------------------------------------------------------ 5. PUBLISH / SUBSCRIBE / NOTIFY
PRES=sip:pkgtest@127.0.0.1
NOTE="pkgtest-$$-$RANDOM"
if sipp_run publish "$PKG_DIR/publish.xml" -key presentity "$PRES" -key note "$NOTE"; then
	ok "PUBLISH $PRES (note $NOTE) -> 200 with SIP-ETag"
else
	fail "PUBLISH: sipp exited $? ($(sipp_reason publish))"
fi
if sipp_run subscribe "$PKG_DIR/subscribe.xml" -key presentity "$PRES" -key watcher sip:watcher@127.0.0.1; then
	ok "SUBSCRIBE -> 2xx, NOTIFY answered, unsubscribed"
else
	fail "SUBSCRIBE: sipp exited $? ($(sipp_reason subscribe))"
fi
notify=$(trace_msg "$WORK/subscribe.msg" received '^NOTIFY' 1 2>/dev/null)
body=$(msg_body "$notify")
state=$(msg_hdr "$notify" Subscription-State)
ctype=$(msg_hdr "$notify" Content-Type)
case "$state" in active*) ok "NOTIFY Subscription-State: $state" ;;
*) fail "NOTIFY Subscription-State: '$state'" ;; esac
case "$ctype" in application/pidf+xml*) ok "NOTIFY Content-Type: $ctype" ;;
*) fail "NOTIFY Content-Type: '$ctype'" ;; esac
if grep -q "<basic>open</basic>" <<<"$body" && grep -q "<note>$NOTE</note>" <<<"$body"; then
	ok "NOTIFY body carries the published state (basic open, note $NOTE)"
else
	fail "NOTIFY body lacks the published state; body: $(printf '%s' "$body" | tr '\n' ' ' | head -c 400)"
fi
note "NOTIFY body: $(printf '%s' "$body" | tr -d '\n' | head -c 300)"
if kill -0 "$KAM_PID" 2>/dev/null; then ok "kamailio still running"; else fail "kamailio died"; fi
errors=$(grep -c ' ERROR: \| CRITICAL: ' "$WORK/kamailio.log")
[ "$errors" = 0 ] && ok "no ERROR/CRITICAL line in kamailio's log" ||
	fail "$errors ERROR/CRITICAL lines in $WORK/kamailio.log: $(grep -m2 ' ERROR: \| CRITICAL: ' "$WORK/kamailio.log" | tr '\n' ' ' | head -c 300)"
stop_kamailio
ok "kamailio stopped by PID"

# ------------------------------------------------------------ 6. purge
if purge_pkg; then ok "apt-get purge -y $PKG"; else fail "apt-get purge failed (log $WORK/purge.log)"; fi
INSTALLED_BY_US=0
pkg_known "$PKG" && fail "$PKG still known to dpkg: $(dpkg-query -W -f='${Status}' "$PKG")"
left=$(while read -r t p; do
	case "$t" in
	f) [ -e "$p" ] || [ -L "$p" ] && echo "$p" ;;
	d) case "$p" in *kamailio-presence*) [ -e "$p" ] && echo "$p" ;; esac ;;
	esac
done <"$WORK/dpkg-L.typed")
if [ -z "$left" ]; then
	ok "nothing of the $(wc -l <"$WORK/dpkg-L") paths dpkg -L listed is left (files and our dirs)"
else
	fail "left after purge: $(echo "$left" | tr '\n' ' ')"
fi
left=$(find /usr /etc /var/lib/dpkg/info -path '*kamailio-presence*' ! -path '*kamailio-presence-modules*' 2>/dev/null)
[ -z "$left" ] && ok "no *kamailio-presence* path left under /usr /etc /var/lib/dpkg/info" ||
	fail "left after purge: $(echo "$left" | tr '\n' ' ')"
DEBIAN_PKGS_AFTER=$(dpkg-query -W -f='${Package} ${Version} ${Status}\n' 'kamailio*' 2>/dev/null | grep 'ok installed' | sort)
if [ "$DEBIAN_PKGS_BEFORE" = "$DEBIAN_PKGS_AFTER" ]; then
	ok "Debian's kamailio packages as before ($(echo "$DEBIAN_PKGS_AFTER" | wc -l) installed, kamailio $KAM_VERSION)"
else
	fail "Debian's kamailio packages changed: $(diff <(echo "$DEBIAN_PKGS_BEFORE") <(echo "$DEBIAN_PKGS_AFTER") | tr '\n' ' ')"
fi

echo "test/pkg: $(($(date +%s) - T0)) s"
if [ "$FAILED" -gt 0 ]; then
	echo "RESULT: $FAILED assertion(s) failed"
	exit 1
fi
echo "RESULT: all assertions passed"
exit 0
