#!/usr/bin/env python3
"""tshark-rtp-baseline.py - record `tshark -q -z rtp,streams` for every capture of
../shared/captures that holds RTP, as the reference for tests/media.rs.

Usage (from the repo root):
  scripts/tshark-rtp-baseline.py [CAPTURES_DIR] > tests/data/tshark_rtp_streams.tsv

tshark runs with its default preferences (RTP found through SDP and other
signalling, no heuristic), the same policy as sipsleuth's default. Only captures
where tshark lists at least one stream are written. One row per stream:
file, src, src_port, dst, dst_port, ssrc (decimal), packets, lost, max_delta_ms,
mean_jitter_ms, max_jitter_ms (as tshark prints them, 3 decimals).
"""
import csv, re, subprocess, sys
from pathlib import Path

ROW = re.compile(
    r"\s*[\d.]+\s+[\d.]+\s+(\S+)\s+(\d+)\s+(\S+)\s+(\d+)\s+(0x[0-9A-Fa-f]+)\s+.*?\s+(\d+)\s+(-?\d+)\s+\(\S+%\)"
    r"\s+[-\d.]+\s+[-\d.]+\s+([-\d.]+)\s+[-\d.]+\s+([-\d.]+)\s+([-\d.]+)"
)

def main():
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/captures")
    files = [r["local_file"] for r in csv.DictReader(open(root / "INDEX.tsv"), delimiter="\t")]
    out = csv.writer(sys.stdout, delimiter="\t", lineterminator="\n")
    out.writerow(["file", "src", "src_port", "dst", "dst_port", "ssrc", "packets", "lost",
                  "max_delta_ms", "mean_jitter_ms", "max_jitter_ms"])
    for f in sorted(files):
        text = subprocess.run(["tshark", "-n", "-q", "-z", "rtp,streams", "-r", str(root / f)],
                              capture_output=True, text=True).stdout
        rows = [m.groups() for m in map(ROW.match, text.splitlines()) if m]
        for g in sorted(rows):
            out.writerow([f, g[0], g[1], g[2], g[3], int(g[4], 16), g[5], g[6], g[7], g[8], g[9]])

if __name__ == "__main__":
    main()
