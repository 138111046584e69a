#!/usr/bin/env bash
# Make one call-failure capture of testdata/diagnosis/calls/ (issue #15) with
# its .truth.json (as root: it creates network namespaces).
#
#   bash scripts/testdata/make-diag-calls.sh NAME
#   bash scripts/testdata/make-diag-calls.sh all
#
# NAME: one-callee-503 rate-limit-503 capacity-503-spread srd-trying-challenge
#       routing-loop-483
#
# Real kamailio (kamailio/diag-calls.cfg, one -A define per behaviour) and SIPp
# (sipp/diagcall-*.xml, and sipp/pat-uac-auth-call.xml) in a private network
# namespace (patterns-lib.sh, plus the addresses below).  What each scenario
# does and the answer it must give: testdata/diagnosis/calls/README.md and
# diag-calls.py, which checks every capture before writing its truth.
#
# Addresses on top of patterns-lib.sh's plan:
#   192.0.2.11:5060   the second kamailio (routing-loop-483 only)
#   192.0.2.20-23     the UASes of bob, carol, dave, erin (kamailio routes by user)
if [ "${1:-}" = all ]; then
    rc=0
    for n in one-callee-503 rate-limit-503 capacity-503-spread srd-trying-challenge routing-loop-483; do
        bash "$0" "$n" || { echo "make-diag-calls: $n failed" >&2; rc=1; }
    done
    exit $rc
fi

source "$(dirname "$0")/patterns-lib.sh"

NAME="${1:-}"
S="$TD_SIPP"
PCAP="$TD_TMP/lo.pcap"
CFG="$TD_KAM/diag-calls.cfg"
K=$PAT_KAM
CALLEES=(bob carol dave erin)

start() {   # start KAMAILIO-DEFINES...: namespace, kamailio, tcpdump on lo
    pat_ns "sipsleuth-td-dc-$NAME"
    local a
    for a in 192.0.2.11 192.0.2.22 192.0.2.23; do
        ip -n "$TD_NS" addr add "$a/32" dev lo
    done
    local args=() d
    for d in "$@"; do args+=(-A "$d"); done
    td_kamailio_start "$CFG" "${args[@]}"
    KAM_PIDS=("$TD_KAM_PID")
    td_tcpdump_start "$PCAP" -i lo
    LO_TCPDUMP=$TD_TCPDUMP_PID
}
finish() {  # stop the UASes, tcpdump ~1 s after the last packet, kamailio; install
    local p
    for p in "${UAS_PIDS[@]}"; do td_stop "$p"; done
    sleep 1
    td_stop "$LO_TCPDUMP"
    for p in "${KAM_PIDS[@]}"; do td_stop "$p"; done
    mkdir -p "$TD_OUT/diagnosis/calls"
    td_install "$PCAP" "diagnosis/calls/$NAME.pcap"
    [ -z "${DC_NO_TRUTH:-}" ] || return 0
    python3 "$TD_SCRIPTS/diag-calls.py" write "$TD_OUT/diagnosis/calls/$NAME.pcap"
}
UAS_PIDS=()
uas() {     # uas USER IP XML [SIPP ARGS...]: a SIPp UAS on IP:5060 for many calls
    local user="$1" ip="$2" xml="$3"
    shift 3
    pat_sipp_bg "uas-$user" 150 -sf "$S/$xml" -i "$ip" -p 5060 -key uas_user "$user" -key idp "$NAME-$user-" "$@"
    UAS_PIDS+=("$TD_LASTPID")
}
uas_all() { # uas_all [SIPP ARGS...]: the four callees, all answering
    local i
    for i in 0 1 2 3; do
        uas "${CALLEES[$i]}" "192.0.2.$((20 + i))" diagcall-uas-answer.xml "$@"
    done
    sleep 0.5
}
# inf FILE CALLERS CALLEE-URIS: an injection file for sipp/diagcall-uac.xml;
# call n gets caller n mod |CALLERS| and callee n mod |CALLEES| (space-separated lists).
inf() {
    local f="$1" callers callees n lines=()
    read -r -a callers <<<"$2"
    read -r -a callees <<<"$3"
    local len=$(( ${#callers[@]} * ${#callees[@]} ))
    for n in $(seq 0 $((len - 1))); do
        lines+=("${callers[$((n % ${#callers[@]}))]};${callees[$((n % ${#callees[@]}))]}")
    done
    pat_inf "$f" "${lines[@]}"
}
URIS="bob@sipsleuth.test carol@sipsleuth.test dave@sipsleuth.test erin@sipsleuth.test"

case "$NAME" in

one-callee-503)
    # One SIPp caller (192.0.2.101) places 150 calls at 100 calls/s through
    # kamailio to bob, carol, dave and erin in turn (callers alice, frank,
    # grace, heidi, ivan in turn).  bob/carol/erin's UASes answer (100, 180,
    # 200 after 100 ms); the caller holds 300 ms, then BYE.  dave's UAS
    # (192.0.2.22) answers every INVITE 100 then 503 Service Unavailable,
    # which kamailio relays to the caller.
    start
    uas bob 192.0.2.20 diagcall-uas-answer.xml -key ring 0 -key answer 100
    uas carol 192.0.2.21 diagcall-uas-answer.xml -key ring 0 -key answer 100
    uas dave 192.0.2.22 diagcall-uas-503.xml
    uas erin 192.0.2.23 diagcall-uas-answer.xml -key ring 0 -key answer 100
    sleep 0.5
    inf "$TD_TMP/calls.csv" "alice frank grace heidi ivan" "$URIS"
    pat_sipp caller 30 -sf "$S/diagcall-uac.xml" -inf "$TD_TMP/calls.csv" -i 192.0.2.101 -p 5060 \
        -r 100 -m 150 -l 500 -key hold 300 -key idp oc- -cid_str 'oc-%u@sipsleuth.test' $K
    finish
    ;;

rate-limit-503)
    # Two sources call through kamailio (-A SRC_LIMIT: 15 admitted INVITEs per
    # source IP, then "503 Rate Limit Exceeded"), all four callees answer.
    #   A = 192.0.2.101, an office PBX: users frank, grace, heidi, ivan, judy,
    #       25 calls at 5 calls/s (calls 16-25 are refused);
    #   B = 192.0.2.102: users mallory, oscar, 10 calls at 2 calls/s, all answered.
    # Each answered call is held 300 ms.
    start SRC_LIMIT
    uas_all -key ring 0 -key answer 100
    inf "$TD_TMP/a.csv" "frank grace heidi ivan judy" "$URIS"
    inf "$TD_TMP/b.csv" "mallory oscar" "$URIS"
    pat_sipp_bg pbx-a 40 -sf "$S/diagcall-uac.xml" -inf "$TD_TMP/a.csv" -i 192.0.2.101 -p 5060 \
        -r 5 -m 25 -key hold 300 -key idp rla- -cid_str 'rl-a-%u@sipsleuth.test' $K
    A=$TD_LASTPID
    pat_sipp_bg src-b 40 -sf "$S/diagcall-uac.xml" -inf "$TD_TMP/b.csv" -i 192.0.2.102 -p 5060 \
        -r 2 -m 10 -key hold 300 -key idp rlb- -cid_str 'rl-b-%u@sipsleuth.test' $K
    B=$TD_LASTPID
    pat_wait "$A" pbx-a 40
    pat_wait "$B" src-b 40
    finish
    ;;

capacity-503-spread)
    # kamailio -A OVERLOAD admits 10 initial INVITEs per second (ratelimit
    # TAILDROP, 1 s intervals), the rest get "503 Service Unavailable" +
    # Retry-After: 5.  Four callers (192.0.2.101-104: alice, frank, grace,
    # heidi), started 0.25 s apart, each raise their rate by 1 call/s every
    # 2 s (SIPp -rate_increase 1 -fd 2): 1, 2, 3, then 4 calls/s, 20 calls
    # each; so 4, 8, 12, 16 calls/s offered in all (80 calls).  The callees
    # rotate over bob, carol, dave, erin; all answer (100, 180, 200 after
    # 100 ms), held 300 ms.
    start OVERLOAD
    uas_all -key ring 0 -key answer 100
    T0=$(date +%s.%N)
    pids=()
    k=0
    for u in alice frank grace heidi; do
        inf "$TD_TMP/$u.csv" "$u" "$URIS"
        pat_sleep_until "$T0" "$(awk -v k="$k" 'BEGIN { print k / 4 }')"
        pat_sipp_bg "$u" 40 -sf "$S/diagcall-uac.xml" -inf "$TD_TMP/$u.csv" -i "192.0.2.$((101 + k))" -p 5060 \
            -r 1 -rate_increase 1 -fd 2 -rate_max 4 -no_rate_quit -m 20 -key hold 300 \
            -key idp "cs$u-" -cid_str "cs-$u-%u@sipsleuth.test" $K
        pids+=("$TD_LASTPID:$u")
        k=$((k + 1))
    done
    for p in "${pids[@]}"; do pat_wait "${p%%:*}" "${p#*:}" 40; done
    finish
    ;;

srd-trying-challenge)
    # kamailio -A INVITE_AUTH: every INVITE without credentials gets "100
    # Trying" at once, then 407.  alice (192.0.2.101, sipp/pat-uac-auth-call.xml)
    # ACKs and re-sends it with Proxy-Authorization; kamailio relays it to
    # bob's UAS (192.0.2.20), which sends 100 at once, 180 900 ms after the
    # INVITE and 200 3 s after the 180.  alice holds 1 s, then BYE.
    # 10 calls, one every 0.5 s.
    start INVITE_AUTH
    uas bob 192.0.2.20 diagcall-uas-answer.xml -key ring 900 -key answer 3000
    sleep 0.5
    pat_sipp alice 40 -sf "$S/pat-uac-auth-call.xml" -i 192.0.2.101 -p 5060 -r 2 -m 10 -l 20 -s bob \
        -key caller alice -au alice -ap alice-secret -key pt 8 -key codec PCMA -key hold 1000 \
        -key idp srd- -cid_str 'srd-%u@sipsleuth.test' $K
    finish
    ;;

routing-loop-483)
    # Two kamailios: the edge proxy 192.0.2.10 (-A LOOP_A) sends calls for
    # partner.example to the partner's proxy 192.0.2.11 (-A LOOP_B), which
    # sends everything back to its outbound proxy 192.0.2.10.  The edge caps
    # Max-Forwards at 10; every hop decrements it until a proxy receives an
    # INVITE with Max-Forwards 0 and answers 483 Too Many Hops, which travels
    # back hop by hop.  alice (192.0.2.101) places 20 calls at 5 calls/s to
    # sip:7001@partner.example .. 7004 in turn.
    start LOOP_A
    td_kamailio_start "$CFG" -A LOOP_B
    KAM_PIDS+=("$TD_KAM_PID")
    inf "$TD_TMP/calls.csv" "alice" "7001@partner.example 7002@partner.example 7003@partner.example 7004@partner.example"
    pat_sipp alice 30 -sf "$S/diagcall-uac.xml" -inf "$TD_TMP/calls.csv" -i 192.0.2.101 -p 5060 \
        -r 5 -m 20 -key hold 300 -key idp loop- -cid_str 'loop-%u@sipsleuth.test' $K
    finish
    ;;

*)
    echo "usage: $0 all|one-callee-503|rate-limit-503|capacity-503-spread|srd-trying-challenge|routing-loop-483" >&2
    exit 2
    ;;
esac
