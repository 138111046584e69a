#!/usr/bin/env bash
# make-rtcp-missed.sh - testdata/media/rtcp-missed.pcap: testdata/media/rtcp.pcap
# (two baresip phones, RTCP every 5 s) with 21 of alice's 601 RTP frames to bob
# removed by media_impair.py (every 40th and a burst of 6), nothing else touched.
# Bob's RTCP still reports the 0 packets lost he really had: a capture point
# that dropped frames the receiver got. sipsleuth must say capture_missed
# (tests/media_rtcp.rs). Deterministic; no root needed.
set -euo pipefail
cd "$(dirname "$0")/../.."
python3 scripts/testdata/media_impair.py loss testdata/media/rtcp.pcap \
    testdata/media/rtcp-missed.pcap 192.0.2.101 192.0.2.20
