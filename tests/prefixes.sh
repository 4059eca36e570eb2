#!/usr/bin/env bash
# prefixes.sh - every module exports only names that start with its file's
# name (STYLE.md: prefix = module = file), read from the built objects'
# symbol tables. Prints TAP (one test per folder) naming each stray symbol;
# exits 1 on any. The pages built into signaling/assets.o (www_*, made by
# the assembler from file names) are the one exception.
#
#   tests/prefixes.sh BUILD_DIR
set -u
cd "$(dirname "$0")/.."
build=${1:-build}
# A subfolder that is a layer of its own (mcu/net) is a folder here too.
folders=(base codecs recorder mixer mcu/net mcu signaling)

echo "1..${#folders[@]}"
n=0 failed=0
for folder in "${folders[@]}"; do
	n=$((n + 1))
	bad=()
	for src in "$folder"/*.c; do
		[ -e "$src" ] || continue
		[ "$src" = mcu/main.c ] && continue
		mod=$(basename "$src" .c)
		obj="$build/obj/${src%.c}.o"
		if [ ! -f "$obj" ]; then
			bad+=("$obj: not built")
			continue
		fi
		while read -r sym; do
			case "$sym" in
			"${mod}_"*) ;;
			www_*) [ "$mod" = assets ] || bad+=("$src exports $sym") ;;
			*) bad+=("$src exports $sym, not ${mod}_*") ;;
			esac
		done < <(nm -g --defined-only "$obj" | awk '{print $3}')
	done
	if [ ${#bad[@]} -eq 0 ]; then
		echo "ok $n - every module of $folder exports only its own prefix"
	else
		failed=1
		echo "not ok $n - $folder exports names that are not its files'"
		for b in "${bad[@]}"; do
			echo "# $b"
		done
	fi
done
exit $failed
