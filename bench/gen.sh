#!/usr/bin/env bash
# gen.sh - make the benchmark captures with tools/gencap (if absent):
#   bench/out/rtp-<size>.pcap        --profile rtp       (SIP + G.711 RTP, >99 % RTP)
#   bench/out/sip-only-<size>.pcap   --profile sip-only  (SIP load test, no media)
# each with <file>.expected.json (the SIP counts on the wire).
#
# Usage (from anywhere):
#   bench/gen.sh [SIZE]        SIZE as gencap takes it: 1G (default), 200M, 20M ...
# Environment:
#   SEED=n       gencap seed (default 1)
#   PROFILES="rtp sip-only"   which profiles to make
#   FORCE=1      regenerate even if the files exist
# bench/out/ is git-ignored.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZE=${1:-1G}
SEED=${SEED:-1}
PROFILES=${PROFILES:-rtp sip-only}
tag=$(printf '%s' "$SIZE" | tr '[:upper:]' '[:lower:]')
mkdir -p bench/out

cargo build --release -p gencap >&2

for profile in $PROFILES; do
    f=bench/out/$profile-$tag.pcap
    if [ -z "${FORCE:-}" ] && [ -s "$f" ] && [ -s "$f.expected.json" ]; then
        echo "exists: $f"
        continue
    fi
    # write under a temporary name so an interrupted run never looks complete
    tmp=bench/out/.$profile-$tag.partial.pcap
    rm -f "$tmp" "$tmp.expected.json"
    "${CARGO_TARGET_DIR:-target}"/release/gencap --out "$tmp" --size "$SIZE" --profile "$profile" --seed "$SEED"
    mv "$tmp.expected.json" "$f.expected.json"
    mv "$tmp" "$f"
    echo "made: $f"
done
