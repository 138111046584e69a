#!/usr/bin/env bash
# sip-heavy.sh - the SIP-heavy benchmark of issue #16: a load test through a
# proxy with digest auth (challenges, re-sent requests, both hops of every
# message, registrations with refreshes), as `tools/gencap --profile sip-only`
# writes it, at two sizes. For each size it prints, one run after the other:
#   - sipsleuth analyze --json on all cores and on one core (taskset -c 0):
#     wall s, MB/s, SIP messages/s, peak RSS, and the 1-core/2-core speed-up;
#   - tshark -r FILE -q -z sip,stat on the larger file (TSHARK=0 to skip) and
#     the ratio of sipsleuth's wall time to it;
#   - the model's memory per finished call: (peak RSS of the larger - of the
#     smaller) / (calls of the larger - of the smaller). Both files are past the
#     steady state (calls close 64 s after they go quiet, the talk time is 2-6 s),
#     so what is open at once is the same in both and the slope is what each
#     finished call keeps (its record).
#
# Usage: bench/sip-heavy.sh [SMALL LARGE]   sizes as gencap takes them (default 500M 1G)
# Environment: SIPSLEUTH=path (default $CARGO_TARGET_DIR or target, release),
#   TSHARK=0 to skip tshark, SEED (default 2), RUNS (best of, default 1).
# Inputs go to bench/out/ (git-ignored), made once.
set -euo pipefail
cd "$(dirname "$0")/.."

SMALL=${1:-500M}
LARGE=${2:-1G}
SEED=${SEED:-2}
RUNS=${RUNS:-1}
TGT=${CARGO_TARGET_DIR:-target}
SIPSLEUTH=${SIPSLEUTH:-$TGT/release/sipsleuth}
for t in jq awk taskset; do command -v $t >/dev/null || { echo "missing: $t" >&2; exit 1; }; done
[ -x /usr/bin/time ] || { echo "GNU time is needed as /usr/bin/time" >&2; exit 1; }
[ -x "$SIPSLEUTH" ] || cargo build --release >&2
cargo build --release -p gencap >&2
mkdir -p bench/out

gen() { # size -> path
    local tag f
    tag=$(printf '%s' "$1" | tr '[:upper:]' '[:lower:]')
    f=bench/out/sip-heavy-$tag.pcap
    if [ ! -s "$f" ] || [ ! -s "$f.expected.json" ]; then
        "$TGT/release/gencap" --out "$f.partial" --size "$1" --profile sip-only \
            --seed "$SEED" --min-dur 2 --max-dur 6 --quiet
        mv "$f.partial.expected.json" "$f.expected.json"
        mv "$f.partial" "$f"
    fi
    echo "$f"
}

# best of RUNS: "wall rss_kb" ; the JSON of the last run in $2
run() { # out_json cmd...
    local out=$1 best_w="" best_m="" w m i
    shift
    for ((i = 1; i <= RUNS; i++)); do
        /usr/bin/time -f '%e %M' -o /tmp/sip-heavy.time "$@" >"$out" 2>/dev/null
        read -r w m < <(tail -n1 /tmp/sip-heavy.time)
        if [ -z "$best_w" ] || awk -v a="$w" -v b="$best_w" 'BEGIN{exit !(a < b)}'; then
            best_w=$w; best_m=$m
        fi
    done
    echo "$best_w $best_m"
}

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
printf '%-24s %-14s %8s %8s %10s %9s %9s\n' capture run "wall s" "MB/s" "msgs/s" "peak MB" "calls"
declare -A RSS CALLS
for size in "$SMALL" "$LARGE"; do
    f=$(gen "$size")
    bytes=$(stat -c %s "$f")
    msgs=$(jq .sip_messages "$f.expected.json")
    cat "$f" >/dev/null # page cache warm for every tool alike
    for mode in all-cores 1-core; do
        if [ $mode = 1-core ]; then
            read -r w m < <(run "$WORK/o.json" taskset -c 0 "$SIPSLEUTH" analyze "$f" --json)
            w1=$w
        else
            read -r w m < <(run "$WORK/o.json" "$SIPSLEUTH" analyze "$f" --json)
            w2=$w
            RSS[$size]=$m
            CALLS[$size]=$(jq '.calls.attempts' "$WORK/o.json")
        fi
        awk -v n="$(basename "$f")" -v r="$mode" -v w="$w" -v m="$m" -v b="$bytes" -v s="$msgs" -v c="${CALLS[$size]}" \
            'BEGIN{printf "%-24s %-14s %8.2f %8.0f %10.0f %9.0f %9d\n", n, r, w, b/1e6/w, s/w, m/1024, c}'
    done
    awk -v a="$w1" -v b="$w2" 'BEGIN{printf "%-24s speed-up 1 core -> all cores: %.2fx\n", "", a/b}'
done
if [ "${TSHARK:-1}" != 0 ] && command -v tshark >/dev/null; then
    f=$(gen "$LARGE")
    read -r w m < <(run "$WORK/t.txt" tshark -r "$f" -q -z sip,stat)
    awk -v n="$(basename "$f")" -v w="$w" -v m="$m" -v b="$(stat -c %s "$f")" -v s="$(jq .sip_messages "$f.expected.json")" \
        'BEGIN{printf "%-24s %-14s %8.2f %8.0f %10.0f %9.0f\n", n, "tshark", w, b/1e6/w, s/w, m/1024}'
    awk -v t="$w" -v s="$w2" 'BEGIN{printf "%-24s sipsleuth is %.1fx tshark (wall, all cores)\n", "", t/s}'
fi
awk -v r1="${RSS[$SMALL]}" -v r2="${RSS[$LARGE]}" -v c1="${CALLS[$SMALL]}" -v c2="${CALLS[$LARGE]}" \
    'BEGIN{ if (c2 > c1) printf "memory per finished call: (%d - %d) KB / (%d - %d) calls = %.0f bytes\n", r2, r1, c2, c1, (r2-r1)*1024/(c2-c1) }'
