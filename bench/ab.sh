#!/usr/bin/env bash
# ab.sh - is a change faster, and does it give the same answer? Two sipsleuth
# binaries on the same captures, their runs interleaved (A B A B ...) so that
# a busy moment of this shared machine falls on both, never on one side only.
#
# Usage: bench/ab.sh A_BINARY B_BINARY FILE...
# For each FILE it prints, for A and B: wall, user and system CPU seconds as
# mean ± standard deviation over RUNS runs, and the peak RSS (mean, min-max);
# then B's change in wall, CPU (user + system) and peak RSS against A, and
# whether `analyze --json` was byte-for-byte the same for both (it must be,
# for a change that claims speed only).
#
# Why not a timed single run: on this 2-core VM one run's wall time varies by
# ±6 % (sip-heavy-500m: 1.63-2.03 s over ten runs of one binary), more than
# most changes gain; CPU time varies less and is what a saturated 2-core run
# saves. Ten interleaved runs tell a 5 % change from noise; three do not.
# The median and the best run of each side are printed too: a busy neighbour
# only ever lengthens a run, so they move less than the mean.
#
# Environment: RUNS (default 10), ARGS (default "analyze --json", the FILE
# goes last).
set -euo pipefail
[ $# -ge 3 ] || { sed -n '2,20p' "$0" >&2; exit 2; }
A=$1
B=$2
shift 2
RUNS=${RUNS:-10}
read -r -a ARGV <<<"${ARGS:-analyze --json}"
[ -x /usr/bin/time ] || { echo "GNU time is needed as /usr/bin/time" >&2; exit 1; }
for bin in "$A" "$B"; do
    [ -x "$bin" ] || { echo "not an executable: $bin" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# mean ± sd of column $1 of a file of "wall user sys rss_kb" lines
stat() {
    awk -v c="$1" '{ s += $c; q += $c * $c; n++ }
        END { m = s / n; v = q / n - m * m; if (v < 0) v = 0; printf "%.3f ± %.3f", m, sqrt(v) }' "$2"
}
mean() { awk -v c="$1" '{ s += $c; n++ } END { printf "%.4f", s / n }' "$2"; }
# median of column $1 of a file ("-": standard input)
median() { awk -v c="$1" '{ print $c }' "$2" | sort -n | awk '{ v[NR] = $1 } END { printf "%.3f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

for f in "$@"; do
    [ -r "$f" ] || { echo "cannot read: $f" >&2; exit 1; }
    : >"$tmp/a"
    : >"$tmp/b"
    # Once each first, unmeasured: the file in the page cache, both binaries loaded.
    "$A" "${ARGV[@]}" "$f" >"$tmp/a.out" 2>/dev/null || true
    "$B" "${ARGV[@]}" "$f" >"$tmp/b.out" 2>/dev/null || true
    for ((i = 0; i < RUNS; i++)); do
        for side in a b; do
            bin=$A
            [ $side = b ] && bin=$B
            /usr/bin/time -f '%e %U %S %M' -o "$tmp/t" "$bin" "${ARGV[@]}" "$f" >/dev/null 2>&1 || true
            tail -n1 "$tmp/t" >>"$tmp/$side"
        done
    done
    echo "== $f ($RUNS runs each, interleaved)"
    for side in a b; do
        bin=$A
        [ $side = b ] && bin=$B
        printf '  %s %-40s wall %s s  user %s s  sys %s s  peak %s MB (%s-%s)\n' \
            "$(echo $side | tr ab AB)" "$bin" \
            "$(stat 1 "$tmp/$side")" "$(stat 2 "$tmp/$side")" "$(stat 3 "$tmp/$side")" \
            "$(awk '{ s += $4; n++ } END { printf "%.0f", s / n / 1024 }' "$tmp/$side")" \
            "$(sort -n -k4 "$tmp/$side" | head -n1 | awk '{ printf "%.0f", $4 / 1024 }')" \
            "$(sort -n -k4 "$tmp/$side" | tail -n1 | awk '{ printf "%.0f", $4 / 1024 }')"
    done
    awk -v aw="$(mean 1 "$tmp/a")" -v bw="$(mean 1 "$tmp/b")" \
        -v ac="$(awk '{ s += $2 + $3; n++ } END { print s / n }' "$tmp/a")" \
        -v bc="$(awk '{ s += $2 + $3; n++ } END { print s / n }' "$tmp/b")" \
        -v am="$(mean 4 "$tmp/a")" -v bm="$(mean 4 "$tmp/b")" \
        'BEGIN { printf "  B against A: wall %+.1f %%, cpu %+.1f %%, peak RSS %+.1f %%\n",
                 100 * (bw / aw - 1), 100 * (bc / ac - 1), 100 * (bm / am - 1) }'
    # A neighbour's busy moment lengthens runs, never shortens them: the median
    # and the best run are steadier than the mean on this host.
    for side in a b; do
        printf '  %s wall median %s s, best %s s; cpu (user + sys) median %s s, best %s s\n' \
            "$(echo $side | tr ab AB)" \
            "$(median 1 "$tmp/$side")" "$(sort -n -k1 "$tmp/$side" | head -n1 | awk '{ print $1 }')" \
            "$(awk '{ print $2 + $3 }' "$tmp/$side" | median 1 -)" \
            "$(awk '{ print $2 + $3 }' "$tmp/$side" | sort -n | head -n1)"
    done
    if cmp -s "$tmp/a.out" "$tmp/b.out"; then
        echo "  output: the same"
    else
        echo "  output: DIFFERENT (diff <($A ${ARGV[*]} $f) <($B ${ARGV[*]} $f))"
    fi
done
