#!/usr/bin/env bash
# `make deb`: builds the Debian package kamailio-presence with
# dpkg-buildpackage -b -us -uc from a clean copy of the committed HEAD
# (git archive; uncommitted changes are not packaged, a warning says so),
# or from the tree as it is when it is not a git checkout or when
# DEB_SOURCE=worktree. The Kamailio source tree that scripts/setup.sh
# configured (KAMAILIO_SRC) is the build dependency the modules compile
# against. The .deb, .buildinfo and .changes land in build/deb/ (OUTDIR=
# to change), and the last line printed is the path of the .deb.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
export KAMAILIO_SRC=${KAMAILIO_SRC:-$top/build/kamailio-5.6.3}
outdir=${OUTDIR:-$top/build/deb}
source_kind=${DEB_SOURCE:-head}
jobs=${JOBS:-$(nproc 2>/dev/null || echo 1)}

die() { echo "build-deb.sh: $*" >&2; exit 1; }

[ -f "$KAMAILIO_SRC/src/config.mak" ] ||
	die "$KAMAILIO_SRC is not a configured Kamailio tree (run make setup as root)"
command -v dpkg-buildpackage >/dev/null || die "dpkg-buildpackage missing (apt-get install dpkg-dev)"
command -v dh >/dev/null || die "dh missing (apt-get install debhelper)"

pkg=$(cd "$top" && dpkg-parsechangelog -S Source)
version=$(cd "$top" && dpkg-parsechangelog -S Version)
arch=$(dpkg --print-architecture)
deb="$pkg"_"$version"_"$arch".deb

mkdir -p "$outdir"
stage=$(mktemp -d "$outdir/stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
src="$stage/$pkg-$version"
mkdir -p "$src"

if [ "$source_kind" = head ] && git -C "$top" rev-parse --verify -q HEAD >/dev/null 2>&1; then
	if [ -n "$(git -C "$top" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
		echo "build-deb.sh: the tree has uncommitted changes; packaging HEAD $(git -C "$top" rev-parse --short HEAD) without them" >&2
	fi
	git -C "$top" archive --format=tar HEAD | tar -x -C "$src"
	echo "build-deb.sh: source: git HEAD $(git -C "$top" rev-parse --short HEAD)"
else
	tar -C "$top" --exclude=./.git --exclude=./build -cf - . | tar -x -C "$src"
	echo "build-deb.sh: source: the tree $top as it is"
fi

log="$outdir/build.log"
echo "build-deb.sh: dpkg-buildpackage -b -us -uc -J$jobs in $src (log $log)"
if ! (cd "$src" && dpkg-buildpackage -b -us -uc -J"$jobs") >"$log" 2>&1; then
	tail -n 30 "$log" >&2
	die "dpkg-buildpackage failed (whole log: $log)"
fi

for f in "$stage"/"$pkg"_"$version"_"$arch".{deb,buildinfo,changes}; do
	[ -f "$f" ] && mv -f "$f" "$outdir/"
done
[ -f "$outdir/$deb" ] || die "no $deb produced (log: $log)"
dpkg-deb -f "$outdir/$deb" Package Version Depends | sed 's/^/  /'
echo "$outdir/$deb"
