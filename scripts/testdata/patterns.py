#!/usr/bin/env python3
"""Known truth of the failure-pattern captures in testdata/patterns/ (issue #4).

    python3 patterns.py write CAPTURE   # check CAPTURE against its scenario,
                                        # then write CAPTURE.truth.json
    python3 patterns.py check CAPTURE   # the same checks, then compare with
                                        # the existing CAPTURE.truth.json

What each scenario must show (the findings, their key numbers, the kinds that
must NOT be reported) is written here by hand from the scenario in
make-patterns.sh and kamailio/patterns.cfg.  To catch a run that did not go
as planned, every number is also measured from the capture on its own (SIP
messages read with tshark, via truth.py's reader; stdlib only), and the
script fails when the measurement and the scenario disagree.  Numbers that
change from run to run within the scenario's tolerance (seconds, the count of
503s) are written with an `_approx` suffix, measured from this capture.
"""
import json
import os
import sys
from collections import OrderedDict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from truth import read_sip, hv, sip_stat, capture_span, run_tshark  # noqa: E402

D = "@sipsleuth.test"
KAM = "192.0.2.10:5060"
ALL_KINDS = ["AUTH_LOOP", "ACCOUNT_LOCKOUT", "POOL_LOCKOUT", "RATE_LIMITED", "FLOOD_BLACKHOLE",
             "CAPACITY_503_ONSET", "REGISTRATION_EXPIRY", "NO_RESPONSE", "ALTERNATE_ROUTING",
             "REALM_MISMATCH", "CAC_REJECTION", "ISOLATED_FAILURES"]


def aor(u):
    return "sip:%s@sipsleuth.test" % u


def ip(addr):
    return addr.rsplit(":", 1)[0]


class Check:
    def __init__(self):
        self.errors = []

    def eq(self, what, got, want):
        if got != want:
            self.errors.append("%s: measured %r, scenario says %r" % (what, got, want))
        return got

    def near(self, what, got, want, tol):
        if got is None or abs(got - want) > tol:
            self.errors.append("%s: measured %r, scenario says %r ± %r" % (what, got, want, tol))
        return None if got is None else round(got, 1)

    def true(self, what, cond):
        if not cond:
            self.errors.append(what)


# ------------------------------------------------------------------ helpers on messages

def reg_attempts(msgs):
    """REGISTER attempts as the scenarios make them: a REGISTER with credentials
    that follows a 401/407 of the same Call-ID and client continues that attempt;
    any other REGISTER starts a new one (a refresh after a 200 too).  Each:
    dict(call_id, aor, client, first, requests=[...], finals=[(code, msg, req)])."""
    atts, open_by = [], {}
    seen_tx = set()
    for m in msgs:
        if m.is_req and m.method == "REGISTER":
            tx = (m.call_id, m.cseq_num, m.src)
            if tx in seen_tx:          # retransmission
                open_by[(m.call_id, m.src)]["transmissions"] += 1
                continue
            seen_tx.add(tx)
            key = (m.call_id, m.src)
            creds = bool(hv(m, "authorization"))
            cur = open_by.get(key)
            challenged = cur is not None and cur["finals"] and cur["finals"][-1][0] in (401, 407)
            if not creds or not challenged:
                a = dict(call_id=m.call_id, aor=m.to_uri, client=m.src, first=m.time,
                         requests=[], finals=[], transmissions=0)
                atts.append(a)
                open_by[key] = a
            a = open_by[key]
            a["requests"].append(m)
            a["transmissions"] += 1
        elif not m.is_req and m.cseq_method == "REGISTER" and m.code >= 200:
            a = open_by.get((m.call_id, m.dst))
            if a is None:
                continue
            req = next((r for r in a["requests"] if r.cseq_num == m.cseq_num), None)
            if req is not None and not any(f[2] is req for f in a["finals"]):
                a["finals"].append((m.code, m, req))
    for a in atts:
        a["final"] = a["finals"][-1][0] if a["finals"] else None
        a["final_time"] = a["finals"][-1][1].time if a["finals"] else None
        a["rejected_creds"] = sum(1 for c, _, r in a["finals"]
                                  if c in (401, 407) and hv(r, "authorization"))
    return atts


def invites_from(msgs, src_ip):
    """Initial INVITE transactions sent by src_ip, first transmission each, by Call-ID."""
    out = OrderedDict()
    for m in msgs:
        if m.is_req and m.method == "INVITE" and ip(m.src) == src_ip and m.call_id not in out:
            out[m.call_id] = m
    return out


def final_to(msgs, call_id, dst_ip, method="INVITE"):
    """The last final response to METHOD sent to dst_ip in the Call-ID (after a
    407 and the re-sent INVITE, the final of the second INVITE)."""
    last = None
    for m in msgs:
        if (not m.is_req and m.call_id == call_id and m.cseq_method == method
                and m.code >= 200 and ip(m.dst) == dst_ip):
            last = m
    return last


def first_req(msgs, call_id, method, src_ip):
    for m in msgs:
        if m.is_req and m.call_id == call_id and m.method == method and ip(m.src) == src_ip:
            return m
    return None


def F(kind, **key):
    return OrderedDict(kind=kind, key=OrderedDict(key))


# ------------------------------------------------------------------ one function per capture

def account_lockout(msgs, start, end, c):
    atts = [a for a in reg_attempts(msgs) if a["aor"] == aor("alice")]
    c.eq("attempts of alice", len(atts), 6)
    c.eq("final responses of the attempts", [a["final"] for a in atts], [401, 401, 401, 403, 403, 200])
    first403 = next(i for i, a in enumerate(atts) if a["final"] == 403)
    threshold = c.eq("rejected credentials before the first 403",
                     sum(a["rejected_creds"] for a in atts[:first403]), 3)
    ok = next(a for a in atts if a["final"] == 200)
    lock = c.near("first 403 attempt -> successful attempt (s)", ok["first"] - atts[first403]["first"], 20.0, 1.0)
    granted = 600
    return dict(
        findings=[
            F("ACCOUNT_LOCKOUT", aor=aor("alice"), threshold=threshold, locked_by=403,
              lock_seconds_approx=lock, registered_after=True, client="192.0.2.101"),
            F("AUTH_LOOP", aor=aor("alice"), rejected_cycles=3, registered_after=True),
        ],
        must_not=["POOL_LOCKOUT", "RATE_LIMITED", "FLOOD_BLACKHOLE", "NO_RESPONSE", "REALM_MISMATCH",
                  "CAPACITY_503_ONSET", "REGISTRATION_EXPIRY", "ISOLATED_FAILURES"],
        notes=("One phone (192.0.2.101), one Call-ID lock-alice@sipsleuth.test, CSeq 1..10. "
               "Attempts 1-3 (0, 1, 2 s): REGISTER, 401, REGISTER with a wrong password, 401. "
               "kamailio counts rejected passwords per user in an htable; at 3 the account is locked: "
               "attempt 4 (3 s) gets 403 Forbidden at once, before any challenge; attempt 5 (11 s) too "
               "(the client sends no credentials: the 403 comes first). The lock is the htable entry, "
               "which expires 15 s after the 3rd rejected password (so it really ended at ~17 s); "
               "attempt 6 (23 s, 20 s after the first 403) with the right password: 401, 200 "
               "(expires=%d). lock_seconds = first 403 attempt -> successful attempt, as the client "
               "saw it: an upper bound of the configured 15 s. AUTH_LOOP is expected too: 3 rejected "
               "credential cycles, registered later." % granted),
    )


def pool_lockout(msgs, start, end, c):
    users = ["alice", "bob", "carol", "dave", "erin"]
    atts = reg_attempts(msgs)
    locks, keys = [], []
    for i, u in enumerate(users):
        a = [x for x in atts if x["aor"] == aor(u)]
        c.eq("final responses of %s" % u, [x["final"] for x in a], [401, 401, 401, 403])
        c.eq("client of %s" % u, {ip(x["client"]) for x in a}, {"192.0.2.%d" % (101 + i)})
        c.eq("rejected credentials of %s before the 403" % u, sum(x["rejected_creds"] for x in a[:3]), 3)
        locks.append(a[3]["first"])
    span = c.near("first lock -> last lock (s)", max(locks) - min(locks), 2.0, 0.5)
    c.true("no 200 at all", not any(m for m in msgs if not m.is_req and m.code == 200))
    findings = [F("POOL_LOCKOUT", accounts_locked=5, aors=[aor(u) for u in users],
                  threshold_min=3, threshold_max=3, lock_span_seconds_approx=span)]
    for i, u in enumerate(users):
        findings.append(F("ACCOUNT_LOCKOUT", aor=aor(u), threshold=3, locked_by=403,
                          lock_seconds_approx=None, registered_after=False,
                          client="192.0.2.%d" % (101 + i)))
    findings.append(F("AUTH_LOOP", accounts=5, rejected_cycles=15, never_registered_after=5))
    return dict(
        findings=findings,
        must_not=["RATE_LIMITED", "FLOOD_BLACKHOLE", "NO_RESPONSE", "REALM_MISMATCH",
                  "CAPACITY_503_ONSET", "REGISTRATION_EXPIRY"],
        notes=("Five phones (192.0.2.101-105) for alice, bob, carol, dave, erin, all provisioned with the "
               "same wrong password 'Welcome1', started 0.5 s apart. Each, in its own Call-ID "
               "pool-USER@sipsleuth.test: 3 x (REGISTER, 401, REGISTER with credentials, 401) 1 s apart, "
               "then REGISTER -> 403 Forbidden (locked by kamailio's per-user htable counter, threshold 3, "
               "15 s). The five locks come within ~2 s. Nothing registers: every account is still locked "
               "when the capture ends (lock_seconds null). The per-account ACCOUNT_LOCKOUT findings and "
               "AUTH_LOOP (3 cycles per account, 15 in all, none registered after) are expected alongside "
               "the POOL_LOCKOUT."),
    )


def rate_limited(msgs, start, end, c):
    atts = reg_attempts(msgs)
    a = [x for x in atts if ip(x["client"]) == "192.0.2.101"]
    b = [x for x in atts if ip(x["client"]) == "192.0.2.102"]
    c.eq("accounts registered from 192.0.2.101", len({x["aor"] for x in a}), 12)
    c.eq("finals of 192.0.2.101's attempts", [x["final"] for x in a], [200] * 5 + [403] * 7)
    c.eq("finals of 192.0.2.102's attempts", [x["final"] for x in b], [200, 200])
    c.true("no 401 after credentials", all(x["rejected_creds"] == 0 for x in atts))
    window = c.near("first REGISTER -> first 403 (s)", a[5]["first"] - a[0]["first"], 1.25, 0.3)
    return dict(
        findings=[F("RATE_LIMITED", source="192.0.2.101", method="REGISTER", accepted_before_limit=5,
                    refused=7, accounts_refused=7, refused_with=403, window_seconds_approx=window,
                    server_window_seconds=10)],
        must_not=["ACCOUNT_LOCKOUT", "POOL_LOCKOUT", "AUTH_LOOP", "FLOOD_BLACKHOLE", "CAPACITY_503_ONSET",
                  "NO_RESPONSE", "REALM_MISMATCH", "REGISTRATION_EXPIRY"],
        notes=("Twelve phones behind one NAT address 192.0.2.101 (ports 5061-5072) register twelve "
               "different accounts with the right passwords, one every 0.25 s (Call-IDs rl-N-USER). "
               "kamailio counts new REGISTERs (without Authorization) per source IP in an htable "
               "(10 s): the first 5 are challenged and registered (401, 200); from the 6th on every "
               "REGISTER from 192.0.2.101 gets 403 Forbidden at once (7 accounts refused). Meanwhile "
               "192.0.2.102 registers peggy and victor (401, 200): the limit is per source address. "
               "No password is wrong, so this is no lockout."),
    )


def flood_blackhole(msgs, start, end, c):
    atts = reg_attempts(msgs)
    a = [x for x in atts if ip(x["client"]) == "192.0.2.101"]
    b = [x for x in atts if ip(x["client"]) == "192.0.2.102"]
    c.eq("PBX lines", len(a), 16)
    c.eq("finals of the PBX lines", [x["final"] for x in a], [200] * 10 + [None] * 6)
    burst_reqs = sum(len(x["requests"]) for x in a[:10])
    c.eq("REGISTERs of the answered burst", burst_reqs, 20)
    tx = [x["transmissions"] for x in a[10:]]
    c.eq("transmissions of each unanswered line", tx, [10] * 6)
    first_silent = a[10]["first"]
    last_tx = max(m.time for m in msgs if m.is_req and ip(m.src) == "192.0.2.101")
    c.true("nothing sent to 192.0.2.101 after the ban",
           not any(m for m in msgs if ip(m.dst) == "192.0.2.101" and m.time >= first_silent))
    c.eq("bob's registrations (192.0.2.102)", [x["final"] for x in b], [200] * 5)
    answered_during = sum(1 for x in b if first_silent < x["first"] < first_silent + 40)
    c.eq("bob's registrations answered during the ban", answered_during, 4)
    silence = c.near("first unanswered REGISTER -> end of capture (s)", end - first_silent, 45.0, 1.5)
    burst = c.near("burst duration (s)", first_silent - a[0]["first"], 1.0, 0.2)
    return dict(
        findings=[F("FLOOD_BLACKHOLE", source="192.0.2.101", method="REGISTER", burst_registrations=10,
                    burst_register_requests=20, burst_seconds_approx=burst, unanswered=6,
                    unanswered_transmissions=60, silence_seconds_approx=silence, ban_seconds=40,
                    others_answered=["192.0.2.102"])],
        must_not=["NO_RESPONSE", "RATE_LIMITED", "ACCOUNT_LOCKOUT", "POOL_LOCKOUT", "AUTH_LOOP",
                  "CAPACITY_503_ONSET", "REGISTRATION_EXPIRY", "REALM_MISMATCH"],
        notes=("A PBX at 192.0.2.101 registers its 16 lines (users 2001-2016, ports 5061-5076, Call-IDs "
               "pbx-line20NN), one every 0.1 s. kamailio counts every request per source IP (htable, "
               "entry expires 2 s after the last one); the 21st puts the IP on a 40 s ban list and from "
               "then on everything from it is dropped without a reply (no 403, no ICMP). Lines 1-10 "
               "registered (20 REGISTERs: 401, 200 each); line 11's first REGISTER is the 21st request. "
               "Lines 11-16 are retransmitted per Timer E (0, 0.5, 1.5, 3.5, 7.5 ... 27.5 s: 10 "
               "transmissions each, 60 in all) until SIPp gives up at 31.5 s; nothing from the PBX "
               "after that. Meanwhile bob (192.0.2.102) registers at 6, 16, 26, 36, 46 s and is answered "
               "every time (401, 200): the registrar is up, only the PBX's address is dropped, so this "
               "must not be reported as NO_RESPONSE for the registrar. The ban ends ~41 s in; the PBX "
               "sends nothing after it."),
    )


def capacity_503(msgs, start, end, c):
    inv = invites_from(msgs, "192.0.2.101")
    c.eq("calls", len(inv), 30)
    calls = []
    for cid, m in inv.items():
        f = final_to(msgs, cid, "192.0.2.101")
        bye = first_req(msgs, cid, "BYE", "192.0.2.101")
        calls.append(dict(cid=cid, start=m.time, final=f.code if f else None, resp=f,
                          end=(bye.time if bye else (f.time if f else end))))
    refused = [x for x in calls if x["final"] == 503]
    c.eq("final codes other than 200/503", [x["final"] for x in calls if x["final"] not in (200, 503)], [])
    c.true("at least 3 calls got 503 (got %d)" % len(refused), len(refused) >= 3)
    c.true("no call got a 503 from bob's UAS (kamailio refuses them itself)",
           not any(m for m in msgs if not m.is_req and m.code == 503 and ip(m.src) != "192.0.2.10"))
    ra = {hv(x["resp"], "retry-after") for x in refused}
    c.eq("Retry-After of the 503s", ra, {"30"})
    onset = refused[0]["resp"].time
    in_flight = sum(1 for x in calls if x["start"] <= onset and x["end"] > onset and x is not refused[0])
    c.eq("calls in progress at the first 503", in_flight, 10)
    c.true("every call before the onset was answered",
           all(x["final"] == 200 for x in calls if x["start"] < refused[0]["start"]))
    onset_s = c.near("onset (s into the capture)", onset - start, 10.0, 1.0)
    return dict(
        findings=[F("CAPACITY_503_ONSET", calls_in_flight_at_onset=10, limit=10, retry_after=30,
                    onset_seconds_approx=onset_s, responses_503_approx=len(refused),
                    calls_answered_approx=len(calls) - len(refused), refused_by=KAM)],
        must_not=["ISOLATED_FAILURES", "RATE_LIMITED", "NO_RESPONSE", "ALTERNATE_ROUTING", "CAC_REJECTION",
                  "FLOOD_BLACKHOLE", "AUTH_LOOP"],
        notes=("alice (192.0.2.101) calls bob through kamailio; bob's SIPp UAS (192.0.2.20) answers every "
               "call it gets (100, 180, 200); alice holds each call 5 s, then BYE. Three SIPp callers at "
               "1 call/s each start at 0, 5.5 and 10.33 s (ports 5060-5062, Call-IDs capN-M): 1 call/s, "
               "then 2/s, then 3/s, 30 calls. kamailio keeps the calls in progress in a dialog profile "
               "(INVITE to BYE) and refuses an INVITE that finds 10 there with its own stateless "
               "503 Service Unavailable + Retry-After: 30 (the caller ACKs it). The first 503 comes at "
               "~10 s with exactly 10 calls in progress; after it, admissions and 503s alternate as calls "
               "end (the count of 503s depends on timing, 4-8). ISOLATED_FAILURES must not be reported: "
               "every call went to the same place (bob via kamailio); the refused calls only look like "
               "another 'destination' because kamailio refused them before relaying."),
    )


def alternate_routing(msgs, start, end, c):
    inv = invites_from(msgs, "192.0.2.101")
    c.eq("calls", len(inv), 4)
    for cid in inv:
        a = [m for m in msgs if m.is_req and m.method == "INVITE" and m.call_id == cid
             and m.src == KAM and m.dst == "198.51.100.20:5060"]
        c.eq("INVITE transmissions to the primary for %s" % cid, len(a), 3)
        c.true("%s: nothing from the primary" % cid,
               not any(m for m in msgs if m.call_id == cid and ip(m.src) == "198.51.100.20"))
        b = [m for m in msgs if m.is_req and m.method == "INVITE" and m.call_id == cid
             and m.src == KAM and m.dst == "192.0.2.21:5060"]
        c.eq("INVITEs to the backup for %s" % cid, len(b), 1)
        c.near("%s: primary's first INVITE -> backup INVITE (s)" % cid, b[0].time - a[0].time, 2.0, 0.2)
        f = final_to(msgs, cid, "192.0.2.101")
        c.eq("final response to the caller for %s" % cid, f.code if f else None, 200)
        c.true("%s ends with BYE" % cid, first_req(msgs, cid, "BYE", "192.0.2.101") is not None)
    return dict(
        findings=[F("ALTERNATE_ROUTING", from_="198.51.100.20:5060", to="192.0.2.21:5060", via=KAM,
                    calls_rerouted=4, succeeded_after_reroute=4, failed_leg="no answer",
                    failover_after_seconds=2)],
        must_not=["CAPACITY_503_ONSET", "CAC_REJECTION", "ISOLATED_FAILURES", "RATE_LIMITED",
                  "FLOOD_BLACKHOLE", "AUTH_LOOP"],
        notes=("4 calls alice (192.0.2.101) -> bob, one every 4 s, held 1 s. kamailio relays each INVITE "
               "first to the primary 198.51.100.20:5060: the far end of a veth link whose peer has no "
               "address, so nothing answers (no reply, no ICMP); kamailio retransmits it (0, 0.5, 1.5 s). "
               "fr_timer 2 s fires: kamailio's local 408 (never on the wire) runs failure_route, which "
               "relays the INVITE on a new branch to the backup 192.0.2.21:5060 (SIPp UAS: 100, 180, "
               "200). The caller gets kamailio's 100 at once and 180/200 ~2 s later. The file is a "
               "time-ordered mergecap of tcpdump on lo and on the veth sil0 (MACs 02:00:00:00:51:01 -> "
               "02:00:00:00:51:02); both Ethernet. 'from_' is 'from' (a Python keyword in the script). "
               "A NO_RESPONSE note about the primary is acceptable but not required: every call "
               "succeeded."),
    )


def cac_488(msgs, start, end, c):
    inv = invites_from(msgs, "192.0.2.101")
    c.eq("calls", len(inv), 6)
    finals, rejected = [], []
    for cid, m in inv.items():
        f = final_to(msgs, cid, "192.0.2.101")
        finals.append(f.code if f else None)
        body = run_body(m)
        if f and f.code == 488:
            rejected.append(cid)
            c.true("%s: 488 to a G.729-only offer" % cid, "RTP/AVP 18" in body and "PCMA" not in body)
            c.true("%s: Warning 305 in the 488" % cid, hv(f, "warning").startswith("305 "))
        elif f and f.code == 200:
            c.true("%s: answered offer has PCMA" % cid, "PCMA" in body)
    c.eq("final codes", finals, [488, 200, 488, 488, 200, 488])
    c.true("the 488s come from bob's UAS and are relayed by kamailio",
           sum(1 for m in msgs if not m.is_req and m.code == 488 and m.src == "192.0.2.20:5060") == 4)
    return dict(
        findings=[F("CAC_REJECTION", calls=4, call_ids=rejected, rejected_by="192.0.2.20:5060",
                    warning=305)],
        must_not=["CAPACITY_503_ONSET", "ALTERNATE_ROUTING", "AUTH_LOOP", "NO_RESPONSE", "RATE_LIMITED",
                  "FLOOD_BLACKHOLE", "ISOLATED_FAILURES"],
        notes=("6 calls alice (192.0.2.101) -> kamailio -> bob's UAS (192.0.2.20), one at a time. bob's "
               "UAS only speaks PCMA (a SIPp scenario that looks for 'a=rtpmap:8 PCMA' in the offer): "
               "calls cac-1, 3, 4, 6 offer G.729 only (m=audio ... RTP/AVP 18) and get 488 Not Acceptable "
               "Here + Warning: 305 (Incompatible media format), relayed by kamailio (which ACKs bob, "
               "alice ACKs kamailio); calls cac-2 and cac-5 offer PCMA and are answered (held 1 s, BYE)."),
    )


def run_body(m):
    # the SDP m= and a= lines of the frame (truth.py reads headers only)
    return run_tshark(["-r", CURRENT, "-Y", "frame.number == %d" % m.frame, "-T", "fields",
                       "-e", "sdp.media", "-e", "sdp.media_attr"])


def realm_mismatch(msgs, start, end, c):
    atts = reg_attempts(msgs)
    al = [x for x in atts if x["aor"] == aor("alice")]
    bo = [x for x in atts if x["aor"] == aor("bob")]
    c.eq("alice's attempts", [x["final"] for x in al], [401, 401])
    c.eq("bob's attempts", [x["final"] for x in bo], [200])
    mism = 0
    for x in al:
        for r in x["requests"]:
            auth = hv(r, "authorization")
            if auth:
                c.true("alice's credentials name realm wrong.example", 'realm="wrong.example"' in auth)
                mism += 1
    c.eq("REGISTERs with credentials for another realm", mism, 2)
    chall = {hv(m, "www-authenticate").split(",")[0] for m in msgs if not m.is_req and m.code == 401}
    c.eq("challenge realm", chall, {'Digest realm="sipsleuth.test"'})
    return dict(
        findings=[F("REALM_MISMATCH", aor=aor("alice"), attempts=2, challenge_realm="sipsleuth.test",
                    credentials_realm="wrong.example", client="192.0.2.101")],
        must_not=["AUTH_LOOP", "ACCOUNT_LOCKOUT", "POOL_LOCKOUT", "RATE_LIMITED", "NO_RESPONSE",
                  "FLOOD_BLACKHOLE", "REGISTRATION_EXPIRY"],
        notes=("alice (192.0.2.101, Call-ID realm-alice, CSeq 1..4) is configured with the wrong realm: "
               "she takes the nonce from the 401 (realm \"sipsleuth.test\") and answers with an "
               "Authorization header for realm \"wrong.example\" (same nonce, dummy response hash). "
               "kamailio finds no credentials for its realm and challenges again: 401. Twice, 3 s apart. "
               "bob (192.0.2.102) registers in between with the right realm (401, 200). Only 2 rejected "
               "cycles: below AUTH_LOOP's 3, so no AUTH_LOOP."),
    )


def registration_lapse(msgs, start, end, c):
    atts = reg_attempts(msgs)
    al = [x for x in atts if x["aor"] == aor("alice")]
    bo = [x for x in atts if x["aor"] == aor("bob")]
    c.eq("alice's attempts", [x["final"] for x in al], [200])
    c.eq("alice asked", hv(al[0]["requests"][0], "expires"), "3600")
    ok = al[0]["finals"][-1][1]
    c.eq("alice granted", hv(ok, "contact").split("expires=")[-1], "10")
    lapse = ok.time + 10
    lapsed_at = c.near("alice lapses (s into the capture)", lapse - start, 11.0, 0.5)
    after = c.near("capture after the lapse (s)", end - lapse, 23.0, 1.5)
    c.true("capture goes on >= 20 s after the lapse", end - lapse >= 20)
    c.eq("bob's attempts (register + 6 refreshes)", [x["final"] for x in bo], [200] * 7)
    bob_until = bo[-1]["final_time"] + 10
    c.true("bob's binding still valid at the end (%.1f > %.1f)" % (bob_until, end), bob_until > end)
    c.eq("OPTIONS pings", sum(1 for m in msgs if m.is_req and m.method == "OPTIONS"), 4)
    return dict(
        findings=[F("REGISTRATION_EXPIRY", aors_lapsed=1, aor=aor("alice"), requested_expires=3600,
                    granted_expires=10, lapsed_at_seconds_approx=lapsed_at,
                    capture_after_lapse_seconds_approx=after, not_lapsed=[aor("bob")])],
        must_not=["NO_RESPONSE", "AUTH_LOOP", "ACCOUNT_LOCKOUT", "RATE_LIMITED", "FLOOD_BLACKHOLE",
                  "CAPACITY_503_ONSET"],
        notes=("kamailio max_expires 10. alice (192.0.2.101, Call-ID lapse-alice) registers at ~1 s asking "
               "Expires: 3600 and is granted 10 (Contact ...;expires=10); she never sends anything again, "
               "so her binding lapses at ~11 s. bob (192.0.2.102, lapse-bob) is granted 10 as well and "
               "refreshes every 5 s (CSeq 3-8, the first nonce reused, 200 each) up to ~30 s: his last "
               "binding lasts past the end of the capture, so he must not be reported. A monitor "
               "(192.0.2.30) sends OPTIONS sip:sipsleuth.test at 2, 12, 22, 34 s (200 each). The "
               "capture ends at ~34 s, ~23 s after alice's lapse."),
    )


def clean(msgs, start, end, c):
    atts = reg_attempts(msgs)
    c.eq("registrations", len(atts), 10)
    c.eq("registration finals", {x["final"] for x in atts}, {200})
    callers = OrderedDict()
    for m in msgs:
        if m.is_req and m.method == "INVITE" and m.dst == KAM and m.call_id not in callers:
            callers[m.call_id] = m
    c.eq("calls", len(callers), 10)
    for cid in callers:
        f = final_to(msgs, cid, ip(callers[cid].src))
        c.eq("final of %s" % cid, f.code if f else None, 200)
        c.true("%s ends with BYE/200" % cid, final_to(msgs, cid, ip(callers[cid].src), "BYE") is not None)
    c.eq("OPTIONS", sum(1 for m in msgs if m.is_req and m.method == "OPTIONS"), 2)
    bad = sorted({m.code for m in msgs if not m.is_req and m.code >= 300 and m.code not in (401, 407)})
    c.eq("failure responses", bad, [])
    c.eq("retransmissions", sip_stat(CURRENT)["resent"], 0)
    return dict(
        findings=[],
        must_not=list(ALL_KINDS),
        notes=("A healthy registrar + proxy. bob's UAS (192.0.2.20:5060) registers (from :5061, "
               "Contact :5060); nine phones (192.0.2.101-109: alice, carol, dave, erin, frank, grace, "
               "heidi, ivan, judy) register: 401, 200 (expires=600) each, 10 registrations in all. "
               "A monitor (192.0.2.30) sends 2 OPTIONS (200). Then 10 calls from those users to bob, one "
               "every 0.5 s: INVITE, 407, ACK, INVITE with Proxy-Authorization, 100, 180, 200, ACK, "
               "1 s, BYE, 200. Every 401/407 is a challenge that is answered at once with the right "
               "credentials. No finding of any kind is expected."),
    )


SPECS = OrderedDict([
    ("account-lockout.pcap", ("account-lockout", "LOCKOUT", "pat-reg-lockout.xml", account_lockout)),
    ("pool-lockout.pcap", ("pool-lockout", "LOCKOUT", "pat-reg-until-403.xml", pool_lockout)),
    ("rate-limited.pcap", ("rate-limited", "RATELIMIT", "pat-reg.xml", rate_limited)),
    ("flood-blackhole.pcap", ("flood-blackhole", "FLOOD", "pat-reg.xml", flood_blackhole)),
    ("capacity-503.pcap", ("capacity-503", "CAPACITY", "pat-uac-call.xml + pat-uas-answer.xml", capacity_503)),
    ("alternate-routing.pcap", ("alternate-routing", "FAILOVER", "pat-uac-call.xml + pat-uas-answer.xml",
                                alternate_routing)),
    ("cac-488.pcap", ("cac-488", None, "pat-uac-call.xml + pat-uas-codec.xml", cac_488)),
    ("realm-mismatch.pcap", ("realm-mismatch", None, "pat-reg-wrong-realm.xml + pat-reg.xml", realm_mismatch)),
    ("registration-lapse.pcap", ("registration-lapse", "SHORT_EXPIRES",
                                 "pat-reg.xml + pat-reg-refresh.xml + pat-options.xml", registration_lapse)),
    ("clean.pcap", ("clean", "INVITE_AUTH", "pat-reg.xml + pat-uac-auth-call.xml + pat-uas-answer.xml + "
                    "pat-options.xml", clean)),
])

CURRENT = None


def build(path):
    global CURRENT
    CURRENT = path
    name = os.path.basename(path)
    arg, define, scen, fn = SPECS[name]
    msgs = read_sip(path)
    start, end = capture_span(path)
    c = Check()
    spec = fn(msgs, start, end, c)
    for f in spec["findings"]:
        if "from_" in f["key"]:
            f["key"] = OrderedDict(("from" if k == "from_" else k, v) for k, v in f["key"].items())
    overlap = {f["kind"] for f in spec["findings"]} & set(spec["must_not"])
    c.true("a kind is both required and forbidden: %s" % overlap, not overlap)
    doc = OrderedDict()
    doc["file"] = name
    doc["made_by"] = ("scripts/testdata/make-patterns.sh %s: kamailio 5.6.3 (kamailio/patterns.cfg%s) + "
                      "SIPp 3.6.1 (sipp/%s), tcpdump in a private network namespace"
                      % (arg, " -A " + define if define else "", scen))
    doc["findings"] = spec["findings"]
    doc["must_not"] = spec["must_not"]
    doc["notes"] = spec["notes"]
    doc["capture"] = OrderedDict(bytes=os.path.getsize(path),
                                 frames=int(run_tshark(["-r", path, "-T", "fields", "-e", "frame.number"])
                                            .split()[-1]),
                                 seconds_approx=round(end - start, 1))
    doc["tshark_sip_stat"] = sip_stat(path)
    if os.path.getsize(path) >= 400 * 1024:
        c.errors.append("capture is %d bytes (>= 400 KB)" % os.path.getsize(path))
    return doc, c.errors


# Keys of a truth file that are measured from the capture or describe how it was
# made: `check` ignores them (and every key ending in `_approx`).
MEASURED = ("capture", "made_by", "tshark_sip_stat")


def strip_measured(x, measured=MEASURED):
    if isinstance(x, dict):
        return {k: strip_measured(v, measured) for k, v in x.items()
                if not k.endswith("_approx") and k not in measured}
    if isinstance(x, list):
        return [strip_measured(v, measured) for v in x]
    return x


def truth_cli(build, usage, label, measured=MEASURED):
    """`SCRIPT write|check FILE` for a truth checker: `build(path)` returns the
    truth document and the mismatches between the scenario and the capture;
    `write` writes FILE.truth.json when there are none, `check` compares it with
    the stored one. Shared by patterns.py, diag-calls.py and diagreg.py."""
    if len(sys.argv) != 3 or sys.argv[1] not in ("write", "check"):
        print(usage)
        return 2
    path = sys.argv[2]
    doc, errors = build(path)
    for e in errors:
        print("%s MISMATCH %s: %s" % (label, os.path.basename(path), e), file=sys.stderr)
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
        if strip_measured(old, measured) != strip_measured(json.loads(json.dumps(doc)), measured):
            print("%s differs from the capture" % jpath, file=sys.stderr)
            return 1
        print("ok %s" % path, file=sys.stderr)
    return 0


def main():
    return truth_cli(build, __doc__, "PATTERN")


if __name__ == "__main__":
    sys.exit(main())
