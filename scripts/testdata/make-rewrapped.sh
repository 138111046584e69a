#!/usr/bin/env bash
# Make the captures that real software cannot produce directly, by rewrapping
# frames of real captures with pcaptool.py (stdlib Python):
#   vlan-udp.pcap, qinq-udp.pcap       <- udp-register-call.pcap
#   ipv4-fragments-disorder.pcap        <- ipv4-fragments.pcap
#   tcp-multi-per-segment.pcap          <- tcp-calls.pcap
#   erf-udp.pcap (ERF, link type 197)   <- udp-register-call.pcap
# Needs make-calls.sh (udp and tcp) and make-fragments.sh to have run first.
#
#   bash scripts/testdata/make-rewrapped.sh
set -euo pipefail
D="$(cd "$(dirname "$0")" && pwd)"
OUT="${TD_OUT:-$D/../../testdata}"
T="$D/pcaptool.py"
python3 "$T" vlan      "$OUT/udp-register-call.pcap" "$OUT/vlan-udp.pcap"
python3 "$T" qinq      "$OUT/udp-register-call.pcap" "$OUT/qinq-udp.pcap"
python3 "$T" disorder  "$OUT/ipv4-fragments.pcap"    "$OUT/ipv4-fragments-disorder.pcap"
python3 "$T" tcp-multi "$OUT/tcp-calls.pcap"         "$OUT/tcp-multi-per-segment.pcap"
python3 "$T" erf       "$OUT/udp-register-call.pcap" "$OUT/erf-udp.pcap"
for f in vlan-udp.pcap qinq-udp.pcap ipv4-fragments-disorder.pcap tcp-multi-per-segment.pcap erf-udp.pcap; do
    chmod 644 "$OUT/$f"
    echo "[make-rewrapped.sh] wrote testdata/$f ($(stat -c %s "$OUT/$f") bytes)" >&2
done
