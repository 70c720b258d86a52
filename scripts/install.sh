#!/usr/bin/env bash
# `make install` / `make uninstall` (and debian/rules through
# `make install-files`): copies the built modules, the schemas, the sample
# configs and the docs under DESTDIR, or removes exactly those files again.
# The Makefile passes the directories (MODDIR, DATADIR, DOCDIR, EXAMPLESDIR),
# KAMAILIO_MODDIR and the lists (MODULES, ENGINES, CFGS, DOCS) in the
# environment. The installed sample configs get an MPATH default of
# "MODDIR:KAMAILIO_MODDIR", so that a copy works as it is: our presence
# modules come first, Kamailio's own tm, sl, ... from its module dir.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
action=${1:-}
: "${MODDIR:?}" "${DATADIR:?}" "${DOCDIR:?}" "${EXAMPLESDIR:?}"
: "${KAMAILIO_MODDIR:?}" "${MODULES:?}" "${ENGINES:?}" "${CFGS:?}" "${DOCS:?}"
DESTDIR=${DESTDIR:-}

# Every installed file as "SOURCE DEST MODE" (SOURCE relative to the tree).
manifest() {
	local m e c d
	for m in $MODULES; do
		echo "modules/$m/$m.so $MODDIR/$m.so 0644"
	done
	for e in $ENGINES; do
		echo "scripts/$e/presence-create.sql $DATADIR/$e/presence-create.sql 0644"
	done
	echo "scripts/create-sqlite-db.sh $DATADIR/create-sqlite-db.sh 0755"
	for c in $CFGS; do
		echo "scripts/$c $EXAMPLESDIR/$c 0644"
	done
	for d in $DOCS; do
		echo "doc/$d $DOCDIR/$d 0644"
	done
	echo "README $DOCDIR/README 0644"
}

# Our own directories, deepest first (uninstall removes them when empty;
# the parents, such as PREFIX/lib or PREFIX/share/doc, are not ours).
our_dirs() {
	local e
	echo "$MODDIR"
	dirname "$MODDIR"
	for e in $ENGINES; do echo "$DATADIR/$e"; done
	echo "$DATADIR"
	echo "$EXAMPLESDIR"
	echo "$DOCDIR"
}

do_install() {
	local src dst mode
	while read -r src dst mode; do
		[ -f "$top/$src" ] || {
			echo "install.sh: $src is missing (run make first)" >&2
			exit 1
		}
		install -d -m 0755 "$DESTDIR$(dirname "$dst")"
		case "$src" in
		scripts/kamailio-*.cfg)
			# the MPATH default of the sample config, and only that line
			sed "s|^#!define MPATH \".*\"\$|#!define MPATH \"$MODDIR:$KAMAILIO_MODDIR\"|" \
				"$top/$src" >"$DESTDIR$dst.tmp"
			grep -q "^#!define MPATH \"$MODDIR:" "$DESTDIR$dst.tmp" || {
				echo "install.sh: no MPATH default in $src" >&2
				rm -f "$DESTDIR$dst.tmp"
				exit 1
			}
			chmod "$mode" "$DESTDIR$dst.tmp"
			mv -f "$DESTDIR$dst.tmp" "$DESTDIR$dst"
			;;
		*) install -m "$mode" "$top/$src" "$DESTDIR$dst" ;;
		esac
		echo "  $DESTDIR$dst"
	done < <(manifest)
	cat <<EOT
Installed. In a Kamailio config (our dir first, then Kamailio's own):
  mpath="$MODDIR:$KAMAILIO_MODDIR"
Do not load Debian's kamailio-presence-modules in the same instance.
EOT
}

do_uninstall() {
	local src dst mode d
	while read -r src dst mode; do
		if [ -e "$DESTDIR$dst" ] || [ -L "$DESTDIR$dst" ]; then
			rm -f "$DESTDIR$dst"
			echo "  removed $DESTDIR$dst"
		fi
	done < <(manifest)
	while read -r d; do
		[ -d "$DESTDIR$d" ] && rmdir --ignore-fail-on-non-empty "$DESTDIR$d"
	done < <(our_dirs)
	return 0
}

case "$action" in
install) do_install ;;
uninstall) do_uninstall ;;
*) echo "usage: $0 install|uninstall (run through make)" >&2; exit 2 ;;
esac
