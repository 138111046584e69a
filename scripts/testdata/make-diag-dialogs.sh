#!/usr/bin/env bash
# Make one dialog-level diagnosis capture of testdata/diagnosis/dialogs/ with
# its .truth.json (as root: it creates network namespaces).  Issue #15, §3
# (forks in the ladder) and §5 (calls the model gets wrong).
#
#   bash scripts/testdata/make-diag-dialogs.sh NAME
#   bash scripts/testdata/make-diag-dialogs.sh truth NAME   # re-check, rewrite the truth only
#
# NAME: fork-parallel bye-rejected in-progress-at-start
#       register-then-invite-same-callid b2bua-legs
#
# Real kamailio (kamailio/diag-dialogs.cfg) and SIPp (sipp/diagdlg-*.xml) in a
# private namespace; addresses as in patterns-lib.sh, plus 192.0.2.40 (the
# emulated B2BUA).  What each scenario does and the truth it must give:
# testdata/diagnosis/dialogs/README.md.  The truth is written by hand below
# (write_truth) and checked against the capture first: the script fails when
# the capture does not show what the scenario is meant to do.
source "$(dirname "$0")/patterns-lib.sh"

NAME="${1:-}"
S="$TD_SIPP"
PCAP="$TD_TMP/lo.pcap"
K=192.0.2.10:5060
CFG="$TD_KAM/diag-dialogs.cfg"
OUTDIR="diagnosis/dialogs"

ns() {       # ns: the namespace of patterns-lib.sh, plus the B2BUA's address
    pat_ns "sipsleuth-td-dlg-$NAME"
    ip -n "$TD_NS" addr add 192.0.2.40/32 dev lo
}
kam() {      # kam [KAMAILIO-DEFINES...]
    local args=() d
    for d in "$@"; do args+=(-A "$d"); done
    td_kamailio_start "$CFG" "${args[@]}"
}
capture() {  # capture: tcpdump on lo, SIP over UDP only (the 3PCC twin channel is TCP)
    td_tcpdump_start "$PCAP" -i lo udp
    LO_TCPDUMP=$TD_TCPDUMP_PID
}
finish() {   # finish: cut 1 s after the last packet, stop everything, install + truth
    sleep 1
    td_stop "$LO_TCPDUMP"
    [ -z "${TD_KAM_PID:-}" ] || td_stop "$TD_KAM_PID"
    mkdir -p "$TD_OUT/$OUTDIR"
    td_install "$PCAP" "$OUTDIR/$NAME.pcap"
    write_truth "$TD_OUT/$OUTDIR/$NAME.pcap"
}
uas_bg() {   # uas_bg NAME IP XML [SIPP ARGS...]: a SIPp UAS on IP:5060 for many calls
    local name="$1" ip="$2" xml="$3"
    shift 3
    pat_sipp_bg "$name" 60 -sf "$S/$xml" -i "$ip" -p 5060 -key uas_user bob -key idp "$name-" "$@"
    UAS_PID=$TD_LASTPID
    sleep 0.5
}
call() {     # call NAME IP XML CALLER CALLEE CALL-ID [SIPP ARGS...]: one call, in the foreground
    local name="$1" ip="$2" xml="$3" caller="$4" callee="$5" cid="$6"
    shift 6
    pat_sipp "$name" 30 -sf "$S/$xml" -i "$ip" -p 5060 -m 1 -s "$callee" -key caller "$caller" \
        -key idp "$name-" -cid_str "$cid@sipsleuth.test" "$@" $K
}
call_bg() {  # call_bg ...: the same in the background (PID in TD_LASTPID)
    local name="$1" ip="$2" xml="$3" caller="$4" callee="$5" cid="$6"
    shift 6
    pat_sipp_bg "$name" 30 -sf "$S/$xml" -i "$ip" -p 5060 -m 1 -s "$callee" -key caller "$caller" \
        -key idp "$name-" -cid_str "$cid@sipsleuth.test" "$@" $K
}

write_truth() {  # write_truth CAPTURE: check the capture, then write CAPTURE.truth.json
    PYTHONPATH="$TD_SCRIPTS" python3 - "$1" "$NAME" <<'PY'
# The truth of one capture, written by hand from the scenario above; every
# number is also measured from the capture (tshark, stdlib Python) and the
# script fails when the two disagree.  Values named *_approx change a little
# from run to run and are taken from this capture.
import json, os, re, sys
from collections import OrderedDict as OD
from decimal import Decimal
from truth import sip_stat, run_tshark

path, name = sys.argv[1], sys.argv[2]
D = "@sipsleuth.test"
KAM = "192.0.2.10:5060"
FIELDS = ["frame.number", "frame.time_epoch", "ip.src", "udp.srcport", "ip.dst", "udp.dstport",
          "sip.Method", "sip.Status-Code", "sip.CSeq.seq", "sip.CSeq.method", "sip.Call-ID",
          "sip.to.tag", "sip.from.user", "sip.to.user", "sip.msg_hdr"]
MUST_NOT = ["NO_RESPONSE", "CAPACITY_503_ONSET", "RATE_LIMITED", "FLOOD_BLACKHOLE", "AUTH_LOOP",
            "ACCOUNT_LOCKOUT", "POOL_LOCKOUT", "REALM_MISMATCH", "REGISTRATION_EXPIRY"]


class M:
    pass


def read(path):
    cmd = ["-r", path, "-Y", "sip", "-T", "fields", "-E", "separator=\t", "-E", "occurrence=f"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = []
    for line in run_tshark(cmd).splitlines():
        v = dict(zip(FIELDS, line.split("\t") + [""] * len(FIELDS)))
        m = M()
        m.ns = int(Decimal(v["frame.time_epoch"]) * 1000000000)
        m.src = "%s:%s" % (v["ip.src"], v["udp.srcport"])
        m.dst = "%s:%s" % (v["ip.dst"], v["udp.dstport"])
        m.method = v["sip.Method"] or None
        m.code = int(v["sip.Status-Code"]) if v["sip.Status-Code"] else None
        m.cseq, m.cmethod = int(v["sip.CSeq.seq"]), v["sip.CSeq.method"]
        m.cid, m.totag = v["sip.Call-ID"], v["sip.to.tag"] or None
        m.fuser, m.tuser = v["sip.from.user"], v["sip.to.user"]
        x = re.search(r"X-CID: ([^\\\r\n]+)", v["sip.msg_hdr"])
        m.xcid = x.group(1).strip() if x else None
        out.append(m)
    return out


class Check:
    def __init__(self):
        self.errors = []

    def eq(self, what, got, want):
        if got != want:
            self.errors.append("%s: measured %r, scenario says %r" % (what, got, want))
        return got

    def near(self, what, got, want, tol):
        if got is None or abs(got - want) > tol:
            self.errors.append("%s: measured %r, scenario says %r +- %r" % (what, got, want, tol))
        return None if got is None else round(got, 1)

    def true(self, what, cond):
        if not cond:
            self.errors.append(what)


def ms(a, b):
    return (b - a) / 1e6


def one(c, what, xs):
    c.eq("count of " + what, len(xs), 1)
    return xs[0] if xs else None


def call(cid, category, final_code, **kw):
    r = OD(call_id=cid, category=category, final_code=final_code)
    r.update(kw)
    return r


def fork_parallel(ms_, c):
    cid = "fork-1" + D
    c.eq("Call-IDs", sorted({m.cid for m in ms_}), [cid])
    caller = "192.0.2.101:5060"
    to_caller = [m for m in ms_ if m.dst == caller and m.cmethod == "INVITE" and m.code]
    r180 = [m for m in to_caller if m.code == 180]
    c.eq("180s on the caller's leg", len(r180), 2)
    tags = [m.totag for m in r180]
    c.eq("To-tags of the two 180s", tags, ["uas1-1-b", "uas2-1-c"])
    ok = one(c, "200 (INVITE) to the caller", [m for m in to_caller if m.code == 200])
    c.eq("the 200 comes from the first branch", ok and ok.totag, "uas1-1-b")
    cancel = one(c, "CANCEL to the losing branch", [m for m in ms_ if m.method == "CANCEL"])
    c.eq("CANCEL sent by", cancel and (cancel.src, cancel.dst), (KAM, "192.0.2.21:5060"))
    one(c, "487 from the losing branch", [m for m in ms_ if m.code == 487 and m.src == "192.0.2.21:5060"])
    c.true("the second 180 comes before the 200", r180 and ok and r180[-1].ns < ok.ns)
    bye_ok = one(c, "200 (BYE) to the caller", [m for m in ms_ if m.code == 200 and m.cmethod == "BYE"
                                                 and m.dst == caller])
    return OD(
        calls=OD(attempts=1, outcomes=OD(SUCCESS=1), in_progress_at_start=0, per_call=[
            call(cid, "SUCCESS", 200, early_dialogs=2, labels_include=["forked"], bye_final_code=200,
                 end_ns=bye_ok and bye_ok.ns, pdd_ms_approx=round(ms(ms_[0].ns, r180[0].ns), 1),
                 answer_ms_approx=round(ms(ms_[0].ns, ok.ns), 1))]),
        ladder=OD(call_id=cid, caller_leg_180s=2, to_tags=tags, retransmissions=0,
                  second_180_approx_ms=round(ms(ms_[0].ns, r180[1].ns), 1)),
        notes=("kamailio (-A FORK) forks alice's INVITE to bob in parallel (append_branch) to 192.0.2.20 and "
               "192.0.2.21. 192.0.2.20 rings at +50 ms (180, To-tag uas1-1-b) and answers at ~+1.06 s; "
               "192.0.2.21 rings at +300 ms (180, To-tag uas2-1-c) until kamailio CANCELs its branch after the "
               "200: 200 (CANCEL), 487, ACK. alice gets both 180s from kamailio on ONE transaction, with different "
               "To-tags: two early dialogs, not a retransmission (a retransmission is the same response on the "
               "same leg with the same To-tag; nothing in this capture is sent twice: tshark resent 0). Then 200, "
               "ACK, 1 s, BYE, 200. Right answer: one call, SUCCESS, early_dialogs 2, label forked; in `flow` no "
               "arrow is marked (retr.)."))


def bye_rejected(ms_, c):
    c1, c2 = "byerej-1" + D, "byerej-2" + D
    c.eq("Call-IDs", sorted({m.cid for m in ms_}), [c1, c2])
    out = []
    for cid, caller in ((c1, "192.0.2.101:5060"), (c2, "192.0.2.102:5060")):
        mm = [m for m in ms_ if m.cid == cid]
        ans = one(c, "200 (INVITE) to the caller of " + cid,
                  [m for m in mm if m.dst == caller and m.code == 200 and m.cmethod == "INVITE"])
        byes = [m for m in mm if m.src == caller and m.method == "BYE"]
        resp = [(m.cseq, m.code) for m in mm if m.dst == caller and m.cmethod == "BYE"]
        if cid == c1:
            c.eq("BYEs of the caller of " + cid, [m.cseq for m in byes], [2, 3])
            c.eq("responses to them", resp, [(2, 500), (3, 200)])
            gap = c.near("rejected BYE -> second BYE (ms)", ms(byes[0].ns, byes[1].ns), 1000, 150)
            dur = c.near("200 -> second BYE (ms)", ms(ans.ns, byes[1].ns), 2000, 200)
            end = [m for m in mm if m.dst == caller and m.cmethod == "BYE" and m.code == 200][0]
            out.append(call(cid, "SUCCESS", 200, bye_final_code=200, end_ns=end.ns, duration_ms_approx=dur,
                            hangup_by="caller", rejected_bye_to_retry_ms_approx=gap))
        else:
            c.eq("BYEs of the caller of " + cid, [m.cseq for m in byes], [2])
            c.eq("responses to them", resp, [(2, 500)])
            rej = [m for m in mm if m.dst == caller and m.code == 500][0]
            c.true("nothing of %s after the 500" % cid, mm[-1] is rej)
            c.true("the capture ends with that 500", ms_[-1] is rej)
            out.append(call(cid, "SUCCESS", 200, end_ns=None, duration_ms=None, hangup_by=None,
                            bye_final_code_any_of=[500, None], labels_include=["bye_rejected"]))
    # RFC 6076 SCR: answered attempts whose BYE got a 2xx, over attempts
    scr = sum(1 for cid in (c1, c2) if any(m.cid == cid and m.cmethod == "BYE" and m.code == 200
                                           for m in ms_)) / 2
    c.eq("SCR", scr, 0.5)
    return OD(
        calls=OD(attempts=2, outcomes=OD(SUCCESS=2), in_progress_at_start=0, rfc6076_scr=scr, per_call=out),
        notes=("kamailio relays two calls to bob's UAS (192.0.2.20), which answers the first BYE of each call "
               "'500 Request out of order'. Call 1 (alice, 192.0.2.101): answered, held 1 s, BYE (CSeq 2) -> 500, "
               "1 s later BYE (CSeq 3) -> 200: the call ends at the second BYE (duration ~2 s, bye_final_code 200, "
               "end_ns = the 200 to that BYE on alice's hop). Call 2 (dave, 192.0.2.102): answered, held 1 s, "
               "BYE -> 500, and nothing follows: the capture ends with that 500. A rejected BYE does not end a "
               "call (RFC 6076 SDD ends at a 2xx or a timeout): call 2 has no end (end_ns null, no duration, no "
               "hangup_by), its bye_final_code is 500 or null (the lead decides), label bye_rejected. RFC 6076 SCR is "
               "0.5: call 1's (second) BYE got a 2xx, call 2's did not."))


def in_progress_at_start(ms_, c):
    a1, a2, b, cc = ("inprog-%s%s" % (x, D) for x in ("a1", "a2", "b", "c"))
    c.eq("Call-IDs", sorted({m.cid for m in ms_}), sorted([a1, a2, b, cc]))
    initial = sorted({m.cid for m in ms_ if m.method == "INVITE" and not m.totag})
    c.eq("Call-IDs with an initial INVITE in the capture", initial, [cc])
    first = {cid: next(m for m in ms_ if m.cid == cid) for cid in (a1, a2, b)}
    c.eq("first message of a1", (first[a1].method, first[a1].cseq), ("BYE", 2))
    c.eq("first message of a2 (re-INVITE, To-tag)", (first[a2].method, first[a2].cseq, bool(first[a2].totag)),
         ("INVITE", 2, True))
    c.eq("first message of b (the 200 to its INVITE)", (first[b].code, first[b].cmethod), (200, "INVITE"))
    c.true("every call ends with a 200 to its BYE",
           all(any(m.cid == x and m.cmethod == "BYE" and m.code == 200 for m in ms_) for x in (a1, a2, b, cc)))
    return OD(
        calls=OD(attempts=1, outcomes=OD(SUCCESS=1), in_progress_at_start=3,
                 in_progress_call_ids=[a1, a2, b], per_call=[call(cc, "SUCCESS", 200, bye_final_code=200)]),
        notes=("Three calls through kamailio began BEFORE tcpdump started: a1 (alice -> bob) and a2 (dave -> bob) "
               "were answered (INVITE/200/ACK before the capture); b (erin -> carol, whose UAS answers 4 s after "
               "ringing) had INVITE, 100 and 180 before the capture. In the capture: c (frank -> bob), a whole "
               "call (the only call attempt); a2's re-INVITE (a=sendonly) -> 200 -> ACK, then its BYE; a1's BYE; "
               "b's 200, ACK and BYE. Right answer: 1 call attempt, and the 3 calls in progress when the capture "
               "started counted apart: JSON calls.in_progress_at_start = 3, printed by `analyze`."))


def register_then_invite(ms_, c):
    users = [str(u) for u in range(2001, 2011)]
    cids = ["reginv-%s%s" % (u, D) for u in users]
    c.eq("Call-IDs", sorted({m.cid for m in ms_}), sorted(cids))
    for u, cid in zip(users, cids):
        mm = [m for m in ms_ if m.cid == cid]
        caller = mm[0].src
        seq = [(m.method or m.code, m.cseq) for m in mm if m.src == caller or m.dst == caller]
        c.eq("messages of " + cid + " on the phone's hop", seq,
             [("REGISTER", 1), (401, 1), ("REGISTER", 2), (200, 2), ("INVITE", 3), (100, 3), (180, 3), (200, 3),
              ("ACK", 3), ("BYE", 4), (200, 4)])
        inv = next(m for m in mm if m.method == "INVITE")
        c.true("the INVITE of %s has no To-tag" % cid, inv.totag is None)
        c.eq("the phone of " + cid, (mm[0].fuser, caller.split(":")[0]), (u, "192.0.2.%d" % (int(u) - 1900)))
    return OD(
        calls=OD(attempts=10, outcomes=OD(SUCCESS=10), in_progress_at_start=0,
                 per_call=[call(cid, "SUCCESS", 200, bye_final_code=200) for cid in cids]),
        registrations=OD(attempts=10, registered=10, failed=0),
        notes=("Ten phones (users 2001..2010 at 192.0.2.101..110, 0.5 s apart), each in ONE Call-ID "
               "reginv-USER@sipsleuth.test: REGISTER (CSeq 1) -> 401 -> REGISTER with credentials (CSeq 2) -> 200, "
               "then 200 ms later an initial INVITE (CSeq 3, no To-tag) to bob through kamailio -> 100, 180, 200, "
               "ACK, 1 s, BYE (CSeq 4) -> 200, as SIPp's branch scenarios do (goffinet's branch-scenario-sipp). "
               "An INVITE without To-tag starts a call whatever came before in its Call-ID. Right answer: "
               "10 call attempts (all SUCCESS) and 10 registrations (all REGISTERED)."))


def b2bua_legs(ms_, c):
    a_inv = [m for m in ms_ if m.method == "INVITE" and m.dst == "192.0.2.40:5060"]
    b_inv = [m for m in ms_ if m.method == "INVITE" and m.src == "192.0.2.40:5080"]
    a_first = OD()
    for m in a_inv:
        a_first.setdefault(m.cid, m)
    b_first = OD()
    for m in b_inv:
        b_first.setdefault(m.cid, m)
    c.eq("calls on leg A", len(a_first), 5)
    c.eq("calls on leg B", len(b_first), 5)
    per, finals = [], []
    for acid, am in a_first.items():
        bs = [bm for bm in b_first.values() if bm.xcid == acid]
        bm = one(c, "leg B with X-CID " + acid, bs)
        if bm is None:
            continue
        c.true("leg B of %s has a new Call-ID" % acid, bm.cid != acid)
        c.eq("users of leg B of " + acid, (bm.fuser, bm.tuser), (am.fuser, am.tuser))
        c.near("leg A INVITE -> leg B INVITE of %s (ms)" % acid, ms(am.ns, bm.ns), 1, 20)
        fa = [m.code for m in ms_ if m.cid == acid and m.cmethod == "INVITE" and m.code and m.code >= 200]
        fb = [m.code for m in ms_ if m.cid == bm.cid and m.cmethod == "INVITE" and m.code and m.code >= 200]
        c.eq("final of leg A = final of leg B for " + acid, fa[:1], fb[:1])
        code = fa[0] if fa else None
        finals.append(code)
        per.append(call(acid, "SUCCESS" if code == 200 else "REJECTED", code, b2bua_call_ids=[bm.cid],
                        to_user=am.tuser))
    c.eq("finals", sorted(finals), [200, 200, 200, 200, 486])
    return OD(
        calls=OD(attempts=5, outcomes=OD(SUCCESS=4, REJECTED=1), in_progress_at_start=0, b2bua_legs_merged=5,
                 not_attempts=list(b_first.keys()), per_call=per),
        notes=("An emulated B2BUA at 192.0.2.40: two SIPp instances in 3PCC mode. Leg A (:5060) answers alice's "
               "calls (192.0.2.101); its twin, leg B (:5080), re-originates each to the callee's UAS (192.0.2.20) "
               "with a NEW Call-ID (Na7c3e9-b2bua@192.0.2.40), new tags and CSeq, the same From/To users, "
               "X-CID: <leg A's Call-ID>, ~1 ms later, and relays 180, 200 / 486 and BYE between the legs (the "
               "B2BUA ACKs leg B's 200 itself and answers the caller's BYE at once, then sends its own BYE on "
               "leg B). Five user calls: four to bob (answered, held 1.5 s), one to dave (b2b-call-busy, from "
               ":5061), whose UAS rings then answers 486 Busy Here, relayed to leg A. The 3PCC twin channel (TCP "
               "port 9001) is not in the capture (tcpdump filter udp). Right answer: 5 user calls, not 10; each "
               "record lists its leg B's Call-ID in b2bua_call_ids; calls.b2bua_legs_merged = 5."))


SPECS = {
    "fork-parallel": (fork_parallel, "kamailio/diag-dialogs.cfg -A FORK",
                      "diagdlg-uac-call.xml + diagdlg-uas-answer.xml + diagdlg-uas-ring-cancel.xml"),
    "bye-rejected": (bye_rejected, "kamailio/diag-dialogs.cfg",
                     "diagdlg-uac-bye-retry.xml + diagdlg-uac-bye-once.xml + diagdlg-uas-bye-500.xml"),
    "in-progress-at-start": (in_progress_at_start, "kamailio/diag-dialogs.cfg",
                             "diagdlg-uac-call.xml + diagdlg-uac-reinvite.xml + diagdlg-uas-answer.xml"),
    "register-then-invite-same-callid": (register_then_invite, "kamailio/diag-dialogs.cfg",
                                         "diagdlg-uac-reg-invite.xml + diagdlg-uas-answer.xml"),
    "b2bua-legs": (b2bua_legs, None, "diagdlg-b2b-a.xml + diagdlg-b2b-b.xml (3PCC) + diagdlg-uac-call.xml + "
                   "diagdlg-uas-answer.xml"),
}

fn, kam, scen = SPECS[name]
msgs = read(path)
c = Check()
spec = fn(msgs, c)
frames = int(run_tshark(["-r", path, "-T", "fields", "-e", "frame.number"]).split()[-1])
stat = sip_stat(path)
c.eq("resent SIP messages (tshark)", stat["resent"], 0)
if os.path.getsize(path) >= 200 * 1024:
    c.errors.append("capture is %d bytes (>= 200 KB)" % os.path.getsize(path))
for e in c.errors:
    print("DIALOG CAPTURE MISMATCH %s: %s" % (name, e), file=sys.stderr)
if c.errors:
    sys.exit(1)
doc = OD(file=name + ".pcap",
         made_by="scripts/testdata/make-diag-dialogs.sh %s: %sSIPp 3.6.1 (sipp/%s), tcpdump in a private network "
                 "namespace" % (name, "kamailio 5.6.3 (%s) + " % kam if kam else "", scen),
         findings=[], must_not=MUST_NOT)
doc.update(spec)
doc["capture"] = OD(bytes=os.path.getsize(path), frames=frames,
                    seconds_approx=round(ms(msgs[0].ns, msgs[-1].ns) / 1000, 1))
doc["tshark_sip_stat"] = stat
with open(path + ".truth.json", "w") as f:
    json.dump(doc, f, indent=2)
    f.write("\n")
print("wrote %s.truth.json" % path, file=sys.stderr)
PY
}

case "$NAME" in

truth)
    # truth NAME: check an existing capture again and rewrite its truth
    NAME="${2:?usage: $0 truth NAME}"
    write_truth "$TD_OUT/$OUTDIR/$NAME.pcap"
    ;;

fork-parallel)
    # kamailio (-A FORK) forks alice's INVITE to bob in parallel to two UASs:
    # 192.0.2.20 rings (180, To-tag A) at +50 ms and answers at ~+1.05 s;
    # 192.0.2.21 rings (180, To-tag B) at +300 ms until kamailio CANCELs its
    # branch after the 200: 200 (CANCEL), 487, ACK.  alice gets both 180s
    # (two early dialogs), then the 200; ACK, 1 s, BYE, 200.
    ns
    kam FORK
    capture
    uas_bg uas1 192.0.2.20 diagdlg-uas-answer.xml -key ring 1000
    U1=$UAS_PID
    pat_sipp_bg uas2 60 -sf "$S/diagdlg-uas-ring-cancel.xml" -i 192.0.2.21 -p 5060 -key idp uas2-
    U2=$TD_LASTPID
    sleep 0.5
    call alice 192.0.2.101 diagdlg-uac-call.xml alice bob fork-1 -key hold 1000
    sleep 0.5
    td_stop "$U1"; td_stop "$U2"
    finish
    ;;

bye-rejected)
    # bob's UAS (192.0.2.20) answers the first BYE of each call with
    # "500 Request out of order".  Call 1 (alice, 192.0.2.101): answered, held
    # 1 s, BYE -> 500, 1 s later BYE (CSeq 3) -> 200.  Call 2 (dave,
    # 192.0.2.102), 0.5 s later: answered, held 1 s, BYE -> 500, and nothing
    # follows before the cut (1 s after that 500).
    ns
    kam
    capture
    uas_bg uas 192.0.2.20 diagdlg-uas-bye-500.xml
    call alice 192.0.2.101 diagdlg-uac-bye-retry.xml alice bob byerej-1 -key hold 1000
    sleep 0.5
    call dave 192.0.2.102 diagdlg-uac-bye-once.xml dave bob byerej-2 -key hold 1000
    td_stop "$UAS_PID"
    finish
    ;;

in-progress-at-start)
    # Three calls begin BEFORE tcpdump starts; one begins inside the capture.
    #   a1: alice (.101) -> bob, answered at ~0.3 s, BYE at ~4.3 s (inside)
    #   a2: dave (.102) -> bob, answered at ~0.3 s, re-INVITE at ~3.3 s and
    #       BYE at ~5.3 s (inside)
    #   b:  erin (.103) -> carol (192.0.2.21, answers 4 s after ringing):
    #       INVITE, 100, 180 at ~0.5 s (before), 200 at ~4.5 s, ACK, BYE (inside)
    #   c:  frank (.104) -> bob at ~3 s: a whole call inside the capture.
    # tcpdump starts at ~1.5 s (times from the first INVITE).
    ns
    kam
    uas_bg uas 192.0.2.20 diagdlg-uas-answer.xml -key ring 200
    U1=$UAS_PID
    pat_sipp_bg carol 60 -sf "$S/diagdlg-uas-answer.xml" -i 192.0.2.21 -p 5060 -key uas_user carol \
        -key idp carol- -key ring 4000
    U2=$TD_LASTPID
    sleep 0.5
    T0=$(date +%s.%N)
    pids=()
    call_bg a1 192.0.2.101 diagdlg-uac-call.xml alice bob inprog-a1 -key hold 4000
    pids+=("$TD_LASTPID:a1")
    call_bg a2 192.0.2.102 diagdlg-uac-reinvite.xml dave bob inprog-a2 -key hold 3000 -key hold2 2000
    pids+=("$TD_LASTPID:a2")
    pat_sleep_until "$T0" 0.5
    call_bg b 192.0.2.103 diagdlg-uac-call.xml erin carol inprog-b -key hold 1500
    pids+=("$TD_LASTPID:b")
    pat_sleep_until "$T0" 1.5
    capture
    pat_sleep_until "$T0" 3
    call_bg c 192.0.2.104 diagdlg-uac-call.xml frank bob inprog-c -key hold 1000
    pids+=("$TD_LASTPID:c")
    for p in "${pids[@]}"; do pat_wait "${p%%:*}" "${p#*:}" 30; done
    td_stop "$U1"; td_stop "$U2"
    finish
    ;;

register-then-invite-same-callid)
    # Ten phones (users 2001..2010 at 192.0.2.101..110, one SIPp each, started
    # 0.5 s apart): each, in ONE Call-ID reginv-USER@sipsleuth.test, REGISTER
    # -> 401 -> REGISTER with credentials -> 200, then 200 ms later an initial
    # INVITE (no To-tag) to bob -> 100, 180, 200, ACK, 1 s, BYE, 200.
    ns
    kam
    capture
    uas_bg uas 192.0.2.20 diagdlg-uas-answer.xml -key ring 200
    pids=()
    for i in $(seq 1 10); do
        u=$((2000 + i))
        pat_sipp_bg "phone$u" 30 -sf "$S/diagdlg-uac-reg-invite.xml" -i "192.0.2.$((100 + i))" -p 5060 -m 1 \
            -s bob -key user "$u" -au "$u" -ap "$u-secret" -key hold 1000 -key idp "reginv$u-" \
            -cid_str "reginv-$u@sipsleuth.test" $K
        pids+=("$TD_LASTPID:phone$u")
        sleep 0.5
    done
    for p in "${pids[@]}"; do pat_wait "${p%%:*}" "${p#*:}" 30; done
    td_stop "$UAS_PID"
    finish
    ;;

b2bua-legs)
    # An emulated B2BUA at 192.0.2.40: two SIPp in 3PCC mode.  Leg A (:5060,
    # diagdlg-b2b-a.xml) takes alice's call; its twin, leg B (:5080,
    # diagdlg-b2b-b.xml), re-originates it to the callee's UAS (192.0.2.20)
    # with a NEW Call-ID, the same From/To users and X-CID: <leg A's Call-ID>,
    # and relays 180, 200 / 486 and BYE between them (no kamailio).  Five
    # calls from alice (192.0.2.101): four to bob, one a second to 192.0.2.101:5061
    # calls dave, whose UAS answers 486 Busy Here, relayed to leg A.
    ns
    TD_KAM_PID=
    capture
    uas_bg uas 192.0.2.20 diagdlg-uas-answer.xml -key ring 300
    pat_sipp_bg legb 40 -sf "$S/diagdlg-b2b-b.xml" -i 192.0.2.40 -p 5080 -m 5 -3pcc 192.0.2.40:9001 192.0.2.20:5060
    LEGB=$TD_LASTPID
    sleep 0.5
    pat_sipp_bg lega 40 -sf "$S/diagdlg-b2b-a.xml" -i 192.0.2.40 -p 5060 -m 5 -3pcc 192.0.2.40:9001
    LEGA=$TD_LASTPID
    sleep 0.5
    T0=$(date +%s.%N)
    pat_sipp_bg alice 30 -sf "$S/diagdlg-uac-call.xml" -i 192.0.2.101 -p 5060 -m 4 -r 1 -l 10 -s bob \
        -key caller alice -key hold 1500 -key idp b2b-alice- -cid_str 'b2b-call-%u@sipsleuth.test' 192.0.2.40:5060
    A=$TD_LASTPID
    pat_sleep_until "$T0" 2.5
    pat_sipp alicebusy 20 -sf "$S/diagdlg-uac-call.xml" -i 192.0.2.101 -p 5061 -m 1 -s dave \
        -key caller alice -key hold 1500 -key idp b2b-busy- -cid_str 'b2b-call-busy@sipsleuth.test' 192.0.2.40:5060
    pat_wait "$A" alice 30
    pat_wait "$LEGA" lega 30
    pat_wait "$LEGB" legb 30
    td_stop "$UAS_PID"
    finish
    ;;

*)
    echo "usage: $0 [truth] fork-parallel|bye-rejected|in-progress-at-start|register-then-invite-same-callid|b2bua-legs" >&2
    exit 2
    ;;
esac
