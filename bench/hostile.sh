#!/usr/bin/env bash
# hostile.sh - peak memory on captures built to exhaust it (tests/hostile.rs writes
# them): a Content-Length of 2^31, headers that never end, a million distinct
# Call-IDs, a million fragments that never complete, 60 INVITEs of 15 MB on one
# TCP connection. Fails if sipsleuth's peak RSS on any of them passes MAX_RSS_MB
# (default 1024: the Call-ID capture holds 200,000 unanswered INVITEs, 330,000
# open transactions and 333,000 unanswered REGISTERs in flight, plus its rows,
# bounded by --limit rows.*). Run it at two scales (500000, 1000000) for the
# README's ratios. bench/superlinear.sh times the inputs that were quadratic.
# Usage: bench/hostile.sh [SCALE]   (default 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE=${1:-1000000}; MAX_RSS_MB=${MAX_RSS_MB:-1024}
out=bench/out/hostile-$SCALE
T=${CARGO_TARGET_DIR:-target}/release
cargo build --release >&2
if [ ! -s "$out/never-completing-fragments.pcap" ]; then
    HOSTILE_OUT=$out HOSTILE_SCALE=$SCALE cargo test --release --test hostile write_hostile_captures >&2
fi
fail=0
printf '| capture | size | wall | peak RSS | limit counted |\n|---|---|---|---|---|\n'
for f in "$out"/*.pcap; do
    /usr/bin/time -f "%e %M" -o /tmp/hostile.time "$T/sipsleuth" analyze --quiet --json "$f" > /tmp/hostile.json || true
    read -r secs kb < /tmp/hostile.time
    what=$(python3 - /tmp/hostile.json <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
t, m, f = j["reassembly"]["tcp"], j["model"], j["frames"]
print(f"tcp non-SIP bytes skipped {t['non_sip_bytes_skipped']:,}; bodies cut {t['bodies_truncated']:,} ({t['body_bytes_truncated']:,} bytes); fragments incomplete {f['fragment_incomplete']:,}; "
      f"peak open transactions {m['peak_open_transactions']:,}, calls {m['peak_open_calls']:,}; SIP requests {j['sip']['requests_total']:,}")
PY
)
    mb=$((kb / 1024))
    printf '| %s | %s MB | %s s | %s MB | %s |\n' "$(basename "$f")" "$(( $(stat -c %s "$f") / 1000000 ))" "$secs" "$mb" "$what"
    if [ "$mb" -gt "$MAX_RSS_MB" ]; then echo "FAIL: $f peak RSS $mb MB > $MAX_RSS_MB MB" >&2; fail=1; fi
done
exit $fail
