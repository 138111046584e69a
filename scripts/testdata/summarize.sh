#!/usr/bin/env bash
# Print, for every capture in testdata/, its link type and what
# `tshark -q -z sip,stat` counts (requests per method, responses per status).
#
#   bash scripts/testdata/summarize.sh
set -euo pipefail
D="$(cd "$(dirname "$0")" && pwd)"
OUT="${TD_OUT:-$D/../../testdata}"
cd "$OUT"
for f in $(ls | grep -vE '\.md$' | sort); do
    [ -f "$f" ] || continue   # skip the calls/ and registrations/ subdirectories (see summarize-truth.sh)
    enc=$(capinfos -E "$f" 2>/dev/null | sed -n 's/^File encapsulation: *//p')
    printf '== %s (%s bytes, %s)\n' "$f" "$(stat -c %s "$f")" "$enc"
    tshark -r "$f" -q -z sip,stat 2>/dev/null \
        | grep -E 'Number of SIP messages|Number of resent|SIP [0-9]{3} |^  [A-Z]+ +:' \
        | sed -e 's/ Packets//' -e 's/  */ /g' -e 's/^/   /'
done
