#!/usr/bin/env bash
# Documentation check (make docs, part of make check): every parameter,
# script function, API export, RPC command and statistic a module registers
# with Kamailio is documented in its README, doc/<module>.md. Names are read
# from the module's glue: param_export_t and cmd_export_t of *_mod.c,
# rpc_export_t arrays of *_mod.c and *_kam.c, the counter tables of
# *_stats_kam.c, the sr_kemi_t exports. Required in the README:
#   parameter  a table row `| name |` and an example `modparam("mod", "name"`
#   function   a heading `### name(`, and in its section every route of its
#              cmd_export_t flags (REQUEST_ROUTE, ANY_ROUTE ...)
#   API export (flags 0: bind_*) the name in a heading
#   RPC        a heading `### ... name ...`
#   statistic  a table row `| `name` |`
#   KEMI       `KSR.mod.name(` (sr_kemi_t of *_mod.c)
# Fails listing every omission. DOCDIR (default doc) names another copy of
# the READMEs, ONLY=<module> checks one module. --self-test removes one
# documented name of each kind from a copy of doc/ and checks that each
# removal makes the check fail (make docs runs both).
set -euo pipefail
cd "$(dirname "$0")/.."
DOCDIR=${DOCDIR:-doc}

missing=0
miss() {
	echo "docs: $1" >&2
	missing=$((missing + 1))
}

# the body of the C array declared with type $1 in the files $2...
c_array() {
	local type=$1
	shift
	awk -v t="$type" '$0 ~ t" [a-z_]+\\[\\] = \\{" { on = 1; next }
		on && /^};/ { on = 0 } on' "$@"
}

# the section of markdown file $1 that starts at the heading line $2
# (a fixed string) and ends before the next heading of any level
md_section() {
	awk -v h="$2" 'index($0, h) == 1 { on = 1; print; next }
		on && /^#/ { exit } on' "$1"
}

# has LIST NAME: NAME is one of the lines of LIST (no process spawned)
has() { [[ $'\n'$1$'\n' == *$'\n'$2$'\n'* ]]; }

check_params() { # module doc
	local n rows mods
	# shellcheck disable=SC2016 # the backquotes are markdown's
	rows=$(sed -nE 's/^\| *`?([A-Za-z0-9_]+)`? *\|.*/\1/p' "$2")
	mods=$(sed -nE "s/.*modparam\(\"$1\", \"([A-Za-z0-9_]+)\".*/\1/p" "$2")
	for n in $(c_array param_export_t modules/"$1"/*_mod.c |
		grep -oE '^\s*\{"[A-Za-z0-9_]+"' | tr -d '{" \t' | sort -u); do
		has "$rows" "$n" || miss "$2: parameter $n has no table row"
		has "$mods" "$n" || miss "$2: parameter $n has no modparam example"
	done
}

check_functions() { # module doc
	local line n flags r sect
	# one entry per line: join the array, split at "},"
	while read -r line; do
		[[ $line =~ ^[[:space:]]*\{\"([^\"]+)\" ]] && n=${BASH_REMATCH[1]}
		[[ $line =~ ,[[:space:]]*([^,]+)\}$ ]] && flags=${BASH_REMATCH[1]}
		if [ "$flags" = 0 ]; then
			grep -qE "^#+ .*\b$n\b" "$2" || miss "$2: API export $n has no heading"
			continue
		fi
		sect=$(md_section "$2" "### $n(")
		[ -n "$sect" ] || { miss "$2: function $n has no '### $n(' heading"; continue; }
		for r in ${flags//|/ }; do
			[[ $sect == *"$r"* ]] || miss "$2: function $n: route $r not named in its section"
		done
	done < <(c_array cmd_export_t modules/"$1"/*_mod.c | tr -d '\n\t' |
		sed 's/},/}\n/g' | grep -E '^\s*\{"')
}

check_rpcs() { # module doc
	local n e
	for n in $(c_array rpc_export_t modules/"$1"/*_mod.c modules/"$1"/*_kam.c |
		grep -oE '^\s*\{"[A-Za-z0-9_.]+"' | tr -d '{" \t' | sort -u); do
		e=${n//./\\.}
		grep -qE "^### (.*[ /])?$e( |$)" "$2" || miss "$2: RPC $n has no heading"
	done
}

check_stats() { # module doc
	local n rows
	# shellcheck disable=SC2016 # the backquotes are markdown's
	rows=$(sed -nE 's/^\| *`([a-z0-9_]+)` *\|.*/\1/p' "$2")
	for n in $(cat modules/"$1"/*_stats_kam.c 2>/dev/null | tr -d '\n\t' |
		grep -oE '\{"[a-z0-9_]+",|reg_gauge\("[a-z0-9_]+"|counter_register\(NULL, *"[a-z_]+", *"[a-z0-9_]+"' |
		sed -E 's/.*"([a-z0-9_]+)"[,]?$/\1/' | sort -u); do
		has "$rows" "$n" || miss "$2: statistic $n has no table row"
	done
}

check_kemi() { # module doc
	local n text
	text=$(<"$2")
	for n in $(tr -d '\n\t' <modules/"$1"/*_mod.c |
		grep -oE "\{str_init\(\"$1\"\), *str_init\(\"[a-z_0-9]+\"\)" |
		sed -E 's/.*"([a-z_0-9]+)"\)$/\1/' | sort -u); do
		[[ $text == *"KSR.$1.$n("* ]] || miss "$2: KEMI function KSR.$1.$n has no mention"
	done
}

# --self-test: each mutation (file, sed script, expected message) must fail
self_test() {
	local tmp file expr want out bad=0
	tmp=$(mktemp -d)
	while IFS=';' read -r file expr want; do
		rm -rf "$tmp/doc" && cp -r doc "$tmp/doc"
		sed -i -E "$expr" "$tmp/doc/$file"
		if out=$(DOCDIR=$tmp/doc ONLY=${file%.md} bash "$0" 2>&1); then
			echo "docs self-test: $file after '$expr' passed" >&2
			bad=1
		elif ! grep -qF "$want" <<<"$out"; then
			echo "docs self-test: $file after '$expr' failed without '$want'" >&2
			bad=1
		fi
	done <<'EOF'
presence.md;/^\| cseq_offset \|/d;parameter cseq_offset has no table row
pua.md;/^modparam\("pua", "fetch_rows"/d;parameter fetch_rows has no modparam example
presence.md;s/^### handle_publish\(/### handle_publish /;function handle_publish has no
pua.md;s/REQUEST_ROUTE/a route/g;route REQUEST_ROUTE not named
presence.md;s/^(#+ .*)bind_presence/\1bind/;API export bind_presence has no heading
presence_b2b.md;s/^### presence_b2b\.list/### list/;RPC presence_b2b.list has no heading
presence_xml.md;/^\| `xcap_fetches` \|/d;statistic xcap_fetches has no table row
pua.md;s/KSR\.pua\.pua_update_contact\(/pua_update_contact(/g;KEMI function KSR.pua.pua_update_contact
EOF
	rm -rf "$tmp"
	[ "$bad" = 0 ] || exit 1
	echo "docs self-test: ok (each kind of omission fails the check)"
}
if [ "${1:-}" = --self-test ]; then
	self_test
	exit 0
fi

for dir in modules/*/; do
	m=$(basename "$dir")
	[ -z "${ONLY:-}" ] || [ "$m" = "$ONLY" ] || continue
	ls "$dir"*_mod.c >/dev/null 2>&1 || continue
	doc=$DOCDIR/$m.md
	[ -f "$doc" ] || { miss "$doc missing"; continue; }
	check_params "$m" "$doc"
	check_functions "$m" "$doc"
	check_rpcs "$m" "$doc"
	check_stats "$m" "$doc"
	check_kemi "$m" "$doc"
done

if [ "$missing" -gt 0 ]; then
	echo "docs: undocumented names (see above)" >&2
	exit 1
fi
echo "docs: ok (parameters, functions, RPC commands, statistics, KEMI exports of every module are in doc/)"
