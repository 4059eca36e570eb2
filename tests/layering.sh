#!/usr/bin/env bash
# layering.sh - the folders' layers (docs/ARCHITECTURE.md), checked from
# the source: every `#include "folder/file.h"` must name the file's own
# layer or one its row below allows. A layer is a folder; a subfolder
# listed here (mcu/net) is a layer of its own, so its files are checked
# against its row and not its parent's. A file belongs to the deepest
# layer whose folder holds it, and so does an include path ("mcu/net/x.h"
# is mcu/net, "mcu/config.h" is mcu). A row may also allow single headers
# of another layer by their path. A bare `#include "file.h"` is the file's
# own folder. Include paths name the folder from the tree's root; one that
# starts with no layer's folder ("net/x.h") is an offence too.
# mcu/main.c is the program and may include every layer; tests/ may include
# anything. Prints TAP (one test per layer) and names each offending line;
# exits 1 on any. With --graph it checks nothing and prints the include
# graph between layers instead: one line "from -> to: N" per pair, N the
# include lines (what the note of a restructuring shows before and after).
#
#   tests/layering.sh [--graph] [ROOT]
set -u
graph=0
if [ "${1:-}" = --graph ]; then
	graph=1
	shift
fi
cd "${1:-$(dirname "$0")/..}"

# layer -> the layers (or single headers) it may include, lowest first.
declare -A allowed=(
	[base]=""
	[codecs]="base"
	[recorder]="base codecs"
	[mixer]="base codecs recorder"
	[mcu/net]="base codecs mixer mcu/config.h mcu/participant.h"
	[mcu]="base codecs recorder mixer mcu/net"
	[signaling]="base codecs recorder mcu mcu/net"
)
order=(base codecs recorder mixer mcu/net mcu signaling)

# The deepest layer whose folder holds path (a file or an include), or ""
# when none does.
layer_of() {
	local path=$1 best="" l
	for l in "${order[@]}"; do
		case "$path" in
		"$l"/*) [ ${#l} -gt ${#best} ] && best=$l ;;
		esac
	done
	printf '%s' "$best"
}

# The include lines of the files of layer, as grep -Hn prints them.
includes_of() {
	local layer=$1 f files=()
	while IFS= read -r f; do
		[ "$(layer_of "$f")" = "$layer" ] && files+=("$f")
	done < <(find "$layer" -name '*.[ch]' 2>/dev/null | sort)
	[ ${#files[@]} -eq 0 ] || grep -Hn '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "${files[@]}"
}

if [ $graph -eq 1 ]; then
	declare -A edges=()
	for layer in "${order[@]}"; do
		while IFS= read -r hit; do
			[ -n "$hit" ] && [ "${hit%%:*}" != mcu/main.c ] || continue
			inc=$(sed -n 's/.*#include "\([^"]*\)".*/\1/p' <<<"${hit#*:*:}")
			case "$inc" in */*) ;; *) continue ;; esac
			target=$(layer_of "$inc")
			[ -n "$target" ] && [ "$target" != "$layer" ] || continue
			edges["$layer -> $target"]=$((${edges["$layer -> $target"]:-0} + 1))
		done < <(includes_of "$layer")
	done
	for e in "${!edges[@]}"; do
		echo "$e: ${edges[$e]}"
	done | sort
	exit 0
fi

n=0 failed=0
echo "1..${#order[@]}"
for layer in "${order[@]}"; do
	n=$((n + 1))
	bad=()
	while IFS= read -r hit; do
		[ -n "$hit" ] || continue
		file=${hit%%:*}
		rest=${hit#*:}
		line=${rest%%:*}
		inc=$(sed -n 's/.*#include "\([^"]*\)".*/\1/p' <<<"${rest#*:}")
		[ "$file" = mcu/main.c ] && continue
		case "$inc" in
		*/*) ;;
		*) continue ;;
		esac
		target=$(layer_of "$inc")
		if [ -z "$target" ]; then
			bad+=("$file:$line includes \"$inc\": name the folder from the tree's root")
			continue
		fi
		[ "$target" = "$layer" ] && continue
		ok=0
		for a in ${allowed[$layer]}; do
			[ "$a" = "$target" ] || [ "$a" = "$inc" ] && ok=1
		done
		if [ $ok -eq 0 ]; then
			bad+=("$file:$line includes \"$inc\": $layer may include only: ${allowed[$layer]:-nothing of the project}")
		fi
	done < <(includes_of "$layer")
	if [ ${#bad[@]} -eq 0 ]; then
		echo "ok $n - $layer includes ${allowed[$layer]:+only }${allowed[$layer]:-nothing of the project}"
	else
		failed=1
		echo "not ok $n - $layer includes a layer it must not"
		for b in "${bad[@]}"; do
			echo "# $b"
		done
	fi
done
exit $failed
