#!/usr/bin/env bash
# One-time (and idempotent) set-up of a Debian 12 machine for building, running
# and testing the presence module suite: Debian packages, the deb-src entry, the
# Kamailio 5.6.3 source tree (a build dependency, fetched into build/ and never
# committed) configured with `make cfg` exactly as Debian built its binary.
# KAMAILIO_SRC=/path uses an existing, already configured tree instead.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build="$top/build"
stamp="$build/.setup-done"

PKGS="build-essential pkg-config bison flex dpkg-dev
 kamailio kamailio-presence-modules kamailio-sqlite-modules
 libxml2-dev libcurl4-openssl-dev libsqlite3-dev sqlite3 check sip-tester
 libpq-dev default-libmysqlclient-dev clang libclang-rt-14-dev
 postgresql mariadb-server curl kamailio-postgres-modules kamailio-mysql-modules
 debhelper git"

need_pkgs() {
	local p missing=""
	for p in $PKGS; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
			missing="$missing $p"
	done
	echo "$missing"
}

add_deb_src() {
	local f=/etc/apt/sources.list.d/debian.sources
	if [ -f "$f" ] && ! grep -q '^Types:.*deb-src' "$f"; then
		sed -i 's/^Types: deb$/Types: deb deb-src/' "$f"
		return 0
	fi
	# one-line format: mirror the configured `deb ... bookworm main` lines
	# as deb-src (the archive host comes from apt's own configuration)
	if [ ! -f "$f" ] && ! grep -rqs '^deb-src .*bookworm .*main' /etc/apt/sources.list /etc/apt/sources.list.d/; then
		grep -hs '^deb .* bookworm .*main' /etc/apt/sources.list /etc/apt/sources.list.d/*.list |
			sed 's/^deb /deb-src /' >/etc/apt/sources.list.d/presence-src.list
		[ -s /etc/apt/sources.list.d/presence-src.list ] && return 0
		rm -f /etc/apt/sources.list.d/presence-src.list
		echo "setup.sh: no 'deb ... bookworm main' source configured for apt" >&2
	fi
	return 1
}

install_pkgs() {
	local missing updated=0
	if add_deb_src; then apt-get update -q; updated=1; fi
	missing=$(need_pkgs)
	[ -z "$missing" ] && return 0
	[ $updated = 1 ] || apt-get update -q
	# Debian starts kamailio as a service on install; we only want the binary.
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
	if systemctl is-active -q kamailio 2>/dev/null; then systemctl stop kamailio || true; fi
}

default_src="$build/kamailio-5.6.3"
src="${KAMAILIO_SRC:-$default_src}"

. "$top/scripts/clean-room.sh"

fetch_kamailio() {
	[ -f "$src/src/config.mak" ] && return 0
	if [ "$src" != "$default_src" ]; then
		echo "setup.sh: KAMAILIO_SRC=$src is not a configured Kamailio tree (no src/config.mak)" >&2
		exit 1
	fi
	mkdir -p "$build"
	if [ ! -d "$src" ]; then
		(cd "$build" && apt-get source -q --download-only kamailio=5.6.3-2 &&
			dpkg-source -q --no-check -x kamailio_5.6.3-2.dsc kamailio-5.6.3 >/dev/null)
		close_clean_room "$src"
	fi
	export DEB_BUILD_MAINT_OPTIONS=hardening=+all
	make -C "$src" cfg prefix=/usr cfg_target=/etc/kamailio/ FLAVOUR=kamailio \
		LIBDIR=lib/x86_64-linux-gnu \
		CC_EXTRA_OPTS="$(dpkg-buildflags --get CPPFLAGS) $(dpkg-buildflags --get CFLAGS) -DVERSION_NODATE" \
		LD_EXTRA_OPTS="$(dpkg-buildflags --get LDFLAGS)" >"$build/kamailio-cfg.log" 2>&1
}

if [ -f "$stamp" ] && [ -z "$(need_pkgs)" ] && [ -f "$src/src/config.mak" ]; then
	exit 0
fi
[ "$(id -u)" = 0 ] || { echo "setup.sh: run as root (installs Debian packages)" >&2; exit 1; }
install_pkgs
fetch_kamailio
mkdir -p "$build"
touch "$stamp"
echo "setup: done"
