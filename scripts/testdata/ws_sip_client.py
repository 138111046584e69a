#!/usr/bin/env python3
"""Minimal SIP-over-WebSocket (RFC 7118) client, stdlib only.

Used by make-websocket.sh against kamailio (websocket + xhttp modules) on
ws://127.0.0.1:8080.  Two WebSocket connections, alice (local port 40001)
and bob (local port 40002):

  bob:   REGISTER -> 401 -> REGISTER (digest) -> 200
  alice: REGISTER -> 401 -> REGISTER (digest) -> 200
  alice: OPTIONS sip:sipsleuth.test -> 200
  alice: MESSAGE sip:bob@sipsleuth.test -> kamailio relays it to bob's
         WebSocket (unmasked frame from the server) -> bob answers 200
         (masked frame) -> kamailio relays 200 to alice
  alice: INVITE sip:carol@sipsleuth.test (not registered) -> 404, ACK
  both:  WebSocket Close (1000), answered by the server's Close.

Client frames are masked text frames; the mask keys come from a seeded PRNG
so that the bytes are the same on every run (except what kamailio puts in:
nonces, its Via branch, the Sec-WebSocket-Accept is fixed by the fixed key).
"""

import base64
import hashlib
import random
import socket
import struct
import sys

HOST = "127.0.0.1"
PORT = 8080
REALM = "sipsleuth.test"
RNG = random.Random(7118)


def log(*a):
    print(*a, file=sys.stderr, flush=True)


class WS:
    def __init__(self, name, local_port, key_seed):
        self.name = name
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((HOST, local_port))
        self.sock.settimeout(10)
        self.sock.connect((HOST, PORT))
        self.local_port = local_port
        self.buf = b""
        key = base64.b64encode(hashlib.md5(key_seed.encode()).digest()).decode()
        req = (
            "GET / HTTP/1.1\r\n"
            f"Host: {HOST}:{PORT}\r\n"
            "Upgrade: websocket\r\n"
            "Connection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n"
            "Sec-WebSocket-Protocol: sip\r\n"
            "Origin: http://sipsleuth.test\r\n"
            "User-Agent: sipsleuth-test-ws-client\r\n"
            "\r\n"
        )
        self.sock.sendall(req.encode())
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        head = head.decode()
        if not head.startswith("HTTP/1.1 101"):
            raise SystemExit(f"{name}: handshake failed:\n{head}")
        want = base64.b64encode(
            hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()
        ).decode()
        if want not in head:
            raise SystemExit(f"{name}: bad Sec-WebSocket-Accept:\n{head}")
        log(f"{name}: websocket open")

    def _fill(self):
        d = self.sock.recv(65536)
        if not d:
            raise EOFError(f"{self.name}: connection closed")
        self.buf += d

    def _need(self, n):
        while len(self.buf) < n:
            self._fill()

    def send_frame(self, opcode, payload):
        mask = bytes(RNG.getrandbits(8) for _ in range(4))
        n = len(payload)
        hdr = bytes([0x80 | opcode])
        if n < 126:
            hdr += bytes([0x80 | n])
        elif n < 65536:
            hdr += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            hdr += bytes([0x80 | 127]) + struct.pack("!Q", n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(hdr + mask + masked)

    def recv_frame(self):
        self._need(2)
        b0, b1 = self.buf[0], self.buf[1]
        opcode = b0 & 0x0F
        n = b1 & 0x7F
        off = 2
        if n == 126:
            self._need(4)
            n = struct.unpack("!H", self.buf[2:4])[0]
            off = 4
        elif n == 127:
            self._need(10)
            n = struct.unpack("!Q", self.buf[2:10])[0]
            off = 10
        mask = None
        if b1 & 0x80:
            self._need(off + 4)
            mask = self.buf[off:off + 4]
            off += 4
        self._need(off + n)
        payload = self.buf[off:off + n]
        self.buf = self.buf[off + n:]
        if mask:
            payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        return opcode, payload

    def send_sip(self, text):
        first = text.split("\r\n", 1)[0]
        log(f"{self.name} >> {first}")
        self.send_frame(0x1, text.encode())

    def recv_sip(self):
        while True:
            op, payload = self.recv_frame()
            if op == 0x9:  # ping
                self.send_frame(0xA, payload)
                continue
            if op in (0x1, 0x2):
                msg = payload.decode()
                log(f"{self.name} << {msg.split(chr(13), 1)[0]}")
                return parse(msg)
            raise SystemExit(f"{self.name}: unexpected opcode {op}")

    def close(self):
        self.send_frame(0x8, struct.pack("!H", 1000) + b"bye")
        try:
            while True:
                op, _ = self.recv_frame()
                if op == 0x8:
                    break
        except (EOFError, socket.timeout):
            pass
        self.sock.close()
        log(f"{self.name}: websocket closed")


def parse(msg):
    head, _, body = msg.partition("\r\n\r\n")
    lines = head.split("\r\n")
    hdrs = []
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        hdrs.append((k.strip(), v.strip()))
    return {"start": lines[0], "headers": hdrs, "body": body}


def hdr(m, name):
    for k, v in m["headers"]:
        if k.lower() == name.lower():
            return v
    return None


def hdrs(m, name):
    return [v for k, v in m["headers"] if k.lower() == name.lower()]


def status(m):
    parts = m["start"].split(" ", 2)
    return int(parts[1]) if parts[0] == "SIP/2.0" else None


def md5(s):
    return hashlib.md5(s.encode()).hexdigest()


def digest(challenge, user, password, method, uri):
    params = {}
    for part in challenge[len("Digest "):].split(","):
        k, _, v = part.strip().partition("=")
        params[k] = v.strip('"')
    ha1 = md5(f"{user}:{params['realm']}:{password}")
    ha2 = md5(f"{method}:{uri}")
    if "qop" in params:
        nc, cnonce = "00000001", "0a4f113b"
        resp = md5(f"{ha1}:{params['nonce']}:{nc}:{cnonce}:auth:{ha2}")
        return (f'Digest username="{user}", realm="{params["realm"]}", '
                f'nonce="{params["nonce"]}", uri="{uri}", response="{resp}", '
                f'algorithm=MD5, qop=auth, nc={nc}, cnonce="{cnonce}"')
    resp = md5(f"{ha1}:{params['nonce']}:{ha2}")
    return (f'Digest username="{user}", realm="{params["realm"]}", '
            f'nonce="{params["nonce"]}", uri="{uri}", response="{resp}", algorithm=MD5')


class UA:
    def __init__(self, user, password, ws):
        self.user = user
        self.password = password
        self.ws = ws
        self.host = f"{user}-ws.invalid"
        self.nbranch = 0

    def branch(self, tag):
        self.nbranch += 1
        return f"z9hG4bK-ws-{self.user}-{tag}-{self.nbranch}"

    def via(self, br):
        return f"Via: SIP/2.0/WS {self.host};branch={br}"

    def register(self):
        cid = f"ws-reg-{self.user}@sipsleuth.test"
        auth = None
        for cseq in (1, 2):
            lines = [
                f"REGISTER sip:{REALM} SIP/2.0",
                self.via(self.branch("reg")),
                "Max-Forwards: 70",
                f"From: <sip:{self.user}@{REALM}>;tag=ws-reg-{self.user}",
                f"To: <sip:{self.user}@{REALM}>",
                f"Call-ID: {cid}",
                f"CSeq: {cseq} REGISTER",
                f"Contact: <sip:{self.user}@{self.host};transport=ws>;expires=600",
            ]
            if auth:
                lines.append(f"Authorization: {auth}")
            lines += ["User-Agent: sipsleuth-test-ws-client", "Content-Length: 0", "", ""]
            self.ws.send_sip("\r\n".join(lines))
            r = self.ws.recv_sip()
            if status(r) == 401 and auth is None:
                auth = digest(hdr(r, "WWW-Authenticate"), self.user, self.password,
                              "REGISTER", f"sip:{REALM}")
                continue
            if status(r) != 200:
                raise SystemExit(f"REGISTER {self.user}: got {r['start']}")
            return

    def simple(self, method, ruri, to, cid, body="", ctype=None, expect=200):
        br = self.branch(method.lower())
        lines = [
            f"{method} {ruri} SIP/2.0",
            self.via(br),
            "Max-Forwards: 70",
            f"From: <sip:{self.user}@{REALM}>;tag=ws-{method.lower()}-{self.user}",
            f"To: <{to}>",
            f"Call-ID: {cid}",
            f"CSeq: 1 {method}",
        ]
        if method in ("INVITE", "OPTIONS"):
            lines.append(f"Contact: <sip:{self.user}@{self.host};transport=ws>")
        if ctype:
            lines.append(f"Content-Type: {ctype}")
        lines += ["User-Agent: sipsleuth-test-ws-client",
                  f"Content-Length: {len(body.encode())}", "", body]
        self.ws.send_sip("\r\n".join(lines))
        while True:
            r = self.ws.recv_sip()
            st = status(r)
            if st is not None and st < 200:
                continue
            if st != expect:
                raise SystemExit(f"{method}: got {r['start']}, wanted {expect}")
            return br, r

    def answer(self, req, code=200, reason="OK"):
        lines = [f"SIP/2.0 {code} {reason}"]
        lines += [f"Via: {v}" for v in hdrs(req, "Via")]
        lines += [f"From: {hdr(req, 'From')}",
                  f"To: {hdr(req, 'To')};tag=ws-{self.user}-answer",
                  f"Call-ID: {hdr(req, 'Call-ID')}",
                  f"CSeq: {hdr(req, 'CSeq')}",
                  "User-Agent: sipsleuth-test-ws-client",
                  "Content-Length: 0", "", ""]
        self.ws.send_sip("\r\n".join(lines))


def main():
    bob = UA("bob", "bob-secret", WS("bob", 40002, "sipsleuth-bob"))
    alice = UA("alice", "alice-secret", WS("alice", 40001, "sipsleuth-alice"))
    bob.register()
    alice.register()
    alice.simple("OPTIONS", f"sip:{REALM}", f"sip:{REALM}", "ws-options@sipsleuth.test")

    # MESSAGE alice -> bob: kamailio sends the request down bob's websocket.
    body = "Hello bob, this is alice over WebSocket."
    br = alice.branch("message")
    lines = [
        f"MESSAGE sip:bob@{REALM} SIP/2.0",
        alice.via(br),
        "Max-Forwards: 70",
        f"From: <sip:alice@{REALM}>;tag=ws-message-alice",
        f"To: <sip:bob@{REALM}>",
        "Call-ID: ws-message@sipsleuth.test",
        "CSeq: 1 MESSAGE",
        "Content-Type: text/plain",
        "User-Agent: sipsleuth-test-ws-client",
        f"Content-Length: {len(body)}", "", body,
    ]
    alice.ws.send_sip("\r\n".join(lines))
    req = bob.ws.recv_sip()
    if not req["start"].startswith("MESSAGE "):
        raise SystemExit(f"bob: expected MESSAGE, got {req['start']}")
    bob.answer(req)
    r = alice.ws.recv_sip()
    if status(r) != 200:
        raise SystemExit(f"MESSAGE: got {r['start']}")

    # INVITE to a user who is not registered: 404, then ACK (same branch).
    sdp = ("v=0\r\no=alice 3001 3001 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
           "t=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=rtpmap:0 PCMU/8000\r\n")
    br, r = alice.simple("INVITE", f"sip:carol@{REALM}", f"sip:carol@{REALM}",
                         "ws-invite@sipsleuth.test", sdp, "application/sdp", expect=404)
    lines = [
        f"ACK sip:carol@{REALM} SIP/2.0",
        alice.via(br),
        "Max-Forwards: 70",
        f"From: <sip:alice@{REALM}>;tag=ws-invite-alice",
        f"To: {hdr(r, 'To')}",
        "Call-ID: ws-invite@sipsleuth.test",
        "CSeq: 1 ACK",
        "Content-Length: 0", "", "",
    ]
    alice.ws.send_sip("\r\n".join(lines))

    alice.ws.close()
    bob.ws.close()


if __name__ == "__main__":
    main()
