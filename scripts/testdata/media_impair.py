#!/usr/bin/env python3
"""Impair one direction of real RTP in a capture, as a bad link would (stdlib only).

    python3 media_impair.py loss   IN OUT SRC_IP DST_IP
    python3 media_impair.py jitter IN OUT SRC_IP DST_IP

This machine's kernel has no netem, so make-media.sh records a clean call
(real SIPp RTP) and this script turns the capture into what a capture taken
at the receiver (DST_IP) of a lossy or jittery link from SRC_IP would show.
Only the RTP frames from SRC_IP to DST_IP (UDP, both ports >= 1024, RTP
version 2) are touched; SIP and the other direction are left as they are.
Nothing is invented: frames are only removed or moved later in time.

  loss    drops every 40th RTP frame of the direction (index 19, 59, 99, ...)
          and a burst of 6 consecutive frames (index 120-125): about 4% of
          a 5 s stream, one burst.
  jitter  delays every RTP frame of the direction by a pseudo-random
          0-60 ms (random.Random(12), uniform), every 25th by 110 ms more (a
          spike); the capture is then re-sorted by time, so frames whose
          delays differ by more than 20 ms arrive out of order.

Output is deterministic for a given input (classic microsecond pcap, as
tcpdump writes).
"""
import random
import struct
import sys
import os

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcaptool import read_pcap, write_pcap, ts_add  # noqa: E402

ETH_IPV4 = 0x0800


def rtp_dir(frame, src, dst):
    """True when the Ethernet frame is RTP (v2) over UDP/IPv4 from src to dst."""
    if len(frame) < 14 + 20 + 8 + 12 or struct.unpack("!H", frame[12:14])[0] != ETH_IPV4:
        return False
    ip = frame[14:]
    ihl = (ip[0] & 0x0F) * 4
    if ip[9] != 17:
        return False
    if ".".join(map(str, ip[12:16])) != src or ".".join(map(str, ip[16:20])) != dst:
        return False
    sport, dport = struct.unpack("!HH", ip[ihl:ihl + 4])
    udp_payload = ip[ihl + 8:]
    return sport >= 1024 and dport >= 1024 and len(udp_payload) >= 12 and udp_payload[0] >> 6 == 2 \
        and (udp_payload[1] & 0x7F) < 72  # not RTCP (payload types 72-76 with the marker bit)


def main(argv):
    if len(argv) != 6 or argv[1] not in ("loss", "jitter"):
        print(__doc__)
        return 2
    mode, inp, outp, src, dst = argv[1:]
    hdr, recs = read_pcap(inp)
    if hdr["linktype"] != 1:
        raise SystemExit("%s: not an Ethernet capture" % inp)
    idx = 0
    out = []
    dropped = moved = 0
    rng = random.Random(12)
    for n, (sec, usec, frame, orig) in enumerate(recs):
        key = (sec * 1_000_000 + usec, n)
        if not rtp_dir(frame, src, dst):
            out.append((key, [sec, usec, frame, orig]))
            continue
        i = idx
        idx += 1
        if mode == "loss":
            if i % 40 == 19 or 120 <= i <= 125:
                dropped += 1
                continue
            out.append((key, [sec, usec, frame, orig]))
        else:
            delay = int(rng.uniform(0, 60_000))
            if i % 25 == 24:
                delay += 110_000
            s2, u2 = ts_add(sec, usec, delay)
            out.append(((s2 * 1_000_000 + u2, n), [s2, u2, frame, orig]))
            moved += 1
    if idx < 150:
        raise SystemExit("%s: only %d RTP frames %s -> %s" % (inp, idx, src, dst))
    out.sort(key=lambda x: x[0])
    write_pcap(outp, hdr, [r for _, r in out])
    print("media_impair %s: %d RTP frames %s -> %s, %d dropped, %d delayed"
          % (mode, idx, src, dst, dropped, moved), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
