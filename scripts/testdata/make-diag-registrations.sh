#!/usr/bin/env bash
# Make one registration-failure capture of testdata/diagnosis/registrations/
# with its .truth.json (as root: it creates network namespaces).
#
#   bash scripts/testdata/make-diag-registrations.sh NAME
#
# NAME: no-answer-icmp no-answer-icmp-long no-answer-silent flood-blackhole-many
#       lockout-loop forbidden-then-fresh-challenge refresh-short-expires, or all
#
# Real kamailio (kamailio/diag-registrations.cfg, one -A define per behaviour)
# and SIPp (sipp/diagreg-*.xml) in a private namespace (patterns-lib.sh's
# address plan, plus the extra client addresses added below). Each capture is
# cut shortly after the failure, as a customer's capture is: the cut times are
# part of the scenario. What each one shows and its right answer:
# testdata/diagnosis/registrations/README.md; diagreg.py measures every
# number from the capture and writes the truth only when they agree.
source "$(dirname "$0")/patterns-lib.sh"
# Scratch directory of our own: other capture scripts on this machine clean up
# /tmp/sipsleuth-td.* while ours run.
rmdir "$TD_TMP"
TD_TMP="$(mktemp -d /tmp/diagreg-td.XXXXXX)"

NAME="${1:-}"
S="$TD_SIPP"
CFG="$TD_KAM/diag-registrations.cfg"
PCAP="$TD_TMP/cap.pcap"
OUTDIR="$TD_OUT/diagnosis/registrations"
K=$PAT_KAM
UAS=(alice bob carol dave erin)

# ns: the namespace with patterns-lib.sh's addresses, plus 192.0.2.113-120
# (lockout-loop's 20 phones) and 192.0.2.151-200 (flood-blackhole-many's 50).
ns() {
    pat_ns "sipsleuth-td-dreg-$NAME"
    local a
    for a in $(seq -f '192.0.2.%g' 113 120) $(seq -f '192.0.2.%g' 151 200); do
        ip -n "$TD_NS" addr add "$a/32" dev lo
    done
}
kam() {     # kam DEFINES...: kamailio with these -A defines
    local args=() d
    for d in "$@"; do args+=(-A "$d"); done
    td_kamailio_start "$CFG" "${args[@]}"
}
cap() {     # cap [IFACE]: tcpdump (default lo); T0 = now
    td_tcpdump_start "$PCAP" -i "${1:-lo}"
    CAP_PID=$TD_TCPDUMP_PID
    T0=$(date +%s.%N)
}
cut_at() {  # cut_at SECONDS: stop tcpdump SECONDS after T0 (the cut of the capture)
    pat_sleep_until "$T0" "$1"
    td_stop "$CAP_PID"
}
stop_all() { # stop every SIPp / kamailio still running (after the cut)
    local pid
    for pid in "${TD_PIDS[@]}"; do td_stop "$pid"; done
}
finish_capture() {
    stop_all
    mkdir -p "$OUTDIR"
    cp "$PCAP" "$OUTDIR/$NAME.pcap"
    chmod 644 "$OUTDIR/$NAME.pcap"
    td_log "wrote $OUTDIR/$NAME.pcap ($(stat -c %s "$OUTDIR/$NAME.pcap") bytes)"
    [ -n "${DREG_NO_TRUTH:-}" ] || python3 "$TD_SCRIPTS/diagreg.py" write "$OUTDIR/$NAME.pcap"
}
# noanswer NAME IP USER DEST [SIPP ARGS...]: one SIPp that REGISTERs once to
# DEST and is never answered (background; it retransmits until we stop it).
noanswer() {
    local name="$1" ip="$2" user="$3" dest="$4"
    shift 4
    pat_sipp_bg "$name" 40 -sf "$S/diagreg-noanswer.xml" -i "$ip" -p 5060 -m 1 -s "$user" \
        -key contact_port 5060 -key expires 3600 -cid_str "$name@sipsleuth.test" -max_non_invite_retrans 20 \
        "$@" "$dest"
}
# wait_sent LOG: wait (up to 5 s) until SIPp's message log shows the REGISTER sent.
wait_sent() {
    local i
    for i in $(seq 1 500); do
        ! grep -q "^REGISTER sip:" "$1" 2>/dev/null || return 0
        sleep 0.01
    done
    td_log "no REGISTER in $1"; return 1
}
# five_unanswered PREFIX DEST: alice..erin (192.0.2.101-105) 50 ms apart.
five_unanswered() {
    local i
    for i in 0 1 2 3 4; do
        pat_sleep_until "$T0" "$(awk -v i=$i 'BEGIN { print 0.05 * i }')"
        noanswer "$1-${UAS[$i]}" "192.0.2.$((101 + i))" "${UAS[$i]}" "$2"
    done
}

case "$NAME" in

no-answer-icmp|no-answer-icmp-long)
    # Nothing listens on 192.0.2.10:5060 (no kamailio): every REGISTER draws an
    # ICMP port unreachable from the kernel (no rate limit on lo).  alice..erin
    # REGISTER once each, 50 ms apart, and SIPp retransmits (Timer E: 0, 0.5,
    # 1.5, 3.5, 7.5, 11.5 ... s).  Cut 6 s after the first REGISTER (4
    # transmissions each), or 31 s after it for -long (10 each, before Timer F).
    ns; cap
    five_unanswered "${NAME#no-answer-}" $K
    if [ "$NAME" = no-answer-icmp ]; then cut_at 6; else cut_at 31; fi
    finish_capture
    ;;

no-answer-silent)
    # 198.51.100.20 is the far end of a veth whose peer has no address
    # (patterns-lib.sh): every packet to it is lost, no reply, no ICMP.
    # alice..erin REGISTER to it 50 ms apart (transmissions at 0, 0.5, 1.5, 3.5,
    # 7.5 s); frank (192.0.2.106) is started at 7.6 s and sends ONE REGISTER;
    # the capture is cut 0.3 s after SIPp logged it (about 8 s in), before his
    # first retransmission (0.5 s later).  (On a busy machine SIPp may take a
    # moment to start: the cut waits for the send, not for the clock.)
    # Captured on sil0, where all of this traffic goes.
    ns; pat_silent_link; cap sil0
    five_unanswered silent 198.51.100.20:5060
    pat_sleep_until "$T0" 7.6
    noanswer silent-frank 192.0.2.106 frank 198.51.100.20:5060 -trace_msg -message_file "$TD_TMP/frank-msg.log"
    wait_sent "$TD_TMP/frank-msg.log"
    sleep 0.3
    td_stop "$CAP_PID"
    finish_capture
    ;;

flood-blackhole-many)
    # kamailio -A FLOODDROP -A NOAUTH: 20 REGISTERs answered 200 (no auth),
    # the 21st request (from anyone) switches every reply off.  Batch: 20
    # phones (users user1..user20 on 192.0.2.101-105, 4 each on ports
    # 5061-5064), one every 0.1 s from 0 s; then the burst at 3 s: 50 phones
    # (flood1..flood50 on 192.0.2.151-200), one every 10 ms, never answered,
    # retransmitting (0, 0.5, 1.5, 3.5 s); cut 5.5 s after the burst began.
    ns; kam FLOODDROP NOAUTH; cap
    pids=()
    for n in $(seq 1 20); do
        pat_sleep_until "$T0" "$(awk -v n=$n 'BEGIN { print 0.1 * (n - 1) }')"
        ip=192.0.2.$((101 + (n - 1) / 4)); port=$((5061 + (n - 1) % 4))
        pat_sipp_bg "batch$n" 10 -sf "$S/diagreg-reg.xml" -i "$ip" -p "$port" -m 1 -s "user$n" \
            -key contact_port "$port" -key expires 3600 -cid_str "batch-user$n@sipsleuth.test" $K
        pids+=("$TD_LASTPID:batch$n")
    done
    for p in "${pids[@]}"; do pat_wait "${p%%:*}" "${p#*:}" 10; done
    # SIPp may start late on a busy machine: time the burst and the cut from
    # the burst's own start.
    pat_sleep_until "$T0" 3
    T0=$(date +%s.%N)
    for n in $(seq 1 50); do
        pat_sleep_until "$T0" "$(awk -v n=$n 'BEGIN { print 0.01 * (n - 1) }')"
        noanswer "flood$n" "192.0.2.$((150 + n))" "flood$n" $K
    done
    cut_at 5.5
    finish_capture
    ;;

lockout-loop)
    # kamailio -A LOCK5.  user1..user20 on 192.0.2.101-120, started 0.1 s
    # apart, each ONE SIPp call (Call-ID lockloop-userN): REGISTER, 401, then
    # the looped REGISTER with the wrong password Welcome1 (new CSeq, same
    # branch), 401, five times; the 6th gets "403 Account locked" + Warning.
    ns; kam LOCK5; cap
    pids=()
    for n in $(seq 1 20); do
        pat_sleep_until "$T0" "$(awk -v n=$n 'BEGIN { print 0.1 * (n - 1) }')"
        pat_sipp_bg "user$n" 20 -sf "$S/diagreg-lockout-loop.xml" -i "192.0.2.$((100 + n))" -p 5060 -m 1 \
            -s "user$n" -au "user$n" -ap Welcome1 -key contact_port 5060 -key expires 3600 \
            -cid_str "lockloop-user$n@sipsleuth.test" $K
        pids+=("$TD_LASTPID:user$n")
    done
    for p in "${pids[@]}"; do pat_wait "${p%%:*}" "${p#*:}" 20; done
    td_tcpdump_stop
    finish_capture
    ;;

forbidden-then-fresh-challenge)
    # kamailio -A WRONGPW_403.  alice (192.0.2.101), Call-ID fresh-alice:
    # REGISTER, 401, wrong password, 403; 2 s later REGISTER, 401, right
    # password, 200.
    ns; kam WRONGPW_403; cap
    pat_sipp alice 20 -sf "$S/diagreg-forbidden-retry.xml" -i 192.0.2.101 -p 5060 -m 1 -s alice \
        -au alice -ap alice-secret -key contact_port 5060 -key expires 3600 -cid_str fresh-alice@sipsleuth.test $K
    td_tcpdump_stop
    finish_capture
    ;;

refresh-short-expires)
    # kamailio -A SHORT (min_expires 1).  alice (192.0.2.101), Call-ID
    # refresh-alice, Expires 5: 401, 200; refresh at +3 s (cached credentials),
    # refresh at +6 s (no credentials: 401, 200).  Each before expiry.
    ns; kam SHORT; cap
    pat_sipp alice 20 -sf "$S/diagreg-refresh.xml" -i 192.0.2.101 -p 5060 -m 1 -s alice \
        -au alice -ap alice-secret -key contact_port 5060 -key expires 5 -cid_str refresh-alice@sipsleuth.test $K
    td_tcpdump_stop
    finish_capture
    ;;

all)
    # every capture above, one after the other (about 1.5 min)
    for n in no-answer-icmp no-answer-icmp-long no-answer-silent flood-blackhole-many lockout-loop \
             forbidden-then-fresh-challenge refresh-short-expires; do
        bash "$0" "$n"
    done
    ;;

*)
    echo "usage: $0 all|no-answer-icmp|no-answer-icmp-long|no-answer-silent|flood-blackhole-many|lockout-loop|forbidden-then-fresh-challenge|refresh-short-expires" >&2
    exit 2
    ;;
esac
