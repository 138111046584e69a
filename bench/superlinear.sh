#!/usr/bin/env bash
# superlinear.sh - inputs whose cost once grew faster than their size (issue #17):
# thousands of overlapping input files, a SIP header section growing one byte per
# TCP segment, IP fragments in random order. Each is written at two sizes (base and
# double, by tests/superlinear.rs) and timed; the ratio should be about 2.
# Usage: bench/superlinear.sh            (SIPSLEUTH=path/to/other/binary to time another build)
# Makes bench/out/superlinear-{1,2}/ (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
T=${CARGO_TARGET_DIR:-target}/release
cargo build --release >&2
BIN=${SIPSLEUTH:-$T/sipsleuth}
for s in 1 2; do
    out=bench/out/superlinear-$s
    if [ ! -e "$out/done" ]; then
        rm -rf "$out"
        SUPERLINEAR_OUT=$out SUPERLINEAR_SIZE=$s cargo test --release --test superlinear write_superlinear_captures >&2
        touch "$out/done"
    fi
done
timed() { # path -> "secs kb", the best of three runs (the machine is shared)
    for _ in 1 2 3; do
        /usr/bin/time -f "%e %M" -o /tmp/superlinear.time "$BIN" analyze --quiet --json "$1" > /tmp/superlinear.json || true
        cat /tmp/superlinear.time
    done | sort -n | head -1
}
printf '| input | base | double | ratio | peak RSS (double) |\n|---|---|---|---|---|\n'
for kind in overlapping growing-header random-fragments; do
    a=$(ls -d bench/out/superlinear-1/$kind-* | head -1)
    b=$(ls -d bench/out/superlinear-2/$kind-* | head -1)
    read -r ta _ <<<"$(timed "$a")"
    read -r tb kb <<<"$(timed "$b")"
    printf '| %s | %s: %s s | %s: %s s | %s | %s MB |\n' "$kind" "$(basename "$a")" "$ta" "$(basename "$b")" "$tb" \
        "$(python3 -c "print(f'{$tb / max($ta, 0.01):.2f}')")" "$((kb / 1024))"
done
