#!/usr/bin/env python3
"""Writes tests/data/fuzz-regressions/pipeline-answered-call-then-max-timestamp.bin
(issue #15 §4): a pcapng whose answered call (INVITE, 200, ACK; no BYE) is
followed by a frame whose 64-bit timestamp is all ones, which saturates to the
largest capture time. The call sweep then looked at the open call again at
"now + 64 s" = now, forever, at 100 % CPU. Stdlib only; run from the repo root."""
import struct, sys

def ipv4_udp(src, dst, sport, dport, payload):
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    total = 20 + len(udp)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, 1, 0, 64, 17, 0,
                      bytes(map(int, src.split("."))), bytes(map(int, dst.split("."))))
    s = sum(struct.unpack("!10H", hdr))
    s = (s & 0xFFFF) + (s >> 16); s = (s & 0xFFFF) + (s >> 16)
    hdr = hdr[:10] + struct.pack("!H", ~s & 0xFFFF) + hdr[12:]
    return b"\0" * 12 + b"\x08\x00" + hdr + udp

def sip(first, cseq, to_tag=""):
    return (f"{first}\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-max1\r\n"
            f"From: <sip:alice@x>;tag=a\r\nTo: <sip:bob@x>{to_tag}\r\nCall-ID: max-ts@x\r\n"
            f"CSeq: {cseq}\r\nContent-Length: 0\r\n\r\n").encode()

def block(btype, body):
    body += b"\0" * (-len(body) % 4)
    n = 12 + len(body)
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)

def epb(ts, frame):
    return block(6, struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, len(frame), len(frame)) + frame)

A, B = "10.0.0.1", "10.0.0.2"
out = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
out += block(1, struct.pack("<HHI", 1, 0, 65535))
t = 1_700_000_000_000_000  # microseconds
out += epb(t, ipv4_udp(A, B, 5060, 5060, sip("INVITE sip:bob@x SIP/2.0", "1 INVITE")))
out += epb(t + 50_000, ipv4_udp(B, A, 5060, 5060, sip("SIP/2.0 200 OK", "1 INVITE", ";tag=b")))
out += epb(t + 60_000, ipv4_udp(A, B, 5060, 5060, sip("ACK sip:bob@x SIP/2.0", "1 ACK", ";tag=b").replace(b"max1", b"max2")))
out += epb(0xFFFF_FFFF_FFFF_FFFF, ipv4_udp(A, B, 5060, 5060, sip("OPTIONS sip:bob@x SIP/2.0", "2 OPTIONS").replace(b"max-ts", b"other")))
path = sys.argv[1] if len(sys.argv) > 1 else "tests/data/fuzz-regressions/pipeline-answered-call-then-max-timestamp.bin"
open(path, "wb").write(out)
print(path, len(out), "bytes")
