#!/bin/sh
# Build the libFuzzer targets of test/fuzz (every fuzz_<name>.c, or the
# names given as arguments) with clang, ASan and UBSan against the
# presence_xml and presence logic files, libpresence and libxml2, then run
# each one for FUZZ_SECONDS (default 20) from its seed corpus
# test/fuzz/corpus/<name>/.
# New inputs go to a scratch corpus outside the tree; crashes are written to
# $FUZZ_OUT/artifacts. Exit status is non-zero when any target fails to
# build or finds a crash, leak, timeout or UB.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
SECONDS_EACH=${FUZZ_SECONDS:-20}
OUT=${FUZZ_OUT:-${TMPDIR:-/tmp}/lp_fuzz}
CC=${FUZZ_CC:-clang}

if ! command -v "$CC" >/dev/null 2>&1 \
		|| ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a \
			>/dev/null 2>&1; then
	echo "run.sh: installing clang and libclang-rt-14-dev" >&2
	SUDO=; [ "$(id -u)" -ne 0 ] && SUDO=sudo
	$SUDO apt-get install -y clang libclang-rt-14-dev >&2 || exit 1
fi

mkdir -p "$OUT/obj" "$OUT/artifacts" || exit 1
# the same libraries as test/unit/Makefile (libpresence has DB drivers)
PKGS="libxml-2.0 libcurl sqlite3"
for p in libpq mysqlclient; do
	pkg-config --exists "$p" && PKGS="$PKGS $p"
done
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
CFLAGS="-g -O1 -std=gnu11 -fno-omit-frame-pointer $SAN \
	-I$TOP/lib/libpresence -I$TOP/modules/presence_xml -I$TOP/modules/presence \
	$(pkg-config --cflags $PKGS)"
LIBS="$(pkg-config --libs $PKGS) -lpthread"

# the code under test, built once for every target
OBJS=
for src in "$TOP"/lib/libpresence/*.c "$TOP"/modules/presence_xml/*.c \
		"$TOP"/modules/presence/*.c; do
	case "$src" in *_mod.c|*_kam.c) continue ;; esac
	obj="$OUT/obj/$(basename "$(dirname "$src")")_$(basename "$src" .c).o"
	$CC $CFLAGS -fsanitize=fuzzer-no-link -c "$src" -o "$obj" || exit 1
	OBJS="$OBJS $obj"
done

if [ $# -gt 0 ]; then
	TARGETS="$*"
else
	TARGETS=$(cd "$HERE" && ls fuzz_*.c | sed 's/^fuzz_//; s/\.c$//')
fi

failed=
for t in $TARGETS; do
	bin="$OUT/fuzz_$t"
	if ! $CC $CFLAGS -fsanitize=fuzzer "$HERE/fuzz_$t.c" $OBJS $LIBS \
			-o "$bin"; then
		echo "run.sh: $t: build FAILED"
		failed="$failed $t"
		continue
	fi
	work="$OUT/corpus/$t"
	mkdir -p "$work"
	seeds=
	[ -d "$HERE/corpus/$t" ] && seeds="$HERE/corpus/$t"
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
		"$bin" -max_total_time="$SECONDS_EACH" -timeout=10 \
		-rss_limit_mb=2048 -max_len=$((128 * 1024)) -print_final_stats=1 \
		-artifact_prefix="$OUT/artifacts/$t-" "$work" $seeds \
		>"$OUT/$t.log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$OUT/$t.log")
	cov=$(grep -o 'cov: [0-9]*' "$OUT/$t.log" | tail -1)
	if [ $rc -eq 0 ]; then
		echo "run.sh: $t: ok (${runs:-?} runs, $cov, ${SECONDS_EACH}s)"
	else
		echo "run.sh: $t: FAILED (exit $rc), log $OUT/$t.log"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$OUT/$t.log" \
			| head -5
		failed="$failed $t"
	fi
done

if [ -n "$failed" ]; then
	echo "run.sh: failed:$failed"
	exit 1
fi
echo "run.sh: all targets passed"
