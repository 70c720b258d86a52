#!/usr/bin/env bash
# The suite against Kamailio 6.0 (make check-kamailio6): fetch the Kamailio
# 6.0 source package of Debian 13 (trixie) into build/kamailio6/, keep only
# headers and docs of Kamailio's presence-family modules there (clean room,
# as scripts/setup.sh does for 5.6.3), build its core and the modules our
# tests load, build our modules against that tree in a clean clone of HEAD
# (so the 5.6.3 build in the work tree is left alone), and run the SIP suite
# on SQLite with that kamailio binary and module path. Cases that load
# Debian's binary event modules (built for 5.6.3, file `debian-modules` in
# the case) are skipped. Not part of make check: about ten minutes.
#
# The source is found through the archive apt is already configured with:
# the first URI of its Debian sources, suite trixie, in a private list
# directory (the system's apt configuration is not changed).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
dir=$top/build/kamailio6
VERSION=${KAMAILIO6_VERSION:-6.0.1}
SUITE=${KAMAILIO6_SUITE:-trixie}
src=$dir/kamailio-$VERSION
clone=$dir/presence
# the modules the SIP suite's configs load besides ours
KMODS="kex tm tmx sl pv maxfwd textops siputils xlog ctl app_jsdt xhttp xhttp_prom"

archive_uri() {
	local u
	u=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
	[ -n "$u" ] || u=$(awk '/^deb / && $0 !~ /security/ { print $2; exit }' \
		/etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true)
	[ -n "$u" ] || { echo "check-kamailio6.sh: no Debian archive configured for apt" >&2; exit 1; }
	echo "$u"
}

fetch() {
	local apto
	[ -d "$src" ] && return 0
	mkdir -p "$dir/apt/lists/partial"
	echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $(archive_uri) $SUITE main" \
		>"$dir/apt/sources.list"
	apto=(-o "Dir::Etc::SourceList=$dir/apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
		-o "Dir::State::Lists=$dir/apt/lists")
	apt-get "${apto[@]}" update -q >/dev/null
	# the archive has no .asc for the upstream tarball: ignore that failure,
	# then check that what we need arrived
	(cd "$dir" && apt-get "${apto[@]}" source -q --download-only "kamailio=$VERSION-*" >/dev/null 2>&1 || true)
	ls "$dir"/kamailio_"$VERSION"*.dsc >/dev/null
	(cd "$dir" && dpkg-source -q --no-check -x kamailio_"$VERSION"*.dsc "kamailio-$VERSION" >/dev/null)
	. "$top/scripts/clean-room.sh"
	close_clean_room "$src"
}

build_kamailio() {
	local m
	export DEB_BUILD_MAINT_OPTIONS=hardening=+all
	if [ ! -x "$src/src/kamailio" ]; then
		make -C "$src" cfg prefix=/usr cfg_target=/etc/kamailio/ FLAVOUR=kamailio \
			LIBDIR=lib/x86_64-linux-gnu \
			CC_EXTRA_OPTS="$(dpkg-buildflags --get CPPFLAGS) $(dpkg-buildflags --get CFLAGS) -DVERSION_NODATE" \
			LD_EXTRA_OPTS="$(dpkg-buildflags --get LDFLAGS)" >"$dir/cfg.log" 2>&1
		make -C "$src/src" -j"$(nproc)" kamailio >"$dir/core.log" 2>&1
	fi
	for m in $KMODS; do
		[ -f "$src/src/modules/$m/$m.so" ] ||
			make -C "$src/src/modules/$m" >"$dir/mod-$m.log" 2>&1
	done
}

build_ours() {
	rm -rf "$clone"
	git clone -q "$top" "$clone"
	make -C "$clone" modules KAMAILIO_SRC="$src" >"$dir/ours.log" 2>&1 ||
		{ grep -E 'error' "$dir/ours.log" | head -20; exit 1; }
}

bash "$top/scripts/setup.sh"
fetch
build_kamailio
build_ours
echo "check-kamailio6.sh: $("$src/src/kamailio" -v | head -n1)"
KAMAILIO=$src/src/kamailio KAMAILIO_MPATH=$src/src/modules SKIP_DEBIAN_MODULES=1 \
	bash "$clone/test/sip/run.sh"
