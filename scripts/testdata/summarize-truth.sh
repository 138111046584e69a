#!/usr/bin/env bash
# For every capture in testdata/calls/ and testdata/registrations/: size, link
# type, duration, `tshark -q -z sip,stat` counts, and `truth.py check` (the
# capture still matches its .truth.json).
#
#   bash scripts/testdata/summarize-truth.sh
set -euo pipefail
D="$(cd "$(dirname "$0")" && pwd)"
OUT="${TD_OUT:-$D/../../testdata}"
rc=0
for f in "$OUT"/calls/*.pcap "$OUT"/registrations/*.pcap; do
    [ -f "$f" ] || continue
    enc=$(capinfos -E "$f" 2>/dev/null | sed -n 's/^File encapsulation: *//p' || true)
    dur=$(capinfos -u "$f" 2>/dev/null | sed -n 's/^Capture duration: *//p' || true)
    printf '== %s (%s bytes, %s, %s)\n' "${f#"$OUT"/}" "$(stat -c %s "$f")" "$enc" "$dur"
    tshark -r "$f" -q -z sip,stat 2>/dev/null \
        | grep -E 'Number of SIP messages|Number of resent|SIP [0-9]{3} |^  [A-Z]+ +:' \
        | sed -e 's/ Packets//' -e 's/  */ /g' -e 's/^/   /' || true
    python3 "$D/truth.py" check "$f" || rc=1
done
exit $rc
