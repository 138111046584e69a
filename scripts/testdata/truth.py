#!/usr/bin/env python3
"""Known truth of the captures in testdata/calls/ and testdata/registrations/.

    python3 truth.py write CAPTURE   # check CAPTURE against its scenario truth,
                                     # then write CAPTURE.truth.json
    python3 truth.py check CAPTURE   # check CAPTURE against CAPTURE.truth.json

The truth below (SPECS) is what the make-truth-*.sh scenarios are built to do;
it is written by hand from the scenarios, not computed from the capture.  To
catch a scenario that did not go as planned, this script also derives the
outcome of every call / registration attempt from the capture (SIP messages
read with tshark, stdlib Python only) using the definitions in
testdata/calls/README.md and testdata/registrations/README.md, and fails if
the two differ.  Only measured values that change from run to run (PDD in ms,
timestamps) are taken from the capture into the JSON.
"""
import json
import os
import re
import subprocess
import sys
from collections import OrderedDict

CALL_CATEGORIES = ["SUCCESS", "TIMEOUT", "REJECTED", "CANCELLED", "ERROR",
                   "REDIRECTED", "NO_ANSWER", "INCOMPLETE"]
REG_CAUSES = ["AUTH_REJECTED", "FORBIDDEN", "NOT_FOUND", "TIMEOUT",
              "INTERVAL_TOO_BRIEF", "SERVER_ERROR", "SERVICE_UNAVAILABLE",
              "NO_RESPONSE", "OTHER"]
TIMER_B = 32.0       # 64*T1, T1 = 500 ms
PDD_CONFIGURED = 300  # ms: every UAS pauses 300 ms after its 100 Trying
PDD_TOLERANCE = (295, 400)  # accepted measured PDD (ms) when 300 is configured

D = "@sipsleuth.test"


def C(cid, final, category, pdd, first_18x=None, note=None, tx=None):
    c = OrderedDict(call_id=cid + D, final=final, category=category,
                    pdd_ms_approx=pdd)
    c["first_18x"] = first_18x
    if tx is not None:
        c["invite_transmissions"] = tx
    if note:
        c["note"] = note
    return c


def R(cid, aor, outcome, cause, req, granted, **extra):
    a = OrderedDict(call_id=cid + D, aor="sip:%s@sipsleuth.test" % aor,
                    outcome=outcome, cause=cause, requested_expires=req,
                    granted_expires=granted)
    a.update(extra)
    return a


REG_OK, REG_FAIL = "REGISTERED", "REGISTRATION_FAILED"

SPECS = {
    "calls-udp.pcap": dict(
        kind="calls", transport="udp", make="make-truth-calls.sh udp",
        calls=[
            C("c01-answered", 200, "SUCCESS", 300, 180),
            C("c02-answered-early", 200, "SUCCESS", 300, 183,
              "183 Session Progress (SDP) 300 ms after the INVITE, 180 300 ms later, 200 300 ms later"),
            C("c03-busy", 486, "REJECTED", 300, 180),
            C("c04-declined", 603, "REJECTED", None, None, "603 Decline without any 18x"),
            C("c05-unavailable", 480, "TIMEOUT", 300, 180),
            C("c06-cancelled", 487, "CANCELLED", 300, 180,
              "caller CANCELs 1 s after the 180; kamailio answers the CANCEL 200 and relays bob's 487"),
            C("c07-ring-timeout", 408, "TIMEOUT", 300, 180,
              "bob rings and never answers; kamailio's fr_inv_timer (3 s) fires: kamailio sends 408 to the caller "
              "and CANCELs bob, whose 487 (on the kamailio-bob hop) is absorbed by kamailio"),
            C("c08-callee-503", 500, "ERROR", None, None,
              "bob answers 503 Service Unavailable + Retry-After: 30; kamailio (tm remap_503_500) relays it to "
              "the caller as 500 Service Unavailable (the 503 is only on the kamailio-bob hop)"),
            C("c09-unknown-callee", 404, "ERROR", None, None,
              "INVITE sip:nobody@sipsleuth.test: 407, then kamailio answers 404 (no such registered user)"),
            C("c10-redirected", 302, "REDIRECTED", None, None,
              "bob answers 302 Moved Temporarily (Contact: sip:carol@sipsleuth.test); kamailio relays it"),
        ]),
    "calls-tcp.pcap": dict(
        kind="calls", transport="tcp", make="make-truth-calls.sh tcp",
        calls=[
            C("t01-answered", 200, "SUCCESS", 300, 180),
            C("t02-busy", 486, "REJECTED", 300, 180),
            C("t03-cancelled", 487, "CANCELLED", 300, 180, "caller CANCELs 1 s after the 180"),
            C("t04-ring-timeout", 408, "TIMEOUT", 300, 180,
              "408 from kamailio after fr_inv_timer (3 s); bob's 487 stays on the kamailio-bob hop"),
            C("t05-unknown-callee", 404, "ERROR", None, None, "407, then 404 from kamailio"),
            C("t06-callee-503", 503, "ERROR", None, None,
              "bob answers 503 Service Unavailable + Retry-After: 30 without any 18x; in this capture "
              "kamailio runs with remap_503_500 = 0 (-A KEEP_503) and relays the 503 unchanged"),
        ]),
    "calls-ipv6.pcap": dict(
        kind="calls", transport="udp", make="make-truth-calls.sh ipv6",
        calls=[
            C("v01-answered", 200, "SUCCESS", 300, 180),
            C("v02-busy", 486, "REJECTED", 300, 180),
            C("v03-declined", 603, "REJECTED", None, None, "603 Decline without any 18x"),
        ]),
    "calls-silent-callee.pcap": dict(
        kind="calls", transport="udp", make="make-truth-silent-call.sh",
        calls=[
            C("s01-no-answer", None, "NO_ANSWER", None, None,
              "INVITE 10.99.0.1:5061 -> 10.99.0.2:5060, nothing ever answers; 7 transmissions "
              "(0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 s); SIPp stops waiting at 32 s (Timer B) and sends "
              "nothing more (no CANCEL); the capture's last packet (s02's 6th INVITE) is about 39.5 s "
              "after s01's first INVITE", tx=7),
            C("s02-capture-ends", None, "NO_ANSWER", None, None,
              "INVITE 10.99.0.1:5062 -> 10.99.0.2:5060 first sent 24 s after s01's; 6 transmissions "
              "(0, 0.5, 1.5, 3.5, 7.5, 15.5 s); the 6th is the last packet of the capture (15.5 s after "
              "its first INVITE, before Timer B). Nothing at all answered and the INVITE was "
              "retransmitted: unanswered at the end of the capture (issue #15), NO_ANSWER, not "
              "INCOMPLETE", tx=6),
        ]),
    "registrations.pcap": dict(
        kind="registrations", transport="udp", make="make-truth-registrations.sh udp",
        attempts=[
            R("reg-alice-refresh", "alice", REG_OK, None, 3600, 600,
              note="REGISTER, 401, REGISTER (Authorization), 200; kamailio max_expires 600"),
            R("reg-alice-refresh", "alice", REG_OK, None, 3600, 600,
              note="refresh 1 s after the 200, same Call-ID, CSeq 3, credentials reused: 200 at once"),
            R("reg-bob-dereg", "bob", REG_OK, None, 3600, 600),
            R("reg-bob-dereg", "bob", REG_OK, None, 0, 0, deregistration=True,
              note="de-registration (Expires: 0) 1 s after the 200: 200 without Contact"),
            R("reg-alice-badpw", "alice", REG_FAIL, "AUTH_REJECTED", 3600, None,
              note="REGISTER, 401, REGISTER with a wrong password, 401; the UA gives up"),
            R("reg-mallory-unknown", "mallory", REG_FAIL, "NOT_FOUND", 3600, None,
              note="user not known to kamailio: 404 Not Found at once, no challenge"),
            R("reg-carol-forbidden", "carol", REG_FAIL, "FORBIDDEN", 3600, None,
              note="REGISTER, 401, REGISTER (correct credentials), 403 Forbidden"),
            R("reg-bob-423-retry", "bob", REG_OK, None, 30, 60, requested_expires_last=60,
              note="REGISTER (Expires 30), 401, REGISTER (auth, 30), 423 (Min-Expires: 60), "
                   "REGISTER (auth, Expires 60), 200: one attempt"),
            R("reg-alice-423-giveup", "alice", REG_FAIL, "INTERVAL_TOO_BRIEF", 30, None,
              note="REGISTER (Expires 30), 401, REGISTER (auth, 30), 423 (Min-Expires: 60); no retry"),
            R("reg-dave-503", "dave", REG_FAIL, "SERVICE_UNAVAILABLE", 3600, None, retry_after=120,
              note="503 Service Unavailable with Retry-After: 120 at once"),
            R("reg-erin-500", "erin", REG_FAIL, "SERVER_ERROR", 3600, None,
              note="500 Server Internal Error at once; this and the next two run 35 s after the ghost's REGISTER"),
            R("reg-frank-408", "frank", REG_FAIL, "TIMEOUT", 3600, None,
              note="408 Request Timeout at once (sent by kamailio)"),
            R("reg-grace-420", "grace", REG_FAIL, "OTHER", 3600, None,
              note="REGISTER with 'Require: sipsleuth-ext': 420 Bad Extension (Unsupported: sipsleuth-ext)"),
            R("reg-ghost-noanswer", "ghost", REG_FAIL, "NO_RESPONSE", 3600, None, register_transmissions=10,
              note="REGISTER 10.99.0.1:5412 -> 10.99.0.2:5060, first of all; nothing answers: 10 transmissions "
                   "(0, 0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5 s; Timer E doubling, capped at "
                   "T2 = 4 s); SIPp gives up at 31.5 s instead of sending an 11th"),
        ]),
    "registrations-tcp.pcap": dict(
        kind="registrations", transport="tcp", make="make-truth-registrations.sh tcp",
        attempts=[
            R("treg-alice-refresh", "alice", REG_OK, None, 3600, 600),
            R("treg-alice-refresh", "alice", REG_OK, None, 3600, 600, note="refresh after the 200"),
            R("treg-alice-badpw", "alice", REG_FAIL, "AUTH_REJECTED", 3600, None),
            R("treg-bob-423-retry", "bob", REG_OK, None, 30, 60, requested_expires_last=60),
            R("treg-carol-forbidden", "carol", REG_FAIL, "FORBIDDEN", 3600, None),
            R("treg-dave-503", "dave", REG_FAIL, "SERVICE_UNAVAILABLE", 3600, None, retry_after=120),
        ]),
}

# ---------------------------------------------------------------- capture reading

FIELDS = ["frame.number", "frame.time_epoch", "ip.src", "ipv6.src", "ip.dst", "ipv6.dst",
          "udp.srcport", "udp.dstport", "tcp.srcport", "tcp.dstport",
          "sip.Request-Line", "sip.Status-Line", "sip.msg_hdr"]
AGG = "\x1f"
COMPACT = {"i": "call-id", "v": "via", "f": "from", "t": "to", "m": "contact",
           "l": "content-length", "c": "content-type", "k": "supported"}


class Msg:
    pass


def run_tshark(args):
    return subprocess.run(["tshark", "-n"] + args, check=True, capture_output=True,
                          text=True, errors="replace").stdout


def capture_span(path):
    out = run_tshark(["-r", path, "-T", "fields", "-e", "frame.time_epoch"])
    ts = [float(x) for x in out.split()]
    return min(ts), max(ts)


def read_sip(path):
    cmd = ["-r", path, "-Y", "sip && !icmp && !icmpv6", "-T", "fields",
           "-E", "separator=\t", "-E", "aggregator=" + AGG, "-E", "occurrence=a"]
    for f in FIELDS:
        cmd += ["-e", f]
    msgs = []
    for line in run_tshark(cmd).splitlines():
        col = line.split("\t")
        col += [""] * (len(FIELDS) - len(col))
        v = dict(zip(FIELDS, col))
        src = v["ip.src"] or v["ipv6.src"]
        dst = v["ip.dst"] or v["ipv6.dst"]
        tr = "tcp" if v["tcp.srcport"] else "udp"
        sport = v["tcp.srcport"] or v["udp.srcport"]
        dport = v["tcp.dstport"] or v["udp.dstport"]
        reqs = [x for x in v["sip.Request-Line"].split(AGG) if x]
        stats = [x for x in v["sip.Status-Line"].split(AGG) if x]
        hdrs = [x for x in v["sip.msg_hdr"].split(AGG) if x]
        # one frame may hold several SIP messages (TCP); in these captures the
        # request/status lines come in message order, so pair them with headers
        firsts = reqs + stats
        if reqs and stats:
            raise SystemExit("frame %s holds both requests and responses; order unknown" % v["frame.number"])
        if len(firsts) != len(hdrs):
            raise SystemExit("frame %s: cannot pair SIP start lines and headers" % v["frame.number"])
        for first, hdr in zip(firsts, hdrs):
            m = Msg()
            m.frame = int(v["frame.number"])
            m.time = float(v["frame.time_epoch"])
            fmt = "[%s]:%s" if ":" in src else "%s:%s"
            m.src = fmt % (src, sport)
            m.dst = fmt % (dst, dport)
            m.transport = tr
            m.first = first
            m.headers = parse_headers(hdr)
            if first.startswith("SIP/2.0 "):
                m.is_req, m.method = False, None
                m.code = int(first.split()[1])
            else:
                m.is_req, m.method, m.code = True, first.split()[0], None
            cseq = hv(m, "cseq").split()
            m.cseq_num, m.cseq_method = int(cseq[0]), cseq[1]
            m.call_id = hv(m, "call-id").strip()
            m.to_tag = tag_of(hv(m, "to"))
            m.to_uri = uri_of(hv(m, "to"))
            msgs.append(m)
    msgs.sort(key=lambda m: (m.time, m.frame))
    return msgs


def parse_headers(text):
    text = text.replace("\\r\\n", "\n").replace("\\t", "\t").replace('\\"', '"').replace("\\\\", "\\")
    h = {}
    for line in text.split("\n"):
        if not line.strip() or ":" not in line:
            continue
        name, val = line.split(":", 1)
        name = name.strip().lower()
        name = COMPACT.get(name, name)
        h.setdefault(name, []).append(val.strip())
    return h


def hv(m, name, default=""):
    vals = m.headers.get(name)
    return vals[0] if vals else default


def tag_of(v):
    mm = re.search(r";\s*tag=([^;>\s,]+)", v.split(">")[-1] if ">" in v else v)
    return mm.group(1) if mm else None


def uri_of(v):
    mm = re.search(r"<([^>]*)>", v)
    u = mm.group(1) if mm else v.split(";")[0].strip()
    return u


# ---------------------------------------------------------------- derivations

def call_category(code):
    if code is None:
        return None
    if 200 <= code < 300:
        return "SUCCESS"
    if 300 <= code < 400:
        return "REDIRECTED"
    if code in (408, 480):
        return "TIMEOUT"
    if code in (486, 600, 603):
        return "REJECTED"
    if code == 487:
        return "CANCELLED"
    return "ERROR"


def derive_calls(path):
    msgs = read_sip(path)
    start, end = capture_span(path)
    by_cid = OrderedDict()
    for m in msgs:
        by_cid.setdefault(m.call_id, []).append(m)
    res = OrderedDict()
    for cid, ms in by_cid.items():
        first = ms[0]
        if not (first.is_req and first.method == "INVITE" and first.to_tag is None):
            continue
        caller = first.src
        t0 = first.time
        cancelled = any(m.is_req and m.method == "CANCEL" and m.src == caller for m in ms)
        inv_from_caller = [m for m in ms if m.is_req and m.method == "INVITE" and m.src == caller
                           and m.to_tag is None]
        to_caller = [m for m in ms if not m.is_req and m.dst == caller and m.cseq_method == "INVITE"]
        final = None
        for r in to_caller:
            if r.code < 200:
                continue
            if r.code in (401, 407) and any(i.cseq_num > r.cseq_num for i in inv_from_caller):
                continue
            final = r
            break
        ring = next((r for r in to_caller if r.code in (180, 183)), None)
        if final is not None:
            cat = call_category(final.code)
            if final.code == 487 and not cancelled:
                cat = "ERROR"
        else:
            # Judged at the end of the capture too (issue #15): an INVITE retransmitted
            # with nothing at all coming back is already unanswered before Timer B.
            tx = sum(1 for i in inv_from_caller if i.cseq_num == first.cseq_num)
            silent = not to_caller and tx > 1
            cat = "NO_ANSWER" if end - t0 >= TIMER_B or silent else "INCOMPLETE"
        res[cid] = dict(
            caller=caller, final=final.code if final else None, category=cat,
            first_18x=ring.code if ring else None,
            pdd_ms=round((ring.time - t0) * 1000, 1) if ring else None,
            invite_transmissions=sum(1 for i in inv_from_caller if i.cseq_num == first.cseq_num),
            seconds_captured_after_first_invite=round(end - t0, 1))
    return res, msgs, (start, end)


def expires_of_request(m):
    cv = hv(m, "contact")
    mm = re.search(r";\s*expires=(\d+)", cv)
    if mm:
        return int(mm.group(1))
    e = hv(m, "expires")
    return int(e) if e.strip().isdigit() else None


def granted_of(resp, req):
    want = uri_of(hv(req, "contact"))
    for cv in resp.headers.get("contact", []):
        for part in re.split(r",(?=\s*<)", cv):
            if uri_of(part) == want:
                mm = re.search(r";\s*expires=(\d+)", part.split(">")[-1])
                if mm:
                    return int(mm.group(1))
    e = hv(resp, "expires")
    if e.strip().isdigit():
        return int(e)
    return None


def reg_cause(code, had_creds):
    if code in (401, 407):
        return "AUTH_REJECTED" if had_creds else "OTHER"
    if code == 403:
        return "FORBIDDEN"
    if code == 404:
        return "NOT_FOUND"
    if code == 408:
        return "TIMEOUT"
    if code == 423:
        return "INTERVAL_TOO_BRIEF"
    if code == 503:
        return "SERVICE_UNAVAILABLE"
    if 500 <= code < 600:
        return "SERVER_ERROR"
    return "OTHER"


def derive_registrations(path):
    msgs = read_sip(path)
    chains = OrderedDict()
    for m in msgs:
        if m.is_req and m.method == "REGISTER":
            chains.setdefault((m.call_id, m.to_uri), []).append(m)
    out = []
    for (cid, aor), reqs in chains.items():
        client = reqs[0].src
        txs = OrderedDict()
        for r in reqs:
            txs.setdefault(r.cseq_num, []).append(r)
        resp = [m for m in msgs if not m.is_req and m.call_id == cid and m.cseq_method == "REGISTER"
                and m.dst == client and m.code >= 200]
        cur = None
        items = list(txs.items())
        for i, (cseq, rs) in enumerate(items):
            req = rs[0]
            has_next = i + 1 < len(items)
            if cur is None:
                cur = dict(call_id=cid, aor=aor, requested_expires=expires_of_request(req),
                           steps=[], transmissions=0)
            fin = next((x for x in resp if x.cseq_num == cseq), None)
            cur["steps"].append(fin.code if fin else None)
            cur["transmissions"] += len(rs)
            cur["requested_expires_last"] = expires_of_request(req)
            done = None
            if fin is None:
                done = (REG_FAIL, "NO_RESPONSE", None)
            elif 200 <= fin.code < 300:
                done = (REG_OK, None, granted_of(fin, req))
                if cur["requested_expires_last"] == 0:
                    cur["deregistration"] = True
                    done = (REG_OK, None, 0)
            elif fin.code in (401, 407, 423) and has_next:
                continue
            else:
                had = "authorization" in req.headers or "proxy-authorization" in req.headers
                done = (REG_FAIL, reg_cause(fin.code, had), None)
                ra = hv(fin, "retry-after")
                if ra:
                    cur["retry_after"] = int(ra.split()[0])
            cur["outcome"], cur["cause"], cur["granted_expires"] = done
            out.append(cur)
            cur = None
        if cur is not None:   # unreachable: every tx closes or continues
            out.append(cur)
    return out, msgs


# ---------------------------------------------------------------- truth JSON

def sip_stat(path):
    out = run_tshark(["-r", path, "-q", "-z", "sip,stat"])
    req, resp = OrderedDict(), OrderedDict()
    total = resent = None
    for line in out.splitlines():
        mm = re.match(r"\s*SIP (\d{3}) .*:\s*(\d+) Packets", line)
        if mm:
            resp[mm.group(1)] = int(mm.group(2))
            continue
        mm = re.match(r"\s+([A-Z]+)\s+:\s*(\d+) Packets", line)
        if mm:
            req[mm.group(1)] = int(mm.group(2))
            continue
        mm = re.search(r"Number of SIP messages: (\d+)", line)
        if mm:
            total = int(mm.group(1))
        mm = re.search(r"Number of resent SIP messages: (\d+)", line)
        if mm:
            resent = int(mm.group(1))
    return OrderedDict(requests=req, responses=resp, total=total, resent=resent)


def build(path):
    name = os.path.basename(path)
    spec = SPECS[name]
    errors = []
    doc = OrderedDict(file=name, kind=spec["kind"], transport=spec["transport"],
                      made_by="scripts/testdata/" + spec["make"])
    if spec["kind"] == "calls":
        got, _, (start, end) = derive_calls(path)
        calls = []
        for c in spec["calls"]:
            c = OrderedDict(c)
            g = got.pop(c["call_id"], None)
            if g is None:
                errors.append("%s: not a call attempt in the capture" % c["call_id"])
                continue
            for k in ("final", "category", "first_18x"):
                if g[k] != c[k]:
                    errors.append("%s: %s is %r in the capture, truth says %r" % (c["call_id"], k, g[k], c[k]))
            if c["pdd_ms_approx"] is None:
                if g["pdd_ms"] is not None:
                    errors.append("%s: capture has a PDD of %s ms, truth says none" % (c["call_id"], g["pdd_ms"]))
            elif g["pdd_ms"] is None or not PDD_TOLERANCE[0] <= g["pdd_ms"] <= PDD_TOLERANCE[1]:
                errors.append("%s: measured PDD %s ms not near %s" % (c["call_id"], g["pdd_ms"], c["pdd_ms_approx"]))
            c["pdd_ms_measured"] = g["pdd_ms"]
            c["caller"] = g["caller"]
            if "invite_transmissions" in c and c["invite_transmissions"] != g["invite_transmissions"]:
                errors.append("%s: %d INVITE transmissions in the capture, truth says %d"
                              % (c["call_id"], g["invite_transmissions"], c["invite_transmissions"]))
            c["invite_transmissions"] = g["invite_transmissions"]
            if c["category"] in ("NO_ANSWER", "INCOMPLETE"):
                c["seconds_captured_after_first_invite"] = g["seconds_captured_after_first_invite"]
            calls.append(c)
        for cid in got:
            errors.append("%s: call attempt in the capture but not in the truth" % cid)
        outcomes = OrderedDict((k, sum(1 for c in calls if c["category"] == k)) for k in CALL_CATEGORIES)
        codes = OrderedDict()
        for c in sorted(calls, key=lambda c: c["final"] or 0):
            if c["final"] is not None:
                codes[str(c["final"])] = codes.get(str(c["final"]), 0) + 1
        doc.update(attempts=len(calls), outcomes=outcomes, final_codes=codes,
                   pdd_ms_configured=PDD_CONFIGURED,
                   capture_seconds=round(end - start, 1), calls=calls)
    else:
        got, _ = derive_registrations(path)
        # pair the k-th spec attempt of a (Call-ID, AOR) with the k-th one in the capture
        pool = OrderedDict()
        for g in got:
            pool.setdefault((g["call_id"], g["aor"]), []).append(g)
        atts = []
        for i, a in enumerate(spec["attempts"]):
            a = OrderedDict(a)
            lst = pool.get((a["call_id"], a["aor"]), [])
            g = lst.pop(0) if lst else None
            if g is None:
                errors.append("attempt %d (%s): missing in the capture" % (i + 1, a["call_id"]))
                continue
            for k in ("call_id", "aor", "outcome", "cause", "requested_expires", "granted_expires"):
                if g.get(k) != a.get(k):
                    errors.append("attempt %d (%s): %s is %r in the capture, truth says %r"
                                  % (i + 1, a["call_id"], k, g.get(k), a.get(k)))
            for k in ("retry_after", "deregistration"):
                if g.get(k) != a.get(k):
                    errors.append("attempt %d (%s): %s is %r in the capture, truth says %r"
                                  % (i + 1, a["call_id"], k, g.get(k), a.get(k)))
            if "requested_expires_last" in a and g["requested_expires_last"] != a["requested_expires_last"]:
                errors.append("attempt %d: requested_expires_last %r" % (i + 1, g["requested_expires_last"]))
            if "register_transmissions" in a and a["register_transmissions"] != g["transmissions"]:
                errors.append("attempt %d (%s): %d REGISTER transmissions in the capture, truth says %d"
                              % (i + 1, a["call_id"], g["transmissions"], a["register_transmissions"]))
            a["responses"] = g["steps"]
            a["register_transmissions"] = g["transmissions"]
            note = a.pop("note", None)
            if note:
                a["note"] = note
            atts.append(a)
        if len(got) > len(spec["attempts"]):
            errors.append("capture has %d attempts, truth %d" % (len(got), len(spec["attempts"])))
        causes = OrderedDict((k, sum(1 for a in atts if a["cause"] == k)) for k in REG_CAUSES)
        doc.update(attempts=len(atts),
                   registered=sum(1 for a in atts if a["outcome"] == REG_OK),
                   failed=sum(1 for a in atts if a["outcome"] == REG_FAIL),
                   deregistrations=sum(1 for a in atts if a.get("deregistration")),
                   causes=causes, attempts_list=atts)
    doc["tshark_sip_stat"] = sip_stat(path)
    return doc, errors


STABLE_SKIP = {"pdd_ms_measured", "capture_seconds", "seconds_captured_after_first_invite", "made_by"}


def strip_measured(x):
    if isinstance(x, dict):
        return {k: strip_measured(v) for k, v in x.items() if k not in STABLE_SKIP}
    if isinstance(x, list):
        return [strip_measured(v) for v in x]
    return x


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("write", "check"):
        print(__doc__)
        return 2
    path = sys.argv[2]
    doc, errors = build(path)
    for e in errors:
        print("TRUTH MISMATCH %s: %s" % (os.path.basename(path), e), file=sys.stderr)
    if errors:
        return 1
    jpath = path + ".truth.json"
    if sys.argv[1] == "write":
        with open(jpath, "w") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")
        print("wrote %s" % jpath, file=sys.stderr)
    else:
        with open(jpath) as f:
            old = json.load(f)
        if strip_measured(old) != strip_measured(json.loads(json.dumps(doc))):
            print("%s differs from the capture" % jpath, file=sys.stderr)
            return 1
        print("ok %s" % path, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
