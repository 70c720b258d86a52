#!/usr/bin/env bash
# Layering check (DESIGN.md): only the glue files (*_mod.c, *_kam.c,
# *_kam.h, modules/lp_kam.h) may include Kamailio headers; libpresence and
# the module logic must build without Kamailio. Fails listing offenders.
set -euo pipefail
cd "$(dirname "$0")/.."
bad=$(grep -lE '#include\s+"(\.\./)*(core|modules|lib/srdb|parser)/' \
	lib/libpresence/*.[ch] $(ls modules/*/*.[ch] | grep -vE '_(mod|kam)\.[ch]$') 2>/dev/null || true)
if [ -n "$bad" ]; then
	echo "layers: Kamailio headers outside the glue files:" >&2
	echo "$bad" >&2
	exit 1
fi
echo "layers: ok (libpresence and module logic are Kamailio-free)"
