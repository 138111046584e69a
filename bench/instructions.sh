#!/usr/bin/env bash
# instructions.sh - instructions per SIP message on the SIP-heavy profile,
# counted by callgrind: the same count on every run, on any load of this
# shared machine (wall time swings ±10 % here, more than most changes gain;
# bench/ab.sh is for time, this is for work done).
#
# For each BINARY: `analyze --json` of bench/out/sip-heavy-50m.pcap (made once
# by gencap --profile sip-only --seed 2 --min-dur 2 --max-dur 6, like
# bench/sip-heavy.sh's files) under `valgrind --tool=callgrind
# --separate-threads=yes`; prints the instructions in all, per SIP message,
# and per thread (main, read+decode, decode, model),
# and checks that every binary's --json is byte-identical to the first's.
# A binary takes about ten seconds. Callgrind counts instructions, not cache
# misses: the model thread's time is mostly the latter (README, issue #16).
#
# Usage: bench/instructions.sh BINARY [BINARY...]
# Environment: KEEP=dir keeps the callgrind files there (for callgrind_annotate).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { sed -n '2,17p' "$0" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)" >&2; exit 1; }
command -v jq >/dev/null || { echo "jq is needed" >&2; exit 1; }
TGT=${CARGO_TARGET_DIR:-target}
f=bench/out/sip-heavy-50m.pcap
if [ ! -s "$f" ]; then
    cargo build --release -p gencap >&2
    mkdir -p bench/out
    "$TGT/release/gencap" --out "$f.partial" --size 50M --profile sip-only \
        --seed 2 --min-dur 2 --max-dur 6 --quiet
    mv "$f.partial" "$f"
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
first=""
for bin in "$@"; do
    [ -x "$bin" ] || { echo "not an executable: $bin" >&2; exit 1; }
    out="$tmp/cg.$(basename "$bin")"
    valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$out" \
        "$bin" analyze --json "$f" >"$tmp/json" 2>/dev/null
    msgs=$(jq '.sip.messages // empty' "$tmp/json")
    total=0
    parts=""
    for t in "$out"-*; do
        n=$(awk '/^summary:/ {print $2; exit}' "$t")
        total=$((total + n))
        # Name the thread by what it runs: thread 1 is the main one (it probes the
        # input and builds the summary at the end); of rayon's, the one that walks
        # the capture decodes too (a single input is read inside the pool).
        if [ "${t##*-}" = 01 ]; then kind=main
        elif grep -q 'Transactions::on_message' "$t"; then kind=model
        elif grep -q 'PcapParser' "$t"; then kind=read+decode
        elif grep -q 'sip::scan::scan' "$t"; then kind=decode
        else kind=other; fi
        parts="$parts $kind=$((n / 1000000))M"
    done
    if [ -n "$msgs" ]; then per=$((total / msgs)); else per="?"; fi
    same=""
    if [ -z "$first" ]; then first="$tmp/first.json"; cp "$tmp/json" "$first"
    elif cmp -s "$first" "$tmp/json"; then same=" (--json: same as the first)"
    else same=" (--json: DIFFERS from the first)"; fi
    printf '%-40s %6d M instructions, %s per SIP message;%s%s\n' \
        "$bin" $((total / 1000000)) "$per" "$parts" "$same"
    if [ -n "${KEEP:-}" ]; then mkdir -p "$KEEP"; cp "$out"-* "$KEEP"/; fi
done
