#!/usr/bin/env bash
# Re-make every "known truth" capture in testdata/calls/ and
# testdata/registrations/ with its .truth.json (as root: the scripts create
# network namespaces).  About 50 s: the two captures that need > 35 s of
# silence run in the background while the others are made.
#
#   sudo bash scripts/testdata/make-truth-all.sh
#
# Needs: sipp, kamailio, tcpdump, tshark + mergecap + capinfos, python3, iproute2.
set -euo pipefail
D="$(cd "$(dirname "$0")" && pwd)"

bash "$D/make-truth-silent-call.sh" & SILENT=$!
bash "$D/make-truth-registrations.sh" udp & REGUDP=$!

rc=0
bash "$D/make-truth-calls.sh" udp  || rc=1
bash "$D/make-truth-calls.sh" tcp  || rc=1
bash "$D/make-truth-calls.sh" ipv6 || rc=1
bash "$D/make-truth-registrations.sh" tcp || rc=1
wait "$SILENT" || rc=1
wait "$REGUDP" || rc=1
[ $rc -eq 0 ] || { echo "make-truth-all: a capture failed" >&2; exit 1; }
bash "$D/summarize-truth.sh"
