#!/usr/bin/env bash
# Make the format / compression variants of testdata/udp-register-call.pcap
# (run make-calls.sh udp first):
#   udp-register-call.pcap.gz              gzip -n -9
#   udp-register-call.pcap.zst             zstd -19
#   udp-register-call.pcapng               editcap -F pcapng
#   udp-register-call-nsec.pcap            editcap -F nsecpcap (magic a1b23c4d)
#   udp-register-call-be.pcap              big-endian pcap (pcaptool.py bigendian)
#   compressed-without-extension.pcapng    gzip of the pcapng, name without .gz
#
#   bash scripts/testdata/make-variants.sh
set -euo pipefail
D="$(cd "$(dirname "$0")" && pwd)"
OUT="${TD_OUT:-$D/../../testdata}"
for c in gzip zstd editcap python3; do
    command -v "$c" >/dev/null || { echo "missing tool: $c (apt-get install zstd / tshark)" >&2; exit 1; }
done
SRC="$OUT/udp-register-call.pcap"
[ -f "$SRC" ] || { echo "run make-calls.sh udp first" >&2; exit 1; }

gzip -n -9 -c "$SRC" > "$OUT/udp-register-call.pcap.gz"
zstd -q -19 -f -c "$SRC" > "$OUT/udp-register-call.pcap.zst"
editcap -F pcapng "$SRC" "$OUT/udp-register-call.pcapng"
editcap -F nsecpcap "$SRC" "$OUT/udp-register-call-nsec.pcap"
python3 "$D/pcaptool.py" bigendian "$SRC" "$OUT/udp-register-call-be.pcap"
gzip -n -9 -c "$OUT/udp-register-call.pcapng" > "$OUT/compressed-without-extension.pcapng"

for f in udp-register-call.pcap.gz udp-register-call.pcap.zst udp-register-call.pcapng \
         udp-register-call-nsec.pcap udp-register-call-be.pcap compressed-without-extension.pcapng; do
    chmod 644 "$OUT/$f"
    echo "[make-variants.sh] wrote testdata/$f ($(stat -c %s "$OUT/$f") bytes)" >&2
done
