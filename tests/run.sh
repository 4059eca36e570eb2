#!/usr/bin/env bash
# run.sh - runs the whole suite and ends with one line "N passed, N failed,
# N skipped". Unit tests (cmocka, TAP output) each run under a time limit,
# as do the fuzz targets' replays of their corpora (one test per file);
# integration tests run with node's test runner (TAP). Called by `make test`.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export MCU_BIN="$PWD/$BUILD/mcu"
passed=0 failed=0 skipped=0
failures=()

count_tap() { # name, file with TAP output, exit code
	local name=$1 out=$2 rc=$3 p f s
	p=$(grep -cE '^[[:space:]]*ok [0-9]+' "$out" | head -1)
	f=$(grep -cE '^[[:space:]]*not ok [0-9]+' "$out" | head -1)
	s=$(grep -cE '^[[:space:]]*ok [0-9]+.*# (SKIP|skip)' "$out" | head -1)
	p=$((p - s))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1 # crashed or timed out outside any test
	fi
	passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
	if [ "$f" -ne 0 ]; then
		failures+=("$name")
		echo "---- $name: output ----"; cat "$out"; echo "----"
	fi
	echo "$name: $p passed, $f failed, $s skipped"
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for bin in "$BUILD"/tests/*_test; do
	[ -x "$bin" ] || continue
	name=unit/$(basename "$bin")
	CMOCKA_MESSAGE_OUTPUT=TAP timeout 120 "$bin" >"$tmp/out" 2>&1
	count_tap "$name" "$tmp/out" $?
done

# The folders' layers (docs/ARCHITECTURE.md): one TAP test per folder.
tests/layering.sh >"$tmp/out" 2>&1
count_tap layering "$tmp/out" $?
# Every module exports only its file's prefix (STYLE.md 1).
tests/prefixes.sh "$BUILD" >"$tmp/out" 2>&1
count_tap prefixes "$tmp/out" $?

# Fuzz corpora (tests/fuzz/), replayed without libFuzzer: each corpus file
# is one TAP test.
for bin in "$BUILD"/tests/fuzz_*; do
	[ -x "$bin" ] || continue
	target=${bin##*/fuzz_}
	timeout 300 "$bin" "tests/fuzz/corpus/$target" >"$tmp/out" 2>&1
	count_tap "fuzz/$target" "$tmp/out" $?
done

if [ -d tests/integ ] && ls tests/integ/*.test.mjs >/dev/null 2>&1; then
	timeout 900 node --test --test-concurrency=1 --test-reporter=tap \
		tests/integ/*.test.mjs >"$tmp/integ" 2>&1
	rc=$?
	# node's TAP nests subtests; count only the leaves it reports at the end.
	p=$(sed -n 's/^# pass \([0-9]*\)/\1/p' "$tmp/integ" | tail -1)
	f=$(sed -n 's/^# fail \([0-9]*\)/\1/p' "$tmp/integ" | tail -1)
	s=$(sed -n 's/^# skipped \([0-9]*\)/\1/p' "$tmp/integ" | tail -1)
	p=${p:-0}; f=${f:-0}; s=${s:-0}
	[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
	passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
	if [ "$f" -ne 0 ]; then
		failures+=(integ); echo "---- integ: output ----"; cat "$tmp/integ"; echo "----"
	fi
	echo "integ: $p passed, $f failed, $s skipped"
fi

[ ${#failures[@]} -eq 0 ] || echo "failed: ${failures[*]}"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
