#!/usr/bin/env python3
"""Known truth of the media captures in testdata/media/ (issue #12).

    python3 media_truth.py write CAPTURE   # check CAPTURE against its scenario,
                                           # then write CAPTURE.truth.json
    python3 media_truth.py check CAPTURE   # the same checks, then compare with
                                           # the existing CAPTURE.truth.json
    python3 media_truth.py streams CAPTURE # print tshark's rtp,streams as JSON
                                           # (any capture, e.g. ../shared's)
    python3 media_truth.py public DIR OUT  # the same for every capture of
                                           # DIR/INDEX.tsv (../shared/captures)
                                           # with RTP, into OUT (JSON)

`streams` is tshark's own table (`tshark -n -o rtp.heuristic_rtp:TRUE -q -z
rtp,streams -r FILE`, the command is stored in the JSON), one object per row,
plus the payload type numbers each stream carried (read with tshark too).
Heuristic RTP is on because the NAT captures send RTP from an address no SDP
names, where tshark's SDP-based detection would miss it.

`calls` holds, per Call-ID, the media verdict the scenario of make-media.sh
was built to give and why (written here by hand, SPECS), and the facts this
script measures from the capture on its own: the offer's and answer's c=/m=,
where the signalling came from, the streams of the call and their direction.
The script derives the verdict from those facts too, with the rules below, and
fails when the two disagree, so a run that did not go as planned is caught.
The rules (the media helper may refine them; these are what the captures are
built to show):
  NO_MEDIA        no RTP stream of the call (by SDP address/port) at all;
  CODEC_MISMATCH  a stream carries a payload type the answer did not list;
  ONE_WAY         RTP in one direction only;
  LATE_MEDIA      the first RTP of the call more than LATE_S after the 200;
  OK              otherwise (loss and jitter are quality numbers, not verdicts).
Checked in that order. A stream belongs to a call when its destination or
source is one of the call's SDP media endpoints and it starts within the
call (INVITE to the BYE's answer, or to the end of the capture).
"""
import json
import os
import re
import subprocess
import sys
from collections import OrderedDict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from patterns import truth_cli  # noqa: E402

LATE_S = 2.0  # s after the 200 OK: first RTP later than this is LATE_MEDIA here
STREAMS_CMD = ["tshark", "-n", "-o", "rtp.heuristic_rtp:TRUE", "-q", "-z", "rtp,streams", "-r"]
PRIVATE = (re.compile(r"^10\."), re.compile(r"^192\.168\."), re.compile(r"^172\.(1[6-9]|2\d|3[01])\."))

NAT_NOTE = ("SDP c= private (192.168.1.x) while the INVITE comes from 203.0.113.5 (the office NAT)")
SPECS = {
    "clean.pcap": dict(
        made="clean", calls=[
            ("clean-alice-1", "OK", "answered, PCMA both ways for 3 s, BYE"),
            ("clean-dave-1", "OK", "answered, PCMA both ways for 3 s, BYE"),
            ("clean-erin-1", "OK", "answered, PCMA both ways for 3 s, BYE")]),
    "loss.pcap": dict(
        made="loss", calls=[
            ("loss-alice-1", "OK", "PCMA both ways for 5 s; alice->bob lost ~4% (every 40th packet and a "
                                   "burst of 6): a quality number, not a verdict")]),
    "jitter.pcap": dict(
        made="jitter", calls=[
            ("jitter-alice-1", "OK", "PCMA both ways for 5 s; alice->bob delayed 0-60 ms (spikes to 110 ms), "
                                     "some reordered: a quality number, not a verdict")]),
    "no-media.pcap": dict(
        made="no-media", calls=[
            ("no-media-alice-1", "NO_MEDIA", "answered with SDP both ways, held 3 s, BYE; no RTP at all")]),
    "late-media.pcap": dict(
        made="late-media", calls=[
            ("late-media-alice-1", "LATE_MEDIA", "both sides start RTP 4 s after the 200/ACK")]),
    "early-media.pcap": dict(
        made="early-media", calls=[
            ("early-media-alice-1", "OK", "183 with SDP and bob's RTP 2 s before the 200; both ways after it")]),
    "codec-mismatch.pcap": dict(
        made="codec-mismatch", calls=[
            ("codec-mismatch-alice-1", "CODEC_MISMATCH",
             "offer and answer PCMU (0) only; alice sends payload type 8 (PCMA), bob 0")]),
    "nat.pcap": dict(
        made="nat", calls=[
            ("nat-alice-1", "OK", NAT_NOTE + "; bob's RTP echo answers to where the RTP comes from "
                                  "(symmetric RTP / latching), so media flows both ways")]),
    "one-way.pcap": dict(
        made="one-way", calls=[
            ("one-way-alice-1", "ONE_WAY", NAT_NOTE + "; bob sends to 192.168.1.101, unroutable: only "
                                           "alice->bob RTP"),
            ("one-way-dave-1", "ONE_WAY", NAT_NOTE + "; only dave->bob RTP"),
            ("one-way-erin-1", "ONE_WAY", NAT_NOTE + "; only erin->bob RTP"),
            ("one-way-frank-1", "ONE_WAY", NAT_NOTE + "; only frank->bob RTP"),
            ("one-way-carol-1", "OK", "public caller 198.51.100.30, PCMA both ways"),
            ("one-way-carol-2", "OK", "public caller 198.51.100.30, PCMA both ways")]),
    "cut.pcap": dict(
        made="cut", calls=[
            ("cut-alice-1", "ONE_WAY", NAT_NOTE + "; only alice->bob RTP; the capture ends ~3 s after the "
                                       "200, during the call (no BYE)")]),
    "hold.pcap": dict(
        made="hold", software="SIPp 3.6.1 (sipp/media-uac-hold.xml, sipp/media-uas-hold.xml, rtp_stream)", calls=[
            ("hold-alice-1", "OK", "PCMA both ways; re-INVITE a=sendonly puts bob on hold for 2 s (his RTP "
                                   "pauses, alice's goes on), re-INVITE a=sendrecv resumes: a negotiated "
                                   "one-way period, not ONE_WAY")]),
    "rtcp.pcap": dict(
        made="rtcp", software="baresip 1.0.0 (two user agents)", calls=[
            # baresip picks its own Call-ID: None stands for the capture's only call
            (None, "OK", "baresip to baresip, PCMA both ways for ~10 s, with RTCP (APP, SR+SDES, BYE) on "
                         "port+1 both ways")]),
}


def tshark(args):
    return subprocess.run(["tshark", "-n"] + args, check=True, capture_output=True, text=True).stdout


ROW = re.compile(
    r"^\s*(?P<start>[\d.]+)\s+(?P<end>[\d.]+)\s+(?P<src>\S+)\s+(?P<sport>\d+)\s+(?P<dst>\S+)\s+(?P<dport>\d+)"
    r"\s+(?P<ssrc>0x[0-9A-Fa-f]+)\s+(?P<payload>.+?)\s+(?P<pkts>\d+)\s+(?P<lost>-?\d+)\s+\((?P<lostpct>-?[\d.]+)%\)"
    r"\s+(?P<mind>-?[\d.]+)\s+(?P<meand>-?[\d.]+)\s+(?P<maxd>-?[\d.]+)"
    r"\s+(?P<minj>-?[\d.]+)\s+(?P<meanj>-?[\d.]+)\s+(?P<maxj>-?[\d.]+)\s*(?P<problem>X?)\s*$")


def rtp_streams(path):
    """tshark's rtp,streams rows, in its order, with the payload types seen."""
    out = subprocess.run(STREAMS_CMD + [path], check=True, capture_output=True, text=True).stdout
    rows = []
    for line in out.splitlines():
        m = ROW.match(line)
        if not m:
            continue
        g = m.groupdict()
        rows.append(OrderedDict([
            ("src", g["src"]), ("src_port", int(g["sport"])), ("dst", g["dst"]), ("dst_port", int(g["dport"])),
            ("ssrc", "0x%08X" % int(g["ssrc"], 16)), ("payload", g["payload"]), ("packets", int(g["pkts"])),
            ("lost", int(g["lost"])), ("lost_pct", float(g["lostpct"])),
            ("min_delta_ms", float(g["mind"])), ("mean_delta_ms", float(g["meand"])),
            ("max_delta_ms", float(g["maxd"])), ("min_jitter_ms", float(g["minj"])),
            ("mean_jitter_ms", float(g["meanj"])), ("max_jitter_ms", float(g["maxj"])),
            ("problem", g["problem"] == "X"), ("start_s", float(g["start"])), ("end_s", float(g["end"]))]))
    n_rows = sum(1 for line in out.splitlines() if re.match(r"^\s*\d+\.\d+\s+\d+\.\d+\s", line))
    if n_rows != len(rows):
        raise SystemExit("%s: could not parse %d of tshark's rtp,streams rows:\n%s" % (path, n_rows - len(rows), out))
    # payload type numbers per stream (tshark's table names them, numbers are what SDP lists)
    pts = {}
    # the innermost addresses and ports (tunnels: GTP, IP in IP), as rtp,streams shows them
    for line in tshark(["-o", "rtp.heuristic_rtp:TRUE", "-r", path, "-Y", "rtp && !icmp && !icmpv6", "-T", "fields",
                        "-E", "occurrence=l", "-e", "_ws.col.Source", "-e", "udp.srcport",
                        "-e", "_ws.col.Destination", "-e", "udp.dstport",
                        "-e", "rtp.ssrc", "-e", "rtp.p_type"]).splitlines():
        c = line.split("\t")
        if len(c) < 6 or not c[5]:
            continue
        key = (c[0], int(c[1]), c[2], int(c[3]), "0x%08X" % int(c[4], 16))
        pts.setdefault(key, set()).add(int(c[5]))
    for r in rows:
        r["payload_types"] = sorted(pts.get((r["src"], r["src_port"], r["dst"], r["dst_port"], r["ssrc"]), ()))
    return rows


def rtcp_packets(path):
    """RTCP packets found by tshark's RTCP heuristic: (src, sport, dst, dport, types)."""
    out = tshark(["-o", "rtcp.heuristic_rtcp:TRUE", "-r", path, "-Y", "rtcp && !icmp", "-T", "fields",
                  "-e", "ip.src", "-e", "udp.srcport", "-e", "ip.dst", "-e", "udp.dstport", "-e", "rtcp.pt"])
    return [line.split("\t") for line in out.splitlines() if line.strip()]


def sip_invite_dialogs(path):
    """Per Call-ID: first INVITE (time, source, SDP), 183/200 SDP and times, BYE and its answer."""
    out = tshark(["-r", path, "-Y", "sip && !icmp", "-T", "fields", "-E", "separator=\t",
                  "-e", "frame.time_relative", "-e", "ip.src", "-e", "udp.srcport", "-e", "sip.Call-ID",
                  "-e", "sip.Method", "-e", "sip.Status-Code", "-e", "sip.CSeq.method",
                  "-e", "sdp.connection_info.address", "-e", "sdp.media"])
    calls = OrderedDict()
    for line in out.splitlines():
        c = (line.split("\t") + [""] * 9)[:9]
        t, src, sport, cid, method, code, cseq_m, caddr, mline = c
        t = float(t)
        d = calls.setdefault(cid, dict(invite=None, answers=[], t200=None, bye=None, bye_ok=None, last=t))
        d["last"] = max(d["last"], t)
        sdp = None
        if mline:
            f = mline.split(",")[0].split()
            sdp = dict(addr=caddr.split(",")[0], port=int(f[1]), formats=[int(x) for x in f[3:] if x.isdigit()])
        if method == "INVITE" and d["invite"] is None:
            d["invite"] = dict(t=t, src="%s:%s" % (src, sport), sdp=sdp)
        elif code and cseq_m == "INVITE" and sdp is not None:
            d["answers"].append(dict(t=t, code=int(code), sdp=sdp))
            if code == "200" and d["t200"] is None:
                d["t200"] = t
        elif method == "BYE" and d["bye"] is None:
            d["bye"] = t
        elif code and cseq_m == "BYE":
            d["bye_ok"] = t
    return calls


def derive(cid, d, streams, cap_end):
    """The measured facts of one call and the verdict the rules give."""
    offer = d["invite"]["sdp"]
    answer = d["answers"][-1]["sdp"] if d["answers"] else None
    ea = (offer["addr"], offer["port"])
    eb = (answer["addr"], answer["port"]) if answer else None
    end = d["bye_ok"] or d["bye"] or cap_end
    mine = []
    for s in streams:
        if not (d["invite"]["t"] <= s["start_s"] <= end + 0.5):
            continue
        sd, ss = (s["dst"], s["dst_port"]), (s["src"], s["src_port"])
        if (eb and sd == eb) or ss == ea:
            direction = "caller->callee"
        elif sd == ea or (eb and ss == eb):
            direction = "callee->caller"
        else:
            continue
        mine.append((s, direction))
    negotiated = sorted(set(answer["formats"]) & set(offer["formats"])) if answer else []
    dirs = sorted({dr for _, dr in mine})
    first = min((s["start_s"] for s, _ in mine), default=None)
    bad_pt = sorted({pt for s, _ in mine for pt in s["payload_types"] if pt not in negotiated})
    if not mine:
        verdict = "NO_MEDIA"
    elif bad_pt:
        verdict = "CODEC_MISMATCH"
    elif len(dirs) == 1:
        verdict = "ONE_WAY"
    elif d["t200"] is not None and first > d["t200"] + LATE_S:
        verdict = "LATE_MEDIA"
    else:
        verdict = "OK"
    facts = OrderedDict()
    facts["invite_from"] = d["invite"]["src"]
    facts["offer"] = "%s:%d %s" % (ea[0], ea[1], offer["formats"])
    facts["answer"] = "%s:%d %s" % (eb[0], eb[1], answer["formats"]) if answer else None
    facts["answer_codes"] = [a["code"] for a in d["answers"]]
    facts["negotiated_payload_types"] = negotiated
    facts["private_sdp_from_public"] = [
        x for x, frm in ((ea[0], d["invite"]["src"].rsplit(":", 1)[0]),)
        if any(p.match(x) for p in PRIVATE) and not any(p.match(frm) for p in PRIVATE)]
    facts["bye"] = d["bye"] is not None
    facts["first_rtp_after_200_s_approx"] = round(first - d["t200"], 2) if first is not None and d["t200"] else None
    facts["streams"] = ["%s %s:%d -> %s:%d %s pt %s" % (dr, s["src"], s["src_port"], s["dst"], s["dst_port"],
                                                       s["ssrc"], s["payload_types"]) for s, dr in mine]
    facts["unnegotiated_payload_types"] = bad_pt
    for s, _ in mine:
        s["call_id"] = cid
    return verdict, facts


def build(path):
    name = os.path.basename(path)
    spec = SPECS[name]
    errors = []
    streams = rtp_streams(path)
    dialogs = sip_invite_dialogs(path)
    cap = tshark(["-r", path, "-T", "fields", "-e", "frame.time_relative"]).split()
    cap_end = float(cap[-1])
    calls = []
    seen = set()
    for short, verdict, why in spec["calls"]:
        if short is None:
            if len(dialogs) != 1:
                errors.append("expected exactly one call, found %d" % len(dialogs))
                continue
            cid = next(iter(dialogs))
        else:
            cid = short + "@sipsleuth.test"
        seen.add(cid)
        d = dialogs.get(cid)
        if d is None or d["invite"] is None:
            errors.append("call %s not in the capture" % cid)
            continue
        got, facts = derive(cid, d, streams, cap_end)
        if got != verdict:
            errors.append("call %s: the scenario gives %s, the capture shows %s (%s)" % (cid, verdict, got, facts))
        c = OrderedDict(call_id=cid, verdict=verdict, why=why)
        c["measured"] = facts
        calls.append(c)
    for s in streams:
        s.setdefault("call_id", None)
    extra = [c for c in dialogs if c not in seen]
    if extra:
        errors.append("calls not in the scenario: %s" % extra)
    doc = OrderedDict()
    doc["file"] = name
    doc["made_by"] = ("scripts/testdata/make-media.sh %s: %s, tcpdump in private network namespaces; see "
                      "testdata/media/README.md" % (spec["made"], spec.get(
                          "software", "SIPp 3.6.1 (sipp/media-uac.xml, sipp/media-uas.xml, rtp_stream)")))
    doc["tshark_command"] = " ".join(STREAMS_CMD + ["FILE"])
    doc["tshark_version"] = tshark(["-v"]).splitlines()[0]
    doc["streams"] = streams
    rtcp = rtcp_packets(path)
    doc["rtcp_packets"] = len(rtcp)
    if rtcp:
        per = OrderedDict()
        for src, sp, dst, dp, pt in rtcp:
            k = "%s:%s -> %s:%s" % (src, sp, dst, dp)
            per.setdefault(k, OrderedDict())
            per[k][pt] = per[k].get(pt, 0) + 1
        doc["rtcp_by_flow"] = per
        doc["rtcp_command"] = "tshark -n -o rtcp.heuristic_rtcp:TRUE -r FILE -Y rtcp -T fields -e rtcp.pt ..."
    doc["late_media_threshold_s"] = LATE_S
    doc["calls"] = calls
    size = os.path.getsize(path)
    doc["capture"] = OrderedDict(bytes=size, seconds_approx=round(cap_end, 1))
    if size >= 1024 * 1024:
        errors.append("capture is %d bytes (>= 1 MB)" % size)
    if name == "rtcp.pcap" and not rtcp:
        errors.append("no RTCP in the rtcp capture")
    return doc, errors


# measured numbers vary from run to run: `check` compares only the verdicts
MEASURED = ("capture", "made_by", "tshark_version", "streams", "measured", "rtcp_packets", "rtcp_by_flow")


def public(root, outp):
    """rtp,streams of every capture listed in ROOT/INDEX.tsv that has any RTP
    stream, heuristically found; with the count tshark finds from SDP alone."""
    with open(os.path.join(root, "INDEX.tsv")) as f:
        files = [line.split("\t")[0] for line in f.read().splitlines()[1:] if line.strip()]
    caps = OrderedDict()
    for name in files:
        path = os.path.join(root, name)
        rows = rtp_streams(path)
        if not rows:
            continue
        plain = subprocess.run(["tshark", "-n", "-q", "-z", "rtp,streams", "-r", path], check=True,
                               capture_output=True, text=True).stdout
        n_sdp = sum(1 for line in plain.splitlines() if ROW.match(line))
        caps[name] = OrderedDict(streams_from_sdp_only=n_sdp, streams=rows)
    doc = OrderedDict()
    doc["what"] = ("tshark's rtp,streams of every capture in ../shared/captures (INDEX.tsv) where it finds RTP "
                   "with heuristic RTP on; streams_from_sdp_only: rows without the heuristic (tshark's SDP-based "
                   "detection). Made by: python3 scripts/testdata/media_truth.py public ../shared/captures OUT")
    doc["tshark_command"] = " ".join(STREAMS_CMD + ["FILE"])
    doc["tshark_version"] = tshark(["-v"]).splitlines()[0]
    doc["captures"] = caps
    with open(outp, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print("wrote %s: %d captures with RTP" % (outp, len(caps)), file=sys.stderr)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "public":
        public(sys.argv[2], sys.argv[3])
        return 0
    if len(sys.argv) == 3 and sys.argv[1] == "streams":
        print(json.dumps(rtp_streams(sys.argv[2]), indent=2))
        return 0
    return truth_cli(build, __doc__, "MEDIA", measured=MEASURED)


if __name__ == "__main__":
    sys.exit(main())
