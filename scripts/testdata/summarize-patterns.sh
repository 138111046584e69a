#!/usr/bin/env bash
# For every capture in testdata/patterns/: size, frames, duration,
# `tshark -q -z sip,stat` counts, and `patterns.py check` (the capture still
# matches its scenario and its .truth.json).
#
#   bash scripts/testdata/summarize-patterns.sh
set -euo pipefail
D="$(cd "$(dirname "$0")" && pwd)"
OUT="${TD_OUT:-$D/../../testdata}"
rc=0
for f in "$OUT"/patterns/*.pcap; do
    [ -f "$f" ] || continue
    n=$(capinfos -c "$f" 2>/dev/null | sed -n 's/^Number of packets: *//p' || true)
    dur=$(capinfos -u "$f" 2>/dev/null | sed -n 's/^Capture duration: *//p' || true)
    printf '== %s (%s bytes, %s frames, %s)\n' "${f#"$OUT"/}" "$(stat -c %s "$f")" "$n" "$dur"
    tshark -r "$f" -q -z sip,stat 2>/dev/null \
        | grep -E 'Number of SIP messages|Number of resent|SIP [0-9]{3} |^  [A-Z]+ +:' \
        | sed -e 's/ Packets//' -e 's/  */ /g' -e 's/^/   /' || true
    python3 "$D/patterns.py" check "$f" || rc=1
done
exit $rc
