#!/usr/bin/env bash
# layering.sh - the folders' layers (docs/ARCHITECTURE.md), checked from
# the source: every `#include "folder/file.h"` must name the file's own
# folder or one its row below allows. A bare `#include "file.h"` is the
# file's own folder. mcu/main.c is the program and may include every layer;
# tests/ may include anything. Prints TAP (one test per folder) and names
# each offending line; exits 1 on any.
#
#   tests/layering.sh [ROOT]
set -u
cd "${1:-$(dirname "$0")/..}"

# folder -> the folders it may include, lowest layer first.
declare -A allowed=(
	[base]=""
	[codecs]="base"
	[recorder]="base codecs"
	[mixer]="base codecs recorder"
	[mcu]="base codecs recorder mixer"
	[signaling]="base codecs recorder mcu"
)
order=(base codecs recorder mixer mcu signaling)

n=0 failed=0
echo "1..${#order[@]}"
for folder in "${order[@]}"; do
	n=$((n + 1))
	bad=()
	while IFS= read -r hit; do
		file=${hit%%:*}
		rest=${hit#*:}
		line=${rest%%:*}
		inc=$(sed -n 's/.*#include "\([^"]*\)".*/\1/p' <<<"${rest#*:}")
		[ "$file" = mcu/main.c ] && continue
		case "$inc" in
		*/*) target=${inc%%/*} ;;
		*) continue ;;
		esac
		[ "$target" = "$folder" ] && continue
		ok=0
		for a in ${allowed[$folder]}; do
			[ "$a" = "$target" ] && ok=1
		done
		if [ $ok -eq 0 ]; then
			bad+=("$file:$line includes \"$inc\": $folder may include only: ${allowed[$folder]:-nothing of the project}")
		fi
	done < <(grep -rn '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$folder" --include='*.c' --include='*.h' 2>/dev/null)
	if [ ${#bad[@]} -eq 0 ]; then
		echo "ok $n - $folder includes ${allowed[$folder]:+only }${allowed[$folder]:-nothing of the project}"
	else
		failed=1
		echo "not ok $n - $folder includes a layer it must not"
		for b in "${bad[@]}"; do
			echo "# $b"
		done
	fi
done
exit $failed
