#!/usr/bin/env python3
"""Wrap the SIP packets of a real SIPp capture in ESP (RFC 4303), transport
mode, with scapy's IPsec implementation (scapy.layers.ipsec).

The Linux kernel here has no XFRM (`ip xfrm state add` fails: "Requested type
not found"), so the ESP is made in user space, over the UDP packets that SIPp
sent (testdata/udp-nonstandard-port.pcap: two calls between 127.0.0.1:15060
and 127.0.0.1:15070). The first call (port-call1-answered) goes with NULL
encryption (RFC 2410): UAC -> UAS under SPI 0x1001 with HMAC-SHA1-96 (a
12-byte ICV), UAS -> UAC under SPI 0x2001 with HMAC-SHA256-128 (16 bytes).
The second call (port-call2-busy) is encrypted with AES-CBC + HMAC-SHA1-96
(SPI 0x3001 / 0x4001): nothing of it can be read without the keys.
Padding is scapy's (RFC 4303 default: 1, 2, 3, ...). The IP header checksum
is recomputed; every other byte of the inner UDP packet is SIPp's.

    python3 esp_wrap.py IN.pcap OUT.pcap   (needs scapy and cryptography from PyPI)
"""
import sys

from scapy.all import IP, UDP, Ether, rdpcap, wrpcap
from scapy.layers.ipsec import ESP, SecurityAssociation

KEY_SHA1 = bytes(range(20))
KEY_SHA256 = bytes(range(32))
KEY_AES = bytes(range(16, 32))

UAC_PORT = 15060


def main() -> None:
    inp, out = sys.argv[1], sys.argv[2]
    null_req = SecurityAssociation(ESP, spi=0x1001, crypt_algo="NULL", crypt_key=None,
                                   auth_algo="HMAC-SHA1-96", auth_key=KEY_SHA1)
    null_resp = SecurityAssociation(ESP, spi=0x2001, crypt_algo="NULL", crypt_key=None,
                                    auth_algo="SHA2-256-128", auth_key=KEY_SHA256)
    enc_req = SecurityAssociation(ESP, spi=0x3001, crypt_algo="AES-CBC", crypt_key=KEY_AES,
                                  auth_algo="HMAC-SHA1-96", auth_key=KEY_SHA1)
    enc_resp = SecurityAssociation(ESP, spi=0x4001, crypt_algo="AES-CBC", crypt_key=KEY_AES,
                                   auth_algo="HMAC-SHA1-96", auth_key=KEY_SHA1)
    frames = []
    for p in rdpcap(inp):
        ip = p[IP]
        payload = bytes(p[UDP].payload)
        encrypted = b"port-call2-busy" in payload
        from_uac = p[UDP].sport == UAC_PORT
        sa = (enc_req if from_uac else enc_resp) if encrypted else (null_req if from_uac else null_resp)
        e = sa.encrypt(IP(bytes(ip)))
        del e.chksum
        del e.len
        f = Ether(src=p[Ether].src, dst=p[Ether].dst) / e
        f.time = p.time
        frames.append(f)
    wrpcap(out, frames, linktype=1)
    print(f"{len(frames)} frames", file=sys.stderr)


if __name__ == "__main__":
    main()
