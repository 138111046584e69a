#!/usr/bin/env python3
"""Known truth of the registration-failure captures in
testdata/diagnosis/registrations/ (issue #15).

    python3 diagreg.py write CAPTURE   # check CAPTURE against its scenario,
                                       # then write CAPTURE.truth.json
    python3 diagreg.py check CAPTURE   # the same checks, then compare with
                                       # the existing CAPTURE.truth.json

What each scenario must give (findings with their key numbers, kinds that
must NOT be reported, every registration attempt's outcome, cause and final
code) is written here by hand from make-diag-registrations.sh and
kamailio/diag-registrations.cfg.  Every number is also measured from the
capture on its own with tshark (SIP messages through truth.py's reader,
ICMP errors with `tshark -Y icmp`; stdlib only), and the script fails when
the measurement and the scenario disagree, so a run that did not go as
planned (a late SIPp, a retransmission across the cut) is never written.
"""
import os
import sys
from collections import Counter, OrderedDict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from truth import read_sip, hv, sip_stat, capture_span, run_tshark  # noqa: E402
from patterns import reg_attempts, Check, ALL_KINDS, MEASURED, aor, ip, F, truth_cli  # noqa: E402

KAM = "192.0.2.10:5060"
SILENT = "198.51.100.20:5060"
T1 = 0.5
UAS = ["alice", "bob", "carol", "dave", "erin"]
FAILED, REGISTERED, PENDING = "REGISTRATION_FAILED", "REGISTERED", "PENDING"


def icmp_errors(path):
    """ICMP errors in the capture: (time, type, code, reporter, quoted destination ip:port)."""
    out = run_tshark(["-r", path, "-Y", "icmp", "-T", "fields", "-E", "occurrence=a",
                      "-E", "aggregator=,", "-e", "frame.time_epoch", "-e", "icmp.type",
                      "-e", "icmp.code", "-e", "ip.src", "-e", "ip.dst", "-e", "udp.dstport"])
    errs = []
    for line in out.splitlines():
        t, ty, code, srcs, dsts, dport = line.split("\t")
        # outer header first, then the quoted one
        errs.append((float(t), int(ty), int(code), srcs.split(",")[0],
                     "%s:%s" % (dsts.split(",")[1], dport)))
    return errs


def row(outcome, cause, final_code, **extra):
    r = OrderedDict(outcome=outcome, cause=cause, final_code=final_code)
    r.update(extra)
    return r


def summary(rows):
    """The attempts section: totals and counts per (outcome, cause, final_code)."""
    n = Counter((r["outcome"], r["cause"], r["final_code"]) for r in rows)
    return OrderedDict(
        total=len(rows),
        registered=sum(1 for r in rows if r["outcome"] == REGISTERED),
        failed=sum(1 for r in rows if r["outcome"] == FAILED),
        pending=sum(1 for r in rows if r["outcome"] == PENDING),
        by_outcome=[OrderedDict(outcome=o, cause=c, final_code=f, count=k)
                    for (o, c, f), k in sorted(n.items(), key=lambda x: str(x[0]))],
        rows=rows,
    )


def unanswered(atts, c, want_tx):
    """Rows for attempts that got nothing back; checks each was sent want_tx times."""
    rows = []
    for a in atts:
        c.eq("final of %s" % a["call_id"], a["final"], None)
        c.eq("transmissions of %s" % a["call_id"], a["transmissions"], want_tx)
        rows.append(row(FAILED, "NO_RESPONSE", None, call_id=a["call_id"], aor=a["aor"],
                        client=a["client"], requests=want_tx, retransmissions=want_tx - 1,
                        challenges=0))
    return rows


# ------------------------------------------------------------------ one function per capture

def no_answer_icmp(path, msgs, start, end, c, want_tx):
    atts = reg_attempts(msgs)
    c.eq("attempts", [a["aor"] for a in atts], [aor(u) for u in UAS])
    c.eq("clients", [a["client"] for a in atts], ["192.0.2.%d:5060" % (101 + i) for i in range(5)])
    c.eq("registrar", {m.dst for m in msgs}, {KAM})
    c.eq("responses", sum(1 for m in msgs if not m.is_req), 0)
    rows = unanswered(atts, c, want_tx)
    icmp = icmp_errors(path)
    c.eq("ICMP errors (one per REGISTER)", len(icmp), len(msgs))
    c.eq("ICMP type/code", {(e[1], e[2]) for e in icmp}, {(3, 3)})
    c.eq("ICMP reporter", {e[3] for e in icmp}, {"192.0.2.10"})
    c.eq("ICMP quoted destination", {e[4] for e in icmp}, {KAM})
    last_first = max(a["first"] for a in atts)
    c.true("every REGISTER was retransmitted before the end", all(a["transmissions"] > 1 for a in atts))
    c.true("capture ends before Timer F (32 s)", end - start < 32.0)
    retrans = 5 * (want_tx - 1)
    long_ = want_tx == 10
    return dict(
        findings=[F("NO_RESPONSE", registrar=KAM, unanswered_register=5, retransmissions=retrans,
                    icmp_errors=5 * want_tx, icmp_type=3, icmp_code=3, icmp_reporter="192.0.2.10",
                    seconds_covered_approx=round(end - start, 1))],
        must_not=[k for k in ALL_KINDS if k != "NO_RESPONSE"],
        notes=("Nothing listens on %s (no kamailio in the namespace). alice..erin (192.0.2.101-105:5060, "
               "Call-IDs %s-USER@sipsleuth.test) each send ONE REGISTER, 50 ms apart; SIPp retransmits it "
               "per Timer E (0, 0.5, 1.5, 3.5%s s) and the kernel answers every transmission with ICMP "
               "type 3 code 3 (port unreachable) from 192.0.2.10 quoting the REGISTER. The capture was cut "
               "%d s after the first REGISTER (the last frame, erin's last retransmission, is at %.1f s; "
               "a pcap keeps no record of the cut itself), %s. No response of any kind. Every attempt was "
               "retransmitted and drew ICMP unreachable: each is REGISTRATION_FAILED with cause NO_RESPONSE "
               "(not PENDING), and NO_RESPONSE names the registrar with %d retransmissions and %d ICMP "
               "errors as evidence. %s"
               % (KAM, "icmp-long" if long_ else "icmp", ", 7.5 ... 27.5" if long_ else "",
                  31 if long_ else 6, end - start,
                  "before Timer F (32 s) expired" if long_ else "long before Timer F (32 s)",
                  retrans, 5 * want_tx,
                  "Same right answer as no-answer-icmp.pcap, 10 transmissions each." if long_ else
                  "Latest first transmission at +%.2f s." % (last_first - start))),
        rows=rows,
    )


def no_answer_icmp_short(path, msgs, start, end, c):
    return no_answer_icmp(path, msgs, start, end, c, 4)


def no_answer_icmp_long(path, msgs, start, end, c):
    return no_answer_icmp(path, msgs, start, end, c, 10)


def no_answer_silent(path, msgs, start, end, c):
    atts = reg_attempts(msgs)
    c.eq("attempts", [a["aor"] for a in atts], [aor(u) for u in UAS + ["frank"]])
    c.eq("registrar", {m.dst for m in msgs}, {SILENT})
    c.eq("responses", sum(1 for m in msgs if not m.is_req), 0)
    c.eq("ICMP errors", len(icmp_errors(path)), 0)
    rows = unanswered(atts[:5], c, 5)
    if len(atts) != 6:
        return dict(findings=[], must_not=[], notes="", rows=rows)
    frank = atts[5]
    c.eq("frank's transmissions", frank["transmissions"], 1)
    before_end = end - frank["first"]
    c.true("frank's only REGISTER is within T1 (0.5 s) of the end (%.3f s)" % before_end,
           0 <= before_end < T1)
    rows.append(row(PENDING, None, None, call_id=frank["call_id"], aor=frank["aor"], client=frank["client"],
                    requests=1, retransmissions=0, challenges=0))
    return dict(
        findings=[F("NO_RESPONSE", registrar=SILENT, unanswered_register=5, retransmissions=20,
                    icmp_errors=0, seconds_covered_approx=round(end - start, 1))],
        must_not=[k for k in ALL_KINDS if k != "NO_RESPONSE"],
        notes=("198.51.100.20 is the far end of a veth link whose peer namespace has no address: every "
               "packet sent to it is lost, with no reply, no ICMP and no ARP (captured on that link, sil0). "
               "alice..erin (192.0.2.101-105, Call-IDs silent-USER@sipsleuth.test) each send ONE REGISTER "
               "to %s, 50 ms apart, retransmitted per Timer E at 0, 0.5, 1.5, 3.5 and 7.5 s: 5 transmissions "
               "each, 20 retransmissions in all. frank (192.0.2.106, silent-frank) sends his REGISTER once, "
               "%.2f s before the last frame (the capture was cut 8 s after the first REGISTER, before "
               "frank's first retransmission was due 0.5 s later). Right answer: the 5 retransmitted "
               "attempts are REGISTRATION_FAILED / NO_RESPONSE with a NO_RESPONSE finding for %s (20 "
               "retransmissions, no ICMP); frank's single REGISTER seen within the last T1 (0.5 s) is "
               "PENDING: nothing says yet that it went unanswered." % (SILENT, before_end, SILENT)),
        rows=rows,
    )


def flood_blackhole_many(path, msgs, start, end, c):
    atts = reg_attempts(msgs)
    batch = [a for a in atts if a["call_id"].startswith("batch-")]
    flood = [a for a in atts if a["call_id"].startswith("flood")]
    c.eq("attempts", len(atts), 70)
    c.eq("batch attempts", len(batch), 20)
    c.eq("batch finals", [a["final"] for a in batch], [200] * 20)
    c.eq("batch transmissions", {a["transmissions"] for a in batch}, {1})
    c.eq("batch sources", len({ip(a["client"]) for a in batch}), 5)
    c.eq("flood attempts", len(flood), 50)
    c.eq("flood sources (IPs)", len({ip(a["client"]) for a in flood}), 50)
    c.eq("registrar", {m.dst for m in msgs if m.is_req}, {KAM})
    last_answer = max(m.time for m in msgs if not m.is_req)
    first_flood = min(a["first"] for a in flood)
    c.true("every batch REGISTER answered before the burst", last_answer < first_flood)
    c.eq("ICMP errors", len(icmp_errors(path)), 0)
    rows = [row(REGISTERED, None, 200, call_id=a["call_id"], aor=a["aor"], client=a["client"], requests=1,
                retransmissions=0, challenges=0) for a in batch]
    rows += unanswered(flood, c, 4)
    return dict(
        findings=[F("FLOOD_BLACKHOLE", registrar=KAM, answered_before=20, unanswered=50, sources=50,
                    unanswered_transmissions=200, last_answered_s_approx=round(last_answer - start, 1),
                    last_answered_ns=int(round(last_answer * 1e9)), first_unanswered_ns=int(round(first_flood * 1e9)),
                    burst_seconds_approx=round(max(a["first"] for a in flood) - first_flood, 1),
                    silence_seconds_approx=round(end - last_answer, 1))],
        must_not=["CAPACITY_503_ONSET", "RATE_LIMITED", "ACCOUNT_LOCKOUT", "POOL_LOCKOUT", "AUTH_LOOP",
                  "REALM_MISMATCH", "REGISTRATION_EXPIRY", "ALTERNATE_ROUTING", "CAC_REJECTION"],
        notes=("kamailio (-A FLOODDROP -A NOAUTH) saves REGISTERs without a challenge and counts every "
               "request from anyone; the 21st switches every reply off (no 403, no ICMP: dropped). Batch: "
               "user1..user20 from 5 addresses (192.0.2.101-105, ports 5061-5064), one every 0.1 s, each "
               "REGISTER -> 200 (the last answer at %.1f s). Then the burst: flood1..flood50, each from its "
               "own address (192.0.2.151-200:5060), 10 ms apart (%.1f s), none answered, each retransmitted "
               "at 0.5, 1.5 and 3.5 s: 4 transmissions, 200 in all. The capture was cut 5.5 s after the "
               "burst began. Right answer: FLOOD_BLACKHOLE (the registrar answered 20, then went silent for "
               "50 attempts from 50 sources); the 50 attempts are REGISTRATION_FAILED / NO_RESPONSE; the "
               "20 are REGISTERED. Not a capacity problem (no 503 at all): must not be CAPACITY_503_ONSET. "
               "A NO_RESPONSE finding for the registrar is not judged here."
               % (last_answer - start, max(a["first"] for a in flood) - first_flood)),
        rows=rows,
    )


def lockout_loop(path, msgs, start, end, c):
    atts = reg_attempts(msgs)
    users = ["user%d" % n for n in range(1, 21)]
    c.eq("attempts", [a["aor"] for a in atts], [aor(u) for u in users])
    c.eq("clients", [ip(a["client"]) for a in atts], ["192.0.2.%d" % (100 + n) for n in range(1, 21)])
    c.eq("Call-IDs", [a["call_id"] for a in atts], ["lockloop-%s@sipsleuth.test" % u for u in users])
    rows = []
    warnings = set()
    reasons = set()
    for a in atts:
        c.eq("finals of %s" % a["call_id"], [f[0] for f in a["finals"]], [401] * 6 + [403])
        c.eq("rejected credentials of %s" % a["call_id"], a["rejected_creds"], 5)
        reqs = a["requests"]
        c.eq("REGISTERs of %s" % a["call_id"], len(reqs), 7)
        c.eq("CSeqs of %s" % a["call_id"], [r.cseq_num for r in reqs], list(range(1, 8)))
        branches = [hv(r, "via").split("branch=")[1].split(";")[0] for r in reqs]
        c.true("%s: REGISTERs 2-7 (new CSeq each) share one Via branch: %s" % (a["call_id"], branches),
               len(set(branches[1:])) == 1 and branches[0] != branches[1])
        c.eq("transmissions of %s" % a["call_id"], a["transmissions"], 7)
        last = a["finals"][-1][1]
        reasons.add(last.first.split(" ", 2)[2])
        warnings.add(hv(last, "warning"))
        rows.append(row(FAILED, "FORBIDDEN", 403, call_id=a["call_id"], aor=a["aor"], client=a["client"],
                        requests=7, retransmissions=0, challenges=6))
    c.eq("403 reason phrase", reasons, {"Account locked"})
    warning = '399 192.0.2.10 "Account locked after 5 failed attempts"'
    c.eq("403 Warning", warnings, {warning})
    c.eq("retransmissions (tshark resent)", sip_stat(path)["resent"], 0)
    locks = [a["finals"][-1][1].time for a in atts]
    findings = [F("POOL_LOCKOUT", accounts_locked=20, threshold_min=5, threshold_max=5,
                  aors=[aor(u) for u in users], lock_span_seconds_approx=round(max(locks) - min(locks), 1))]
    findings += [F("ACCOUNT_LOCKOUT", aor=aor(u), threshold=5, locked_by=403, reason="Account locked",
                   warning=warning, warning_text="Account locked after 5 failed attempts", registered_after=False, client="192.0.2.%d" % (100 + n))
                 for n, u in enumerate(users, 1)]
    findings.append(F("AUTH_LOOP", accounts=20, rejected_cycles=100, never_registered_after=20))
    return dict(
        findings=findings,
        must_not=["RATE_LIMITED", "FLOOD_BLACKHOLE", "NO_RESPONSE", "REALM_MISMATCH", "CAPACITY_503_ONSET",
                  "REGISTRATION_EXPIRY", "ALTERNATE_ROUTING", "CAC_REJECTION"],
        notes=("kamailio (-A LOCK5) counts rejected passwords per user; at 5 every REGISTER for the user gets "
               "'403 Account locked' with 'Warning: %s'. user1..user20 (192.0.2.101-120:5060, Call-IDs "
               "lockloop-userN@sipsleuth.test, the wrong password Welcome1), started 0.1 s apart, each ONE "
               "SIPp call: REGISTER (CSeq 1) -> 401; then a looped <send> re-sends the REGISTER with "
               "credentials (CSeq 2..7) -> 401 five times (rejected), and the 6th (CSeq 7) -> 403 Account "
               "locked. SIPp's [branch] is fixed per scenario message, so CSeq 2..7 of each account share "
               "ONE Via branch (z9hG4bK-PID-1-3) while CSeq 1 has its own (z9hG4bK-PID-1-0): 6 new requests "
               "on one branch, not retransmissions (tshark: resent 0). The 20 locks come within %.1f s. "
               "Right answer: one attempt per account (challenge, 5 rejected credentials, 403), final_code "
               "403 (the last final of the chain, not the first 401), cause FORBIDDEN; POOL_LOCKOUT of 20 "
               "accounts with threshold 5; ACCOUNT_LOCKOUT per account with threshold 5 (not 1) and the "
               "reason phrase / Warning text as evidence; AUTH_LOOP (5 rejected cycles per account, 100 in "
               "all, none registered after)." % (warning, max(locks) - min(locks))),
        rows=rows,
    )


def forbidden_then_fresh_challenge(path, msgs, start, end, c):
    atts = reg_attempts(msgs)
    c.eq("attempts", len(atts), 2)
    c.eq("finals", [[f[0] for f in a["finals"]] for a in atts], [[401, 403], [401, 200]])
    c.eq("one Call-ID", {a["call_id"] for a in atts}, {"fresh-alice@sipsleuth.test"})
    gap = atts[1]["first"] - atts[0]["finals"][-1][1].time
    c.near("seconds from the 403 to the next REGISTER", gap, 2.0, 0.5)
    nonces = [hv(f[1], "www-authenticate").split('nonce="')[1].split('"')[0] for a in atts for f in a["finals"]
              if f[0] == 401]
    c.true("the second challenge is fresh (another nonce)", len(set(nonces)) == 2)
    rows = [row(FAILED, "FORBIDDEN", 403, call_id=atts[0]["call_id"], aor=aor("alice"), client=atts[0]["client"],
                requests=2, retransmissions=0, challenges=1),
            row(REGISTERED, None, 200, call_id=atts[1]["call_id"], aor=aor("alice"), client=atts[1]["client"],
                requests=2, retransmissions=0, challenges=1, is_refresh=False)]
    return dict(
        findings=[],
        must_not=["ACCOUNT_LOCKOUT", "POOL_LOCKOUT", "AUTH_LOOP", "NO_RESPONSE", "FLOOD_BLACKHOLE", "RATE_LIMITED",
                  "CAPACITY_503_ONSET", "REALM_MISMATCH", "REGISTRATION_EXPIRY"],
        notes=("kamailio (-A WRONGPW_403) answers a wrong password with '403 Forbidden' instead of a new "
               "challenge, as many registrars do, and locks nothing. alice (192.0.2.101:5060, Call-ID "
               "fresh-alice@sipsleuth.test): REGISTER (CSeq 1) -> 401, REGISTER with the wrong password "
               "(CSeq 2) -> 403; %.1f s later REGISTER (CSeq 3) -> a fresh 401 (another nonce), REGISTER with "
               "the right password (CSeq 4) -> 200 (expires=600). Right answer: attempt 1 REGISTRATION_FAILED "
               "final_code 403 cause FORBIDDEN, attempt 2 REGISTERED; the registrar accepted new credentials "
               "right after the 403, so this is not a lock: no ACCOUNT_LOCKOUT. Other findings (ISOLATED_FAILURES) "
               "are not judged." % gap),
        rows=rows,
    )


def refresh_short_expires(path, msgs, start, end, c):
    atts = reg_attempts(msgs)
    c.eq("attempts", len(atts), 3)
    c.eq("finals", [[f[0] for f in a["finals"]] for a in atts], [[401, 200], [200], [401, 200]])
    c.eq("one Call-ID", {a["call_id"] for a in atts}, {"refresh-alice@sipsleuth.test"})
    cseqs = [r.cseq_num for a in atts for r in a["requests"]]
    c.eq("CSeqs", cseqs, [1, 2, 3, 4, 5])
    granted = []
    for a in atts:
        ok = a["finals"][-1][1]
        granted.append(hv(ok, "contact").split("expires=")[1].split(";")[0])
    c.eq("granted expires", granted, ["5", "5", "5"])
    c.eq("requested Expires", {hv(r, "expires") for a in atts for r in a["requests"]}, {"5"})
    for i in (1, 2):
        before = atts[i]["first"] - atts[i - 1]["final_time"]
        c.true("refresh %d comes before the binding expires (%.2f s < 5 s)" % (i, before), 0 < before < 5)
    rows = [row(REGISTERED, None, 200, call_id=a["call_id"], aor=aor("alice"), client=a["client"],
                requests=len(a["requests"]), retransmissions=0,
                challenges=sum(1 for f in a["finals"] if f[0] == 401), is_refresh=i > 0)
            for i, a in enumerate(atts)]
    return dict(
        findings=[],
        must_not=list(ALL_KINDS),
        notes=("kamailio (-A SHORT: registrar min_expires 1) grants Expires: 5. alice (192.0.2.101:5060, Call-ID "
               "refresh-alice@sipsleuth.test, CSeq 1..5): REGISTER -> 401, REGISTER with credentials -> 200 "
               "(expires=5); 3 s later refresh 1 with the credentials of that challenge (the cached nonce, "
               "accepted) -> 200 at once; 3 s later refresh 2 without credentials -> 401, REGISTER with "
               "credentials -> 200. Each refresh is sent before the binding expires; the capture ends about "
               "1 s after the last 200 (binding valid until +5 s). Right answer (issue #14): 3 attempts, 3 "
               "registered (a binding refreshed twice is three attempts), the 2nd and 3rd is_refresh=true; "
               "challenges 1, 0, 1. A healthy registration: no finding of any kind."),
        rows=rows,
    )


SPECS = OrderedDict([
    ("no-answer-icmp.pcap", ("no-answer-icmp", None, "diagreg-noanswer.xml", no_answer_icmp_short)),
    ("no-answer-icmp-long.pcap", ("no-answer-icmp-long", None, "diagreg-noanswer.xml", no_answer_icmp_long)),
    ("no-answer-silent.pcap", ("no-answer-silent", None, "diagreg-noanswer.xml", no_answer_silent)),
    ("flood-blackhole-many.pcap", ("flood-blackhole-many", "FLOODDROP -A NOAUTH",
                                   "diagreg-reg.xml + diagreg-noanswer.xml", flood_blackhole_many)),
    ("lockout-loop.pcap", ("lockout-loop", "LOCK5", "diagreg-lockout-loop.xml", lockout_loop)),
    ("forbidden-then-fresh-challenge.pcap", ("forbidden-then-fresh-challenge", "WRONGPW_403",
                                             "diagreg-forbidden-retry.xml", forbidden_then_fresh_challenge)),
    ("refresh-short-expires.pcap", ("refresh-short-expires", "SHORT", "diagreg-refresh.xml",
                                    refresh_short_expires)),
])


def build(path):
    name = os.path.basename(path)
    arg, define, scen, fn = SPECS[name]
    msgs = read_sip(path)
    start, end = capture_span(path)
    c = Check()
    spec = fn(path, msgs, start, end, c)
    overlap = {f["kind"] for f in spec["findings"]} & set(spec["must_not"])
    c.true("a kind is both required and forbidden: %s" % overlap, not overlap)
    doc = OrderedDict()
    doc["file"] = name
    doc["made_by"] = ("scripts/testdata/make-diag-registrations.sh %s: %sSIPp 3.6.1 (sipp/%s), tcpdump in a "
                      "private network namespace"
                      % (arg, "kamailio 5.6.3 (kamailio/diag-registrations.cfg -A %s) + " % define if define
                         else "no registrar + ", scen))
    doc["findings"] = spec["findings"]
    doc["must_not"] = spec["must_not"]
    doc["attempts"] = summary(spec["rows"])
    doc["notes"] = spec["notes"]
    doc["capture"] = OrderedDict(bytes=os.path.getsize(path),
                                 frames=int(run_tshark(["-r", path, "-T", "fields", "-e", "frame.number"])
                                            .split()[-1]),
                                 seconds_approx=round(end - start, 1))
    doc["tshark_sip_stat"] = sip_stat(path)
    doc["measured_with"] = ("scripts/testdata/diagreg.py: SIP messages from `tshark -r FILE -Y 'sip && !icmp' "
                            "-T fields` (frame time, addresses, start line, headers), grouped into attempts by "
                            "Call-ID, CSeq and client (patterns.py reg_attempts); ICMP errors from `tshark -r FILE "
                            "-Y icmp -T fields -e icmp.type -e icmp.code -e ip.src -e ip.dst -e udp.dstport`; "
                            "counts from `tshark -q -z sip,stat`")
    if os.path.getsize(path) >= 400 * 1024:
        c.errors.append("capture is %d bytes (>= 400 KB)" % os.path.getsize(path))
    return doc, c.errors


def main():
    # The notes are prose written with the scenario, not measured: not compared either.
    return truth_cli(build, __doc__, "SCENARIO", MEASURED + ("notes",))


if __name__ == "__main__":
    sys.exit(main())
