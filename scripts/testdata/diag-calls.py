#!/usr/bin/env python3
"""Known truth of the call-failure captures in testdata/diagnosis/calls/ (issue #15).

    python3 diag-calls.py write CAPTURE   # check CAPTURE against its scenario,
                                          # then write CAPTURE.truth.json
    python3 diag-calls.py check CAPTURE   # the same checks, then compare with
                                          # the existing CAPTURE.truth.json

The same scheme as patterns.py: what each scenario must show (the findings,
their key numbers, the kinds that must NOT be reported, and a "calls" section
with the outcome counts and per-call expectations) is written here by hand
from make-diag-calls.sh and kamailio/diag-calls.cfg; every number is also
measured from the capture on its own (tshark via truth.py's reader, stdlib
only), and the script fails when the two disagree.  Numbers that vary from run
to run are written with an `_approx` suffix, measured from this capture.
"""
import os
import sys
from collections import Counter, OrderedDict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from truth import read_sip, hv, sip_stat, capture_span, run_tshark  # noqa: E402
from patterns import ALL_KINDS, Check, F, ip, truth_cli  # noqa: E402

KAM = "192.0.2.10:5060"
PARTNER = "192.0.2.11:5060"
KINDS = ALL_KINDS + ["ROUTING_LOOP"]
UAS = OrderedDict([("bob", "192.0.2.20:5060"), ("carol", "192.0.2.21:5060"),
                   ("dave", "192.0.2.22:5060"), ("erin", "192.0.2.23:5060")])


def aor(u):
    return "sip:%s@sipsleuth.test" % u


def user_of(uri):
    return uri.split(":", 1)[-1].split("@", 1)[0]


def is_client(addr):
    """The SIPp callers are 192.0.2.101-112."""
    a = ip(addr).split(".")
    return a[:3] == ["192", "0", "2"] and 101 <= int(a[3]) <= 112


def caller_calls(msgs):
    """Each call as its caller saw it: the Call-IDs whose first INVITE went from
    a client (192.0.2.101-112) to kamailio, with the responses to the caller.
    dict(call_id, caller, from_user, to_user, t0, invites=[...], responses=[...])"""
    calls = OrderedDict()
    for m in msgs:
        if m.is_req and m.method == "INVITE" and m.dst == KAM and is_client(m.src) and not m.to_tag:
            c = calls.get(m.call_id)
            if c is None:
                c = calls[m.call_id] = dict(call_id=m.call_id, caller=m.src, t0=m.time,
                                            from_user=user_of(hv(m, "from").split("<")[-1].split(">")[0]),
                                            to_user=user_of(m.to_uri), invites=[], responses=[])
            c["invites"].append(m)
    for m in msgs:
        c = calls.get(m.call_id)
        if c and not m.is_req and m.cseq_method == "INVITE" and m.dst == c["caller"]:
            c["responses"].append(m)
    for c in calls.values():
        finals = [r for r in c["responses"] if r.code >= 200]
        last = finals[-1] if finals else None
        c["final"] = last.code if last else None
        c["final_msg"] = last
        c["final_time"] = last.time if last else None
        c["challenges"] = sum(1 for r in finals if r.code in (401, 407))
        ring = next((r for r in c["responses"] if 180 <= r.code < 190), None)
        ok = next((r for r in c["responses"] if 200 <= r.code < 300), None)
        srd = next((r for r in c["responses"] if r.code != 100 and r.code not in (401, 407)), None)
        c["pdd_ms"] = (ring.time - c["t0"]) * 1000 if ring else None
        c["answer_ms"] = (ok.time - c["t0"]) * 1000 if ok else None
        c["srd_ms"] = (srd.time - c["t0"]) * 1000 if srd else None
    return calls


def calls_section(calls, per_call=None, varies=False, **rules):
    """Outcome counts as `analyze --json` gives them under calls (attempts,
    outcomes, final_codes); with varies=True the split is timing-dependent and
    written as outcomes_approx / final_codes_approx."""
    codes = Counter(c["final"] for c in calls.values())
    cat = Counter()
    for code, n in codes.items():
        cat["SUCCESS" if 200 <= code < 300 else "ERROR"] += n
    sfx = "_approx" if varies else ""
    out = OrderedDict(attempts=len(calls))
    out["outcomes" + sfx] = OrderedDict(sorted(cat.items()))
    out["final_codes" + sfx] = OrderedDict((str(k), v) for k, v in sorted(codes.items()))
    out.update(rules)
    if per_call is not None:
        out["per_call"] = per_call
    return out


def rate(times):
    """Calls per second over a list of start times (n - 1 intervals)."""
    return (len(times) - 1) / (max(times) - min(times)) if len(times) > 1 else None


# ------------------------------------------------------------------ one function per capture

def one_callee_503(msgs, start, end, c):
    calls = caller_calls(msgs)
    c.eq("calls", len(calls), 150)
    c.eq("one caller address", {ip(x["caller"]) for x in calls.values()}, {"192.0.2.101"})
    offered = c.near("offered calls/s", rate([x["t0"] for x in calls.values()]), 100.0, 15.0)
    for u, addr in UAS.items():
        mine = [x for x in calls.values() if x["to_user"] == u]
        want = 503 if u == "dave" else 200
        c.eq("finals of the calls to %s" % u, {x["final"] for x in mine}, {want})
        # the callee's own answer, on kamailio's leg toward it
        from_uas = {m.code for m in msgs if not m.is_req and m.src == addr and m.cseq_method == "INVITE"
                    and m.code >= 200}
        c.eq("finals sent by %s's UAS" % u, from_uas, {want})
    dave = [x for x in calls.values() if x["to_user"] == "dave"]
    c.eq("calls to dave", len(dave), 37)
    c.true("no 503 from kamailio itself",
           not any(m for m in msgs if not m.is_req and m.code == 503 and m.src == KAM
                   and not any(u.src == UAS["dave"] and u.call_id == m.call_id for u in msgs if not u.is_req)))
    ok = [x for x in calls.values() if x["final"] == 200]
    c.true("answered calls: 180 before 200", all(x["pdd_ms"] < x["answer_ms"] for x in ok))
    return dict(
        findings=[F("ISOLATED_FAILURES", group="call destination", address=UAS["dave"], callee=aor("dave"),
                    attempts=37, failed=37, failed_with=503, others_attempts=113, others_failed=0,
                    offered_calls_per_second_approx=offered)],
        must_not=["CAPACITY_503_ONSET", "RATE_LIMITED", "FLOOD_BLACKHOLE", "NO_RESPONSE", "ALTERNATE_ROUTING",
                  "CAC_REJECTION", "AUTH_LOOP", "ROUTING_LOOP"],
        calls=calls_section(calls, srd_ends_at="first response to the caller other than 100 (and 401/407)",
                            answered_srd_equals_pdd_within_ms=5,
                            by_destination=OrderedDict((a, OrderedDict(attempts=sum(1 for x in calls.values()
                                                                               if x["to_user"] == u),
                                                                       final_code=503 if u == "dave" else 200))
                                                       for u, a in UAS.items())),
        notes=("One SIPp caller (192.0.2.101) places 150 calls at ~100 calls/s through kamailio (192.0.2.10, "
               "record-routing proxy, routes by callee user) to bob, carol, dave and erin in turn (callers alice, "
               "frank, grace, heidi, ivan in turn). The UASes of bob (192.0.2.20), carol (.21) and erin (.23) "
               "answer 100, 180, then 200 100 ms later; the caller holds 300 ms, then BYE. dave's UAS "
               "(192.0.2.22) answers every INVITE 100 then 503 Service Unavailable (no Retry-After), which "
               "kamailio relays unchanged (tm remap_503_500 0): 37 calls, every one to dave, fail with 503. "
               "kamailio itself refuses nothing. Right answer: one destination rejects (dave / "
               "192.0.2.22:5060), not a capacity problem: CAPACITY_503_ONSET must not be reported. SRD of the "
               "answered calls ends at the 180 (the first response that is not 100), so it equals PDD."),
    )


def rate_limit_503(msgs, start, end, c):
    calls = caller_calls(msgs)
    a = [x for x in calls.values() if ip(x["caller"]) == "192.0.2.101"]
    b = [x for x in calls.values() if ip(x["caller"]) == "192.0.2.102"]
    c.eq("calls from A", len(a), 25)
    c.eq("calls from B", len(b), 10)
    c.eq("finals of A's calls, in order", [x["final"] for x in a], [200] * 15 + [503] * 10)
    c.eq("finals of B's calls", {x["final"] for x in b}, {200})
    refusals = [x["final_msg"] for x in a if x["final"] == 503]
    c.eq("reason phrase of the refusals", {r.first.split(" ", 2)[2] for r in refusals}, {"Rate Limit Exceeded"})
    c.eq("refusals sent by", {r.src for r in refusals}, {KAM})
    c.true("A's 15th call answered before its 16th was refused",
           a[14]["final_time"] <= a[15]["final_time"])
    c.eq("A's accounts refused", len({x["from_user"] for x in a if x["final"] == 503}), 5)
    window = c.near("A's first INVITE -> first 503 (s)", a[15]["final_time"] - a[0]["t0"], 3.0, 0.3)
    c.eq("REGISTERs", sum(1 for m in msgs if m.is_req and m.method == "REGISTER"), 0)
    return dict(
        findings=[F("RATE_LIMITED", source="192.0.2.101", method="INVITE", accepted_before_limit=15, refused=10,
                    refused_with=503, reason="Rate Limit Exceeded", accounts_refused=5, refused_by=KAM,
                    not_limited="192.0.2.102", window_seconds_approx=window)],
        must_not=["CAPACITY_503_ONSET", "FLOOD_BLACKHOLE", "NO_RESPONSE", "ACCOUNT_LOCKOUT", "POOL_LOCKOUT",
                  "AUTH_LOOP", "ALTERNATE_ROUTING", "CAC_REJECTION", "ROUTING_LOOP"],
        advice_must_not_mention=["registration"],
        calls=calls_section(calls, by_source=OrderedDict([
            ("192.0.2.101", OrderedDict(attempts=25, answered=15, refused_503=10)),
            ("192.0.2.102", OrderedDict(attempts=10, answered=10, refused_503=0))])),
        notes=("kamailio (-A SRC_LIMIT) counts admitted initial INVITEs per source IP in an htable (60 s) and "
               "answers a source that already has 15 with a stateless '503 Rate Limit Exceeded' (no "
               "Retry-After). Source A, 192.0.2.101 (an office PBX: users frank, grace, heidi, ivan, judy in "
               "turn), places 25 calls at 5 calls/s: calls 1-15 are answered (100, 180, 200, held 300 ms, BYE), "
               "calls 16-25 (from ~3.0 s) get 503 at once. Source B, 192.0.2.102 (mallory, oscar), places 10 "
               "calls at 2 calls/s meanwhile: all answered. Callees rotate over bob, carol, dave, erin; every "
               "UAS answers. Right answer: RATE_LIMITED for 192.0.2.101 after 15 accepted INVITEs; no capacity "
               "alarm (B is served throughout, and the 503s all go to one source); no REGISTER at all, so no "
               "advice about registrations."),
    )


def capacity_503_spread(msgs, start, end, c):
    calls = caller_calls(msgs)
    c.eq("calls", len(calls), 80)
    callers = ["192.0.2.%d" % i for i in range(101, 105)]
    c.eq("callers", sorted({ip(x["caller"]) for x in calls.values()}), callers)
    refused = [x for x in calls.values() if x["final"] == 503]
    c.eq("finals", {x["final"] for x in calls.values()}, {200, 503})
    c.eq("503s sent by", {x["final_msg"].src for x in refused}, {KAM})
    c.eq("Retry-After of the 503s", {hv(x["final_msg"], "retry-after") for x in refused}, {"5"})
    c.true("503 count 6..16 (%d)" % len(refused), 6 <= len(refused) <= 16)
    c.eq("callers refused", sorted({ip(x["caller"]) for x in refused}), callers)
    callees_refused = len({x["to_user"] for x in refused})
    c.true("503s spread over 3+ callees (%d)" % callees_refused, callees_refused >= 3)
    onset = min(x["final_time"] for x in refused)
    onset_s = c.near("first 503 (s after the first INVITE)", onset - min(x["t0"] for x in calls.values()), 4.5, 1.5)
    before = [x for x in calls.values() if onset - 1.0 < x["t0"] <= onset]
    offered = c.near("INVITEs in the second up to the first 503 (calls/s)", float(len(before)), 11.5, 2.5)
    early = [x for x in calls.values() if x["t0"] < onset - 1.5]
    c.true("no 503 among the calls of the first seconds", all(x["final"] == 200 for x in early))
    return dict(
        findings=[F("CAPACITY_503_ONSET", configured_limit_calls_per_second=10, retry_after=5, refused_by=KAM,
                    callers_refused=4, onset_calls_per_second_approx=offered, onset_seconds_approx=onset_s,
                    responses_503_approx=len(refused), callees_refused_approx=callees_refused)],
        must_not=["RATE_LIMITED", "ISOLATED_FAILURES", "FLOOD_BLACKHOLE", "NO_RESPONSE", "ALTERNATE_ROUTING",
                  "CAC_REJECTION", "AUTH_LOOP", "ROUTING_LOOP"],
        calls=calls_section(calls, varies=True),
        notes=("kamailio (-A OVERLOAD) admits 10 initial INVITEs per second (ratelimit module, TAILDROP, 1 s "
               "intervals) and refuses the rest with a stateless '503 Service Unavailable' + Retry-After: 5. "
               "Four callers (192.0.2.101-104: alice, frank, grace, heidi), started 0.25 s apart, each raise "
               "their rate by 1 call/s every 2 s (SIPp -rate_increase 1 -fd 2, 20 calls each): about 4, 8, 12 "
               "then 16 calls/s offered in all, 80 calls. Callees rotate over bob, carol, dave, erin; every "
               "UAS answers (100, 180, 200 after 100 ms), calls held 300 ms. The 503s begin when the offered "
               "load passes 10 calls/s (about 11-12 INVITEs in the second before the first 503) and hit every "
               "caller and most callees, mixed with admissions. Right answer: CAPACITY_503_ONSET with the "
               "load at the onset near 10 calls/s (the rate just before the onset, not an average over a "
               "window longer than the capture)."),
    )


def srd_trying_challenge(msgs, start, end, c):
    calls = caller_calls(msgs)
    c.eq("calls", len(calls), 10)
    per_call = []
    for x in calls.values():
        codes = [r.code for r in x["responses"]]
        c.eq("%s: responses to the caller" % x["call_id"], codes, [100, 407, 100, 180, 200])
        c.eq("%s: INVITEs from the caller" % x["call_id"], len(x["invites"]), 2)
        c.true("%s: the re-sent INVITE carries Proxy-Authorization" % x["call_id"],
               bool(hv(x["invites"][1], "proxy-authorization")))
        c.near("%s: PDD (ms)" % x["call_id"], x["pdd_ms"], 905.0, 60.0)
        c.near("%s: answer (ms)" % x["call_id"], x["answer_ms"], 3905.0, 100.0)
        c.eq("%s: SRD ends at the 180" % x["call_id"], x["srd_ms"], x["pdd_ms"])
        per_call.append(OrderedDict(call_id=x["call_id"], final_code=200, category="SUCCESS", auth_challenges=1,
                                    srd_ms_approx=round(x["srd_ms"], 1), pdd_ms_approx=round(x["pdd_ms"], 1),
                                    answer_ms_approx=round(x["answer_ms"], 1)))
    return dict(
        findings=[],
        must_not=list(KINDS),
        calls=calls_section(calls, per_call=per_call, srd_equals_pdd_within_ms=5, srd_at_most_answer=True,
                            srd_ends_at="the 180: the first response that is neither 100 nor a 401/407 challenge"),
        notes=("kamailio (-A INVITE_AUTH) answers every INVITE without credentials with '100 Trying' at once, "
               "then 407 (stateful). alice (192.0.2.101, sipp/pat-uac-auth-call.xml) ACKs and re-sends the "
               "INVITE with Proxy-Authorization (CSeq 2); kamailio sends its own 100 and relays it to bob's "
               "UAS (192.0.2.20), which sends 100 at once, 180 ~900 ms after the INVITE and 200 3 s after the "
               "180; alice ACKs, holds 1 s, BYE, 200. 10 calls, one every 0.5 s; nothing fails. The caller "
               "sees 100, 407, 100, 180, 200. Right answer per call: one attempt (auth_challenges 1), "
               "final 200; SRD (RFC 6076 4.1, first INVITE -> first response other than 100 and other than a "
               "401/407 challenge) = the 180, so SRD = PDD (~905 ms) and SRD <= answer time (~3.9 s). Ending "
               "SRD at the 100 Trying, at the 407, or (skipping the 100s of the first INVITE only) at the 200 is "
               "wrong. No finding of any kind."),
    )


def routing_loop_483(msgs, start, end, c):
    calls = caller_calls(msgs)
    c.eq("calls", len(calls), 20)
    c.eq("finals to the callers", {x["final"] for x in calls.values()}, {483})
    c.eq("callees", sorted({x["to_user"] for x in calls.values()}), ["7001", "7002", "7003", "7004"])
    hops = Counter()
    first483 = Counter()
    mf0 = set()
    for cid in calls:
        invs = [m for m in msgs if m.is_req and m.method == "INVITE" and m.call_id == cid]
        hops[cid] = len(invs)
        c.eq("%s: hops between the proxies" % cid, {(m.src, m.dst) for m in invs[1:]},
             {(KAM, PARTNER), (PARTNER, KAM)})
        mfs = [int(hv(m, "max-forwards")) for m in invs[1:]]
        c.eq("%s: Max-Forwards on the loop" % cid, mfs, list(range(10, -1, -1)))
        r = next(m for m in msgs if not m.is_req and m.call_id == cid and m.code == 483)
        first483[r.src] += 1
        mf0.add(invs[-1].dst)
    c.eq("INVITEs per call", set(hops.values()), {12})
    c.eq("the first 483 of each call comes from", dict(first483), {PARTNER: 20})
    n483 = sum(1 for m in msgs if not m.is_req and m.code == 483)
    c.eq("483s on the wire", n483, 240)
    return dict(
        findings=[F("ROUTING_LOOP", proxies=[KAM, PARTNER], calls=20, responses_483_to_callers=20,
                    responses_483_on_the_wire=240, invites_per_call=12, max_forwards_at_entry=10,
                    too_many_hops_sent_by=PARTNER, domain="partner.example")],
        must_not=["CAPACITY_503_ONSET", "RATE_LIMITED", "ISOLATED_FAILURES", "FLOOD_BLACKHOLE", "NO_RESPONSE",
                  "ALTERNATE_ROUTING", "CAC_REJECTION", "AUTH_LOOP"],
        calls=calls_section(calls, attempts_note="one attempt per Call-ID, however many hops it looped"),
        notes=("Two kamailios. The edge proxy 192.0.2.10 (-A LOOP_A) sends calls for the domain "
               "partner.example to the partner's proxy 192.0.2.11 (-A LOOP_B), which owns no domain and "
               "sends every request to its outbound proxy, 192.0.2.10: a routing loop. The edge caps "
               "Max-Forwards at 10 (maxfwd max_limit); each hop decrements it (10, 9, ... 0, 11 INVITEs "
               "between the proxies per call, each with one more Via) until 192.0.2.11 receives the INVITE "
               "with Max-Forwards 0 and answers 483 Too Many Hops (statefully), which travels back hop by hop "
               "(each hop: 100 Trying, 483, ACK) to the caller. alice (192.0.2.101) places 20 calls at "
               "5 calls/s to sip:7001..7004@partner.example; each ends with 483 at the caller after ~15 ms. "
               "Right answer: a ROUTING_LOOP finding naming the two proxies and the 483 count (20 calls; 240 "
               "483s on the wire); 20 call attempts, not 240; no capacity or rate alarm."),
    )


SPECS = OrderedDict([
    ("one-callee-503.pcap", ("one-callee-503", None, "diagcall-uac.xml + diagcall-uas-answer.xml + "
                             "diagcall-uas-503.xml", one_callee_503)),
    ("rate-limit-503.pcap", ("rate-limit-503", "SRC_LIMIT", "diagcall-uac.xml + diagcall-uas-answer.xml",
                             rate_limit_503)),
    ("capacity-503-spread.pcap", ("capacity-503-spread", "OVERLOAD", "diagcall-uac.xml + diagcall-uas-answer.xml",
                                  capacity_503_spread)),
    ("srd-trying-challenge.pcap", ("srd-trying-challenge", "INVITE_AUTH",
                                   "pat-uac-auth-call.xml + diagcall-uas-answer.xml", srd_trying_challenge)),
    ("routing-loop-483.pcap", ("routing-loop-483", "LOOP_A + -A LOOP_B", "diagcall-uac.xml", routing_loop_483)),
])


def build(path):
    name = os.path.basename(path)
    arg, define, scen, fn = SPECS[name]
    msgs = read_sip(path)
    start, end = capture_span(path)
    c = Check()
    spec = fn(msgs, start, end, c)
    overlap = {f["kind"] for f in spec["findings"]} & set(spec["must_not"])
    c.true("a kind is both required and forbidden: %s" % overlap, not overlap)
    doc = OrderedDict()
    doc["file"] = name
    doc["made_by"] = ("scripts/testdata/make-diag-calls.sh %s: kamailio 5.6.3 (kamailio/diag-calls.cfg%s) + "
                      "SIPp 3.6.1 (sipp/%s), tcpdump in a private network namespace"
                      % (arg, " -A " + define if define else "", scen))
    doc["findings"] = spec["findings"]
    doc["must_not"] = spec["must_not"]
    if "advice_must_not_mention" in spec:
        doc["advice_must_not_mention"] = spec["advice_must_not_mention"]
    doc["calls"] = spec["calls"]
    doc["notes"] = spec["notes"]
    size = os.path.getsize(path)
    doc["capture"] = OrderedDict(bytes=size,
                                 frames=int(run_tshark(["-r", path, "-T", "fields", "-e", "frame.number"])
                                            .split()[-1]),
                                 seconds_approx=round(end - start, 1))
    doc["tshark_sip_stat"] = sip_stat(path)
    if size >= 1024 * 1024:
        c.errors.append("capture is %d bytes (>= 1 MB)" % size)
    return doc, c.errors


def main():
    return truth_cli(build, __doc__, "SCENARIO")


if __name__ == "__main__":
    sys.exit(main())
