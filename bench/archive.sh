#!/usr/bin/env bash
# archive.sh - the archive benchmark: one big generated capture, cut into rotated
# files like `tcpdump -C`, one in ten gzipped; then sipsleuth reads the directory
# as one timeline and the unsplit file, and the two answers are compared.
#
# Usage: bench/archive.sh [SIZE] [CHUNK] [PROFILE]
#   SIZE     total capture size (default 5G)      CHUNK  rotation size (default 4M)
#   PROFILE  rtp (default) or sip-only
# Makes bench/out/<profile>-<size>.pcap and bench/out/archive-<profile>-<size>/ (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${1:-5G}; CHUNK=${2:-4M}; PROFILE=${3:-rtp}
tag=$(printf '%s' "$SIZE" | tr '[:upper:]' '[:lower:]')
big=bench/out/$PROFILE-$tag.pcap
dir=bench/out/archive-$PROFILE-$tag
cargo build --release -p gencap -p sipsleuth >&2
T=${CARGO_TARGET_DIR:-target}/release
if [ ! -s "$big" ]; then
    PROFILES=$PROFILE bench/gen.sh "$SIZE" >&2
fi
if [ ! -d "$dir" ]; then
    rm -rf "$dir.partial"
    n=$("$T/splitcap" "$big" "$dir.partial" --bytes "$CHUNK")
    # One file in ten gzipped, as a half-migrated archive would be.
    ls "$dir.partial"/*.pcap | awk 'NR % 10 == 3' | xargs -r -P 2 gzip -1
    mv "$dir.partial" "$dir"
    echo "split $big into $n files" >&2
fi
files=$(ls "$dir" | wc -l)
bytes=$(du -sb "$dir" | cut -f1)
echo "archive: $dir: $files files, $bytes bytes"
run() { # label, args...
    local label=$1; shift
    /usr/bin/time -f "%e %M" -o /tmp/archive-bench.time "$T/sipsleuth" analyze --quiet --json "$@" > "/tmp/archive-bench-$label.json"
    read -r secs kb < /tmp/archive-bench.time
    python3 - "$label" "$secs" "$kb" "$bytes" "/tmp/archive-bench-$label.json" <<'PY'
import json, sys
label, secs, kb, size, path = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
j = json.load(open(path))
frames = j["frames"]["total"]
print(f"| {label} | {secs:.2f} s | {size / secs / 1e6:.0f} MB/s | {frames / secs / 1e3:.0f} k frames/s | {kb / 1024:.0f} MiB peak RSS | {j['calls']['attempts'] if 'attempts' in j['calls'] else ''} calls |")
PY
}
run archive "$dir"
run unsplit "$big"
python3 - <<'PY'
import json
a, u = (json.load(open(f"/tmp/archive-bench-{k}.json")) for k in ("archive", "unsplit"))
same = all(a[k] == u[k] for k in ("calls", "registrations", "findings", "sip", "transactions"))
print("same calls, registrations, findings and SIP counts as unsplit:", same)
if not same:
    for k in ("calls", "registrations", "findings", "sip", "transactions"):
        if a[k] != u[k]:
            print("  differs:", k)
    raise SystemExit(1)
PY
