#!/usr/bin/env bash
# Re-make every capture in testdata/ (run from anywhere, as root: the scripts
# create network namespaces).  Needs: sipp, kamailio (+ kamailio-websocket-modules),
# tcpdump, editcap (tshark), gzip, zstd, python3, iproute2; for sctp-call.pcap
# gcc and libusrsctp-dev; for esp-null.pcap scapy and cryptography (PyPI).
#
#   sudo bash scripts/testdata/make-all.sh
#
# Timestamps, kamailio nonces and kamailio's Via branches change from run to
# run; the SIP message counts in testdata/README.md do not.
set -euo pipefail
D="$(cd "$(dirname "$0")" && pwd)"
bash "$D/make-calls.sh" udp
bash "$D/make-calls.sh" tcp
bash "$D/make-sll2.sh"
bash "$D/make-websocket.sh"
bash "$D/make-fragments.sh"
bash "$D/make-nonstandard-port.sh"
bash "$D/make-sctp.sh"
bash "$D/make-esp.sh"
bash "$D/make-rewrapped.sh"
bash "$D/make-variants.sh"
bash "$D/summarize.sh"
