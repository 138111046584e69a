#!/usr/bin/env python3
"""Turn SIP messages captured over UDP into a script for sctp_sip_replay.

Reads `tshark -T fields -e udp.srcport -e udp.payload` lines on stdin (one
SIP message per line, payload in hex) and writes records: sender ('A' for the
client port given, 'B' otherwise), SCTP stream (requests on 0, responses on
1), 4-byte big-endian length, the message bytes. The transport that SIPp
wrote in Via and Contact (UDP) is rewritten to SCTP (headers only: the
Content-Length is unchanged).

    tshark ... | python3 sctp_script.py CLIENT_PORT OUT
"""
import struct
import sys


def main() -> None:
    client_port, out = sys.argv[1], sys.argv[2]
    n = 0
    with open(out, "wb") as f:
        for line in sys.stdin:
            port, payload = line.split()
            msg = bytes.fromhex(payload.replace(":", ""))
            msg = msg.replace(b"SIP/2.0/UDP ", b"SIP/2.0/SCTP ").replace(
                b";transport=UDP", b";transport=SCTP"
            )
            who = b"A" if port == client_port else b"B"
            stream = 1 if msg.startswith(b"SIP/2.0 ") else 0
            f.write(who + struct.pack(">HI", stream, len(msg)) + msg)
            n += 1
    print(f"{n} messages", file=sys.stderr)


if __name__ == "__main__":
    main()
