#!/usr/bin/env bash
# Make one failure-pattern capture of testdata/patterns/ with its .truth.json
# (as root: it creates network namespaces).
#
#   bash scripts/testdata/make-patterns.sh NAME
#
# NAME: account-lockout pool-lockout rate-limited flood-blackhole capacity-503
#       alternate-routing cac-488 realm-mismatch registration-lapse clean
#
# Real kamailio (kamailio/patterns.cfg, one -A define per pattern) and SIPp
# (sipp/pat-*.xml) in a private namespace; addresses in patterns-lib.sh.
# What each scenario does and the truth it must give: testdata/patterns/README.md
# and patterns.py (which checks every capture before writing its truth).
source "$(dirname "$0")/patterns-lib.sh"

NAME="${1:-}"
S="$TD_SIPP"
PCAP="$TD_TMP/lo.pcap"
K=$PAT_KAM

start() {   # start KAMAILIO-DEFINES...: namespace, kamailio, tcpdump on lo
    pat_ns "sipsleuth-td-pat-$NAME"
    local args=() d
    for d in "$@"; do args+=(-A "$d"); done
    td_kamailio_start "$PAT_CFG" "${args[@]}"
    td_tcpdump_start "$PCAP" -i lo
    LO_TCPDUMP=$TD_TCPDUMP_PID
}
finish() {  # finish [EXTRA_PCAP]: stop tcpdump(s) and kamailio, install
    sleep 1
    td_stop "$LO_TCPDUMP"
    local out="$PCAP"
    if [ -n "${1:-}" ]; then
        td_stop "$SIL_TCPDUMP"
        out="$TD_TMP/merged.pcap"
        mergecap -F pcap -w "$out" "$PCAP" "$1"
    fi
    td_stop "$TD_KAM_PID"
    pat_install "$out" "$NAME.pcap"
}
uas_bg() {  # uas_bg NAME IP XML: a SIPp UAS on IP:5060 for many calls
    pat_sipp_bg "$1" 150 -sf "$S/$3" -i "$2" -p 5060 -key uas_user bob -key idp "$1-" -key id "$1"
    UAS_PID=$TD_LASTPID
    sleep 0.5
}

# reg NAME SECONDS IP PORT USER PASSWORD CALL-ID [SIPP ARGS...]: one registration
# (sipp/pat-reg.xml: 403, or 401 + 200) by a SIPp of its own, in the foreground.
# The Contact port is PORT, or $CPORT if set.
reg() {
    local name="$1" secs="$2" ip="$3" port="$4" user="$5" pw="$6" cid="$7"
    shift 7
    pat_sipp "$name" "$secs" -sf "$S/pat-reg.xml" -i "$ip" -p "$port" -m 1 -s "$user" -au "$user" -ap "$pw" \
        -key idp "$cid-" -cid_str "$cid@sipsleuth.test" -key contact_port "${CPORT:-$port}" -key expires 3600 "$@" $K
}
# reg_bg ...: the same in the background (PID in TD_LASTPID).
reg_bg() {
    local name="$1" secs="$2" ip="$3" port="$4" user="$5" pw="$6" cid="$7"
    shift 7
    pat_sipp_bg "$name" "$secs" -sf "$S/pat-reg.xml" -i "$ip" -p "$port" -m 1 -s "$user" -au "$user" -ap "$pw" \
        -key idp "$cid-" -cid_str "$cid@sipsleuth.test" -key contact_port "${CPORT:-$port}" -key expires 3600 "$@" $K
}

case "$NAME" in

account-lockout)
    # alice, one Call-ID: 3 x (REGISTER, 401, wrong password, 401), 1 s apart;
    # then 403 (locked), 403 again 8 s later, and 12 s after that (20 s after
    # the first 403) the right password: 401, 200.
    start LOCKOUT
    pat_sipp alice 40 -sf "$S/pat-reg-lockout.xml" -i 192.0.2.101 -p 5060 -m 1 -s alice \
        -key id lock-alice -cid_str lock-alice@sipsleuth.test -key contact_port 5060 -key expires 3600 \
        -au alice -ap alice-secret $K
    finish
    ;;

pool-lockout)
    # alice..erin on five phones (192.0.2.101-105), all provisioned with the
    # same wrong password "Welcome1", started 0.5 s apart: each 3 x 401, then 403.
    start LOCKOUT
    pids=()
    i=0
    for u in alice bob carol dave erin; do
        ip=192.0.2.$((101 + i))
        pat_sipp_bg "$u" 30 -sf "$S/pat-reg-until-403.xml" -i "$ip" -p 5060 -m 1 -s "$u" -au "$u" -ap Welcome1 \
            -key id "pool-$u" -cid_str "pool-$u@sipsleuth.test" -key contact_port 5060 -key expires 3600 $K
        pids+=("$TD_LASTPID:$u")
        i=$((i + 1))
        sleep 0.5
    done
    for p in "${pids[@]}"; do pat_wait "${p%%:*}" "${p#*:}" 30; done
    finish
    ;;

rate-limited)
    # 12 phones behind one NAT address (192.0.2.101, ports 5061-5072) register
    # 12 different accounts, right passwords, one every 0.25 s; kamailio admits
    # 5 new REGISTERs per source IP within 10 s, then answers 403 at once.
    # 2.6 s in, 192.0.2.102 registers 2 other accounts: admitted.
    start RATELIMIT
    pids=()
    i=0
    for u in alice bob carol dave erin frank grace heidi ivan judy mallory oscar; do
        i=$((i + 1))
        reg_bg "$u" 20 192.0.2.101 $((5060 + i)) "$u" "$u-secret" "rl-$i-$u"
        pids+=("$TD_LASTPID:$u")
        [ $i -ne 10 ] || reg peggy 10 192.0.2.102 5061 peggy peggy-secret rl-b1-peggy
        [ $i -ne 11 ] || reg victor 10 192.0.2.102 5062 victor victor-secret rl-b2-victor
        sleep 0.25
    done
    for p in "${pids[@]}"; do pat_wait "${p%%:*}" "${p#*:}" 20; done
    finish
    ;;

flood-blackhole)
    # A PBX at 192.0.2.101 registers its 16 lines (2001..2016, ports 5061-5076),
    # one every 0.1 s; kamailio counts every request per source IP and bans the
    # PBX at its 21st request within 2 s: 40 s of silence (no reply at all).
    # Lines 11-16 retransmit (Timer E) until SIPp gives up at 31.5 s.
    # Meanwhile bob (192.0.2.102) registers every 10 s (6 s .. 46 s) and is answered.
    start FLOOD
    T0=$(date +%s.%N)
    pids=()
    for i in $(seq 1 16); do
        n=$((2000 + i))
        pat_sleep_until "$T0" "$(awk -v i="$i" 'BEGIN { print (i - 1) / 10 }')"
        reg_bg "line$n" 45 192.0.2.101 $((5060 + i)) "$n" "$n-secret" "pbx-line$n" -max_non_invite_retrans 9
        pids+=("$TD_LASTPID:line$n")
    done
    for j in 1 2 3 4 5; do
        pat_sleep_until "$T0" $((j * 10 - 4))
        reg "bob$j" 10 192.0.2.102 5060 bob bob-secret "flood-bob-$j"
    done
    # SIPp counts the unanswered lines as failed (exit status 1): expected;
    # patterns.py checks the capture.
    for p in "${pids[@]}"; do
        td_wait "${p%%:*}" 45 || td_log "sipp ${p#*:} ended with an error status (expected for lines 11-16: no answer)"
    done
    pat_sleep_until "$T0" 47
    finish
    ;;

capacity-503)
    # alice (192.0.2.101) calls bob through kamailio; each call is held 5 s.
    # Three SIPp callers at 1 call/s each, started at 0, 5.5 and 10.33 s (ports
    # 5060-5062): 1 call/s, then 2/s, then 3/s; 30 calls.  kamailio admits 10
    # calls in progress (dialog profile "calls"), then answers 503 + Retry-After: 30.
    start CAPACITY
    uas_bg uas 192.0.2.20 pat-uas-answer.xml
    T0=$(date +%s.%N)
    pids=()
    for c in 1:0:15 2:5.5:10 3:10.33:5; do
        IFS=: read -r n at m <<<"$c"
        pat_sleep_until "$T0" "$at"
        pat_sipp_bg "caller$n" 60 -sf "$S/pat-uac-call.xml" -i 192.0.2.101 -p $((5059 + n)) -m "$m" -r 1 -l 100 \
            -s bob -key caller alice -key pt 8 -key codec PCMA -key hold 5000 \
            -key idp "cap$n-" -cid_str "cap$n-%u@sipsleuth.test" $K
        pids+=("$TD_LASTPID:caller$n")
    done
    for p in "${pids[@]}"; do pat_wait "${p%%:*}" "${p#*:}" 60; done
    td_stop "$UAS_PID"
    finish
    ;;

alternate-routing)
    # kamailio sends every INVITE first to 198.51.100.20 (nothing answers: the far
    # end of a veth link), fr_timer 2 s -> 408 -> failure_route -> the backup UAS
    # 192.0.2.21, which answers.  4 calls from alice, one every 4 s, held 1 s.
    start FAILOVER
    pat_silent_link
    SILPCAP="$TD_TMP/sil0.pcap"
    td_tcpdump_start "$SILPCAP" -i sil0
    SIL_TCPDUMP=$TD_TCPDUMP_PID
    uas_bg backup 192.0.2.21 pat-uas-answer.xml
    pat_sipp alice 60 -sf "$S/pat-uac-call.xml" -i 192.0.2.101 -p 5060 -m 4 -r 1 -rp 4000 -s bob \
        -key caller alice -key pt 8 -key codec PCMA -key hold 1000 -key idp alt- -cid_str 'alt-%u@sipsleuth.test' $K
    td_stop "$UAS_PID"
    finish "$SILPCAP"
    ;;

cac-488)
    # bob's UAS (192.0.2.20) speaks PCMA only and answers 488 (+ Warning 305)
    # to offers without it.  6 calls from alice, one at a time: G.729-only offers
    # (calls 1, 3, 4, 6) get 488, PCMA offers (calls 2, 5) are answered, held 1 s.
    start
    uas_bg uas 192.0.2.20 pat-uas-codec.xml
    n=0
    for codec in G729 PCMA G729 G729 PCMA G729; do
        n=$((n + 1))
        pt=18; [ "$codec" = PCMA ] && pt=8
        pat_sipp "call$n" 20 -sf "$S/pat-uac-call.xml" -i 192.0.2.101 -p 5060 -m 1 -s bob -key caller alice \
            -key pt $pt -key codec $codec -key hold 1000 -key idp "cac$n-" -cid_str "cac-$n@sipsleuth.test" $K
        sleep 0.5
    done
    td_stop "$UAS_PID"
    finish
    ;;

realm-mismatch)
    # alice (192.0.2.101) answers the 401 of realm "sipsleuth.test" with
    # credentials for realm "wrong.example": 401 again; twice, 3 s apart.
    # bob (192.0.2.102) registers normally in between.
    start
    pat_sipp_bg alice 20 -sf "$S/pat-reg-wrong-realm.xml" -i 192.0.2.101 -p 5060 -m 1 -s alice \
        -key id realm-alice -cid_str realm-alice@sipsleuth.test -key contact_port 5060 -key expires 3600 \
        -key badrealm wrong.example $K
    A=$TD_LASTPID
    sleep 1.5
    reg bob 10 192.0.2.102 5060 bob bob-secret realm-bob
    pat_wait "$A" alice 20
    finish
    ;;

registration-lapse)
    # max_expires 10.  alice (192.0.2.101) asks Expires 3600, is granted 10 and
    # never refreshes.  bob (192.0.2.102) is granted 10 too and refreshes every
    # 5 s (last at 30 s: valid until 40 s); a monitor (192.0.2.30) pings the
    # registrar with OPTIONS at 2, 12, 22 and 34 s.  The capture ends at ~34 s.
    start SHORT_EXPIRES
    T0=$(date +%s.%N)
    pat_sipp_bg bob 60 -sf "$S/pat-reg-refresh.xml" -i 192.0.2.102 -p 5060 -m 1 -s bob -au bob -ap bob-secret \
        -key id lapse-bob -cid_str lapse-bob@sipsleuth.test -key contact_port 5060 -key expires 3600 $K
    BOB=$TD_LASTPID
    pat_sleep_until "$T0" 1
    reg alice 10 192.0.2.101 5060 alice alice-secret lapse-alice
    for t in 2 12 22 34; do
        pat_sleep_until "$T0" "$t"
        pat_sipp "ping$t" 10 -sf "$S/pat-options.xml" -i 192.0.2.30 -p 5060 -m 1 \
            -key idp "lapse-ping$t-" -cid_str "lapse-ping-$t@sipsleuth.test" $K
    done
    pat_wait "$BOB" bob 60
    finish
    ;;

clean)
    # A healthy registrar + proxy (INVITE challenged with 407): bob's UAS
    # (192.0.2.20:5060) registers; 9 phones (192.0.2.101-109) register; a
    # monitor pings twice; then 10 answered calls from those users to bob,
    # one every 0.5 s, held 1 s, BYE.  Passwords are right; nothing fails.
    start INVITE_AUTH
    uas_bg uas 192.0.2.20 pat-uas-answer.xml
    CPORT=5060 reg bob 10 192.0.2.20 5061 bob bob-secret clean-reg-bob
    users=(alice carol dave erin frank grace heidi ivan judy)
    for i in "${!users[@]}"; do
        u=${users[$i]}
        reg "$u" 10 "192.0.2.$((101 + i))" 5060 "$u" "$u-secret" "clean-reg-$u"
        sleep 0.2
    done
    pat_sipp monitor 10 -sf "$S/pat-options.xml" -i 192.0.2.30 -p 5060 -m 2 -r 2 \
        -key idp clean-ping- -cid_str 'clean-ping-%u@sipsleuth.test' $K
    pids=()
    for n in $(seq 1 10); do
        i=$(( (n - 1) % 9 ))
        u=${users[$i]}
        pat_sipp_bg "call$n" 20 -sf "$S/pat-uac-auth-call.xml" -i "192.0.2.$((101 + i))" -p 5062 -m 1 -s bob \
            -key caller "$u" -au "$u" -ap "$u-secret" -key pt 8 -key codec PCMA -key hold 1000 \
            -key idp "clean-call$n-" -cid_str "clean-call-$n@sipsleuth.test" $K
        pids+=("$TD_LASTPID:call$n")
        sleep 0.5
    done
    for p in "${pids[@]}"; do pat_wait "${p%%:*}" "${p#*:}" 20; done
    td_stop "$UAS_PID"
    finish
    ;;

*)
    echo "usage: $0 account-lockout|pool-lockout|rate-limited|flood-blackhole|capacity-503|alternate-routing|cac-488|realm-mismatch|registration-lapse|clean" >&2
    exit 2
    ;;
esac
