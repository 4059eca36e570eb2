#!/usr/bin/env bash
# run-fuzzers.sh - runs each libFuzzer binary $BUILD/fuzz/<target> named on
# the command line for FUZZ_SECONDS (default 60) on tests/fuzz/corpus/<target>/
# (read only: new inputs go to $BUILD/fuzz/new/<target>/, crashes to
# $BUILD/fuzz/crashes/<target>/), then prints each target's total execs and
# execs/s as libFuzzer reports them. Exits non-zero when a target crashed.
# Called by `make fuzz`, which builds the binaries first.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
secs=${FUZZ_SECONDS:-60}
rows=() crashed=()
# Targets that need scratch files (json_api's recordings) make them under
# TMPDIR; a crash cannot clean up, so keep them in the build tree.
mkdir -p "$BUILD/fuzz/tmp"
TMPDIR=$(cd "$BUILD/fuzz/tmp" && pwd)
export TMPDIR

for t in "$@"; do
	bin=$BUILD/fuzz/$t new=$BUILD/fuzz/new/$t crashes=$BUILD/fuzz/crashes/$t
	log=$BUILD/fuzz/$t.log
	mkdir -p "$new" "$crashes"
	extra=()
	[ -f "tests/fuzz/$t.dict" ] && extra+=("-dict=tests/fuzz/$t.dict")
	echo "fuzz: $t for ${secs}s (log in $log)"
	# The corpus dir comes second: libFuzzer writes new inputs to the first.
	"$bin" -max_total_time="$secs" -print_final_stats=1 -timeout=25 \
		-rss_limit_mb=2048 -artifact_prefix="$crashes/" "${extra[@]}" \
		"$new" "tests/fuzz/corpus/$t" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
	n_new=$(find "$new" -type f | wc -l)
	rows+=("$(printf '%-18s %12s %10s %8s %8s' "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" "$n_new")")
	if [ "$rc" -ne 0 ]; then
		crashed+=("$t")
		echo "---- $t: exit $rc, last lines of $log ----"
		tail -n 60 "$log"
		echo "---- inputs kept in $crashes:"; ls -l "$crashes"
	fi
done

printf '%-18s %12s %10s %8s %8s\n' target execs execs/s cov new
printf '%s\n' "${rows[@]}"
if [ ${#crashed[@]} -ne 0 ]; then
	echo "fuzz: crashed: ${crashed[*]}"
	exit 1
fi
