#!/usr/bin/env python3
"""sipsleuth test writer: rewraps frames of real captures (stdlib only).

Every output is made from the frames of a capture produced by real SIP
software (see make-calls.sh, make-fragments.sh); nothing here invents SIP
text.  Subcommands:

  vlan IN OUT       insert one 802.1Q tag (TPID 0x8100, VID 100, PCP 5)
                    after the MAC addresses of every Ethernet frame
  qinq IN OUT       insert an 802.1ad outer tag (TPID 0x88a8, VID 200) and an
                    802.1Q inner tag (TPID 0x8100, VID 100, PCP 5)
  disorder IN OUT   reorder the IPv4 fragments of the (single) fragmented
                    datagram in IN: last fragment first, then the first
                    fragment, the first fragment again (exact duplicate),
                    then the middle fragment(s); all other frames unchanged
  tcp-multi IN OUT  take the SIP messages of one TCP connection of IN
                    (the caller's connection of call1-answered, client port
                    5065 -> 127.0.0.1:5060) and write a new TCP stream that
                    carries the same bytes cut differently (see TCP_PLAN)
  erf IN OUT        rewrap every Ethernet frame of IN as an Endace ERF record
                    (pcap link type 197): odd frames as ERF Ethernet records
                    (type 2: 2-byte offset/pad, the frame, its real FCS),
                    even frames as ERF IPv4 records (type 22: the IP packet
                    alone); every third record carries two extension
                    headers (flow id 0x10, then host id 0x11), chained by
                    the top bit of the type byte and of the first one
  bigendian IN OUT  rewrite a little-endian microsecond pcap as big-endian
                    (magic a1b2c3d4 written big-endian, all global and record
                    header fields big-endian; packet bytes unchanged)

Input captures must be classic pcap (microsecond, either byte order).
Output is deterministic for a given input.
"""

import struct
import sys

LINKTYPE_ETHERNET = 1


# ---------------------------------------------------------------- pcap I/O

def read_pcap(path):
    data = open(path, "rb").read()
    magic = data[:4]
    if magic == b"\xd4\xc3\xb2\xa1":
        e = "<"
    elif magic == b"\xa1\xb2\xc3\xd4":
        e = ">"
    else:
        raise SystemExit(f"{path}: not a microsecond pcap (magic {magic.hex()})")
    _, vmaj, vmin, zone, sigfigs, snaplen, linktype = struct.unpack(e + "IHHiIII", data[:24])
    hdr = dict(vmaj=vmaj, vmin=vmin, zone=zone, sigfigs=sigfigs, snaplen=snaplen,
               linktype=linktype)
    recs = []
    off = 24
    while off < len(data):
        sec, usec, incl, orig = struct.unpack(e + "IIII", data[off:off + 16])
        off += 16
        recs.append([sec, usec, data[off:off + incl], orig])
        off += incl
    return hdr, recs


def write_pcap(path, hdr, recs, endian="<"):
    out = [struct.pack(endian + "IHHiIII", 0xA1B2C3D4, hdr["vmaj"], hdr["vmin"], hdr["zone"],
                       hdr["sigfigs"], hdr["snaplen"], hdr["linktype"])]
    for sec, usec, frame, orig in recs:
        out.append(struct.pack(endian + "IIII", sec, usec, len(frame), orig))
        out.append(frame)
    open(path, "wb").write(b"".join(out))


def ts_add(sec, usec, delta_us):
    t = sec * 1_000_000 + usec + delta_us
    return t // 1_000_000, t % 1_000_000


# ---------------------------------------------------------------- checksums

def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ipv4_header(src, dst, proto, payload_len, ident, flags_frag=0x4000, ttl=64):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + payload_len, ident, flags_frag, ttl,
                    proto, 0, src, dst)
    return h[:10] + struct.pack("!H", csum(h)) + h[12:]


def tcp_segment(src, dst, sport, dport, seq, ack, flags, payload=b"", window=65535,
                options=b""):
    doff = (20 + len(options)) // 4
    h = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                    doff << 4, flags, window, 0, 0) + options
    pseudo = struct.pack("!4s4sBBH", src, dst, 0, 6, len(h) + len(payload))
    c = csum(pseudo + h + payload)
    return h[:16] + struct.pack("!H", c) + h[18:] + payload


# ---------------------------------------------------------------- vlan / qinq

def cmd_vlan(inp, outp, qinq=False):
    hdr, recs = read_pcap(inp)
    if hdr["linktype"] != LINKTYPE_ETHERNET:
        raise SystemExit("vlan/qinq need an Ethernet (linktype 1) capture")
    inner = struct.pack("!HH", 0x8100, (5 << 13) | 100)   # PCP 5, VID 100
    outer = struct.pack("!HH", 0x88A8, 200)                # VID 200
    tags = outer + inner if qinq else inner
    out = []
    for sec, usec, frame, orig in recs:
        f = frame[:12] + tags + frame[12:]
        out.append([sec, usec, f, orig + len(tags)])
    hdr = dict(hdr, snaplen=max(hdr["snaplen"], 262144))
    write_pcap(outp, hdr, out)


# ---------------------------------------------------------------- disorder

def ipv4_of(frame):
    if len(frame) < 34 or struct.unpack("!H", frame[12:14])[0] != 0x0800:
        return None
    return frame[14:]


def cmd_disorder(inp, outp):
    hdr, recs = read_pcap(inp)
    frag_idx = []
    for i, (_, _, frame, _) in enumerate(recs):
        ip = ipv4_of(frame)
        if ip is None:
            continue
        ff = struct.unpack("!H", ip[6:8])[0]
        if ff & 0x2000 or ff & 0x1FFF:
            frag_idx.append(i)
    if len(frag_idx) < 3:
        raise SystemExit("need a datagram with at least 3 fragments")
    if frag_idx != list(range(frag_idx[0], frag_idx[0] + len(frag_idx))):
        raise SystemExit("fragments are not contiguous in the input")
    frags = [recs[i] for i in frag_idx]
    # file order: last, first, first (duplicate), middle...
    order = [frags[-1], frags[0], frags[0]] + frags[1:-1]
    sec0, usec0 = frags[0][0], frags[0][1]
    new = []
    for k, (_, _, frame, orig) in enumerate(order):
        sec, usec = ts_add(sec0, usec0, k * 5)
        new.append([sec, usec, frame, orig])
    first = frag_idx[0]
    out = recs[:first] + new + recs[first + len(frags):]
    write_pcap(outp, hdr, out)


# ---------------------------------------------------------------- tcp-multi

def split_sip(stream):
    """Split a byte stream into SIP messages using Content-Length."""
    msgs = []
    off = 0
    while off < len(stream):
        end = stream.index(b"\r\n\r\n", off) + 4
        head = stream[off:end].decode()
        clen = 0
        for line in head.split("\r\n"):
            k, _, v = line.partition(":")
            if k.strip().lower() in ("content-length", "l"):
                clen = int(v.strip())
        msgs.append(stream[off:end + clen])
        off = end + clen
    return msgs


def tcp_streams(recs, cport, sport):
    """Payload of each direction of the connection (client port cport)."""
    segs = {"c2s": {}, "s2c": {}}
    addrs = None
    for _, _, frame, _ in recs:
        ip = ipv4_of(frame)
        if ip is None or ip[9] != 6:
            continue
        ihl = (ip[0] & 0xF) * 4
        tlen = struct.unpack("!H", ip[2:4])[0]
        tcp = ip[ihl:tlen]
        sp, dp, seq = struct.unpack("!HHI", tcp[:8])
        doff = (tcp[12] >> 4) * 4
        payload = tcp[doff:]
        if (sp, dp) == (cport, sport):
            d = "c2s"
            addrs = (ip[12:16], ip[16:20])
        elif (sp, dp) == (sport, cport):
            d = "s2c"
        else:
            continue
        if payload:
            segs[d][seq] = payload
    if addrs is None:
        raise SystemExit(f"no TCP connection from port {cport} to {sport} in input")
    out = {}
    for d, by_seq in segs.items():
        out[d] = b"".join(by_seq[s] for s in sorted(by_seq))
    return addrs, out


# What the rewritten stream holds, in file order.  "C" = client (caller,
# SIPp) -> server (kamailio), "S" = server -> client.  Sizes/offsets refer
# to the SIP messages taken from the input connection.
TCP_PLAN = """
 1 C SYN
 2 S SYN+ACK
 3 C ACK
 4 C INVITE bytes [0, a)          a = inside the Call-ID header line
 5 C INVITE bytes [b, end)        OUT OF ORDER: sent after 6, arrives first
 6 S ACK (duplicate ACK, ack = start of INVITE + a, because 5 left a hole)
 7 C INVITE bytes [a, b)          b = inside the SDP body (after the blank line)
 8 S ACK (ack = end of INVITE)
 9 S "100 trying" + "180 Ringing" TWO SIP MESSAGES IN ONE SEGMENT
10 C ACK
11 S 200 OK (INVITE)
12 S 200 OK (INVITE) again: RETRANSMISSION, same seq and bytes (new IP ID)
13 C ACK
14 C SIP ACK + first 40 bytes of BYE (a message boundary inside a segment)
15 S ACK
16 C rest of BYE
17 S 200 OK (BYE)
18 C ACK
19 C FIN+ACK
20 S FIN+ACK
21 C ACK
"""

SYN, ACKF, PSH, FIN = 0x02, 0x10, 0x08, 0x01


def cmd_tcp_multi(inp, outp, cport=5065, sport=5060):
    hdr, recs = read_pcap(inp)
    if hdr["linktype"] != LINKTYPE_ETHERNET:
        raise SystemExit("tcp-multi needs an Ethernet (linktype 1) capture")
    (csrc, cdst), streams = tcp_streams(recs, cport, sport)
    cm = split_sip(streams["c2s"])
    sm = split_sip(streams["s2c"])
    kinds_c = [m.split(b" ", 1)[0] for m in cm]
    kinds_s = [m.split(b"\r\n", 1)[0] for m in sm]
    if kinds_c != [b"INVITE", b"ACK", b"BYE"] or len(sm) != 4 \
            or not kinds_s[0].startswith(b"SIP/2.0 100") \
            or not kinds_s[1].startswith(b"SIP/2.0 180") \
            or not kinds_s[2].startswith(b"SIP/2.0 200") \
            or not kinds_s[3].startswith(b"SIP/2.0 200"):
        raise SystemExit(f"unexpected messages on the connection: {kinds_c} {kinds_s}")
    invite, sipack, bye = cm
    trying, ringing, ok_inv, ok_bye = sm
    a = invite.index(b"Call-ID:") + 10
    b = invite.index(b"\r\n\r\n") + 4 + 40

    sec0, usec0 = recs[0][0], recs[0][1]
    eth_c2s = b"\0" * 12 + b"\x08\x00"   # loopback: zero MACs
    out = []
    state = {"cseq": 1_000_000, "sseq": 2_000_000, "cid": 0x1000, "sid": 0x2000, "t": 0}

    def emit(frm, flags, payload=b"", seq=None, ack=None, options=b"", gap_us=200,
             ip_id=None):
        if frm == "C":
            src, dst, sp, dp, idk = csrc, cdst, cport, sport, "cid"
        else:
            src, dst, sp, dp, idk = cdst, csrc, sport, cport, "sid"
        if ip_id is None:
            state[idk] += 1
            ip_id = state[idk]
        if seq is None:
            seq = state["cseq"] if frm == "C" else state["sseq"]
        if ack is None:
            ack = state["sseq"] if frm == "C" else state["cseq"]
        tcp = tcp_segment(src, dst, sp, dp, seq, ack if flags & ACKF else 0, flags, payload,
                          options=options)
        ip = ipv4_header(src, dst, 6, len(tcp), ip_id)
        frame = eth_c2s + ip + tcp
        state["t"] += gap_us
        s, u = ts_add(sec0, usec0, state["t"])
        out.append([s, u, frame, len(frame)])

    mss = struct.pack("!BBH", 2, 4, 65495)
    # 1-3 handshake
    emit("C", SYN, options=mss, ack=0)
    state["cseq"] += 1
    emit("S", SYN | ACKF, options=mss)
    state["sseq"] += 1
    emit("C", ACKF)
    # 4-8 INVITE in three pieces, the third before the second
    inv0 = state["cseq"]
    emit("C", PSH | ACKF, invite[:a], seq=inv0)
    # the client sent [a, b) before [b, end) (IP IDs say so), but the
    # capture sees [b, end) first
    id_mid, id_last = state["cid"] + 1, state["cid"] + 2
    state["cid"] += 2
    emit("C", PSH | ACKF, invite[b:], seq=inv0 + b, gap_us=50, ip_id=id_last)
    emit("S", ACKF, ack=inv0 + a, gap_us=10)          # duplicate ACK
    emit("C", PSH | ACKF, invite[a:b], seq=inv0 + a, gap_us=30, ip_id=id_mid)
    state["cseq"] = inv0 + len(invite)
    emit("S", ACKF, gap_us=10)
    # 9-10: 100 + 180 in one segment
    emit("S", PSH | ACKF, trying + ringing)
    state["sseq"] += len(trying) + len(ringing)
    emit("C", ACKF, gap_us=40)
    # 11-13: 200 OK and its retransmission
    ok0 = state["sseq"]
    emit("S", PSH | ACKF, ok_inv, seq=ok0, gap_us=300_000)
    emit("S", PSH | ACKF, ok_inv, seq=ok0, gap_us=200_000)
    state["sseq"] = ok0 + len(ok_inv)
    emit("C", ACKF, gap_us=40)
    # 14-16: ACK + start of BYE, then the rest of BYE
    emit("C", PSH | ACKF, sipack + bye[:40], gap_us=300)
    state["cseq"] += len(sipack) + 40
    emit("S", ACKF, gap_us=40)
    emit("C", PSH | ACKF, bye[40:], gap_us=300_000)
    state["cseq"] += len(bye) - 40
    # 17-18
    emit("S", PSH | ACKF, ok_bye)
    state["sseq"] += len(ok_bye)
    emit("C", ACKF, gap_us=40)
    # 19-21 close
    emit("C", FIN | ACKF, gap_us=1000)
    state["cseq"] += 1
    emit("S", FIN | ACKF, gap_us=40)
    state["sseq"] += 1
    emit("C", ACKF, gap_us=40)

    write_pcap(outp, hdr, out)
    sys.stderr.write("tcp-multi: INVITE %d bytes split at %d and %d; "
                     "100 %d + 180 %d bytes in one segment; 200 %d bytes sent twice\n"
                     % (len(invite), a, b, len(trying), len(ringing), len(ok_inv)))


# ---------------------------------------------------------------- bigendian

ERF_ETH, ERF_IPV4 = 2, 22


def erf_record(sec, usec, frame, n):
    """One ERF record (the ERF header and body) for frame number n (1-based)."""
    import zlib
    if n % 2 == 1:
        kind = ERF_ETH
        body = b"\x00\x00" + frame + struct.pack("<I", zlib.crc32(frame) & 0xFFFFFFFF)
        wlen = len(frame) + 4
    else:
        kind = ERF_IPV4
        body = frame[14:]
        wlen = len(body)
    ext = b""
    if n % 3 == 0:
        ext = bytes([0x80 | 0x10, 0, 0, 0, 0, 0, 0, n & 0xFF]) + bytes([0x11, 0, 0, 0, 0, 0, 0, 1])
        kind |= 0x80
    # Timestamp: seconds in the upper 32 bits, the binary fraction of a second in the lower 32.
    frac = (usec << 32) // 1_000_000
    rlen = 16 + len(ext) + len(body)
    hdr = struct.pack("<Q", (sec << 32) | frac) + struct.pack(">BBHHH", kind, 0x04, rlen, 0, wlen)
    return hdr + ext + body


def cmd_erf(inp, outp):
    hdr, recs = read_pcap(inp)
    if hdr["linktype"] != LINKTYPE_ETHERNET:
        raise SystemExit("erf: input must be Ethernet")
    out = []
    for n, (sec, usec, frame, orig) in enumerate(recs, start=1):
        if frame[12:14] != b"\x08\x00":
            raise SystemExit(f"erf: frame {n} is not IPv4")
        rec = erf_record(sec, usec, frame, n)
        out.append([sec, usec, rec, len(rec)])
    write_pcap(outp, dict(hdr, linktype=197), out)


def cmd_bigendian(inp, outp):
    hdr, recs = read_pcap(inp)
    write_pcap(outp, hdr, recs, endian=">")


def main(argv):
    if len(argv) != 4:
        sys.exit(__doc__)
    cmd, inp, outp = argv[1:]
    if cmd == "vlan":
        cmd_vlan(inp, outp)
    elif cmd == "qinq":
        cmd_vlan(inp, outp, qinq=True)
    elif cmd == "disorder":
        cmd_disorder(inp, outp)
    elif cmd == "tcp-multi":
        cmd_tcp_multi(inp, outp)
    elif cmd == "bigendian":
        cmd_bigendian(inp, outp)
    elif cmd == "erf":
        cmd_erf(inp, outp)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
