#!/usr/bin/env bash
# Make the load-test captures of testdata/loadruns/ (issue #13: `check --slo`
# and `diff`), as root (it creates network namespaces):
#
#   bash scripts/testdata/make-loadruns.sh all
#   bash scripts/testdata/make-loadruns.sh NAME     # healthy-a healthy-b degraded degraded-cut
#
# Each is one load run of real software in a private namespace: one SIPp
# caller (192.0.2.101, sipp/diagcall-uac.xml) places 300 calls at 20 calls/s
# through kamailio (192.0.2.10, kamailio/diag-calls.cfg) to bob (SIPp UAS on
# 192.0.2.20) and carol (192.0.2.21) in turn (callers alice, frank, grace in
# turn); each UAS sends 100 at once, 180 after RING ms, 200 100 ms later; the
# caller holds 300 ms, then BYE.  tcpdump records both legs on lo.
#
#   healthy-a, healthy-b  the same load twice (RING 30 ms both): what differs
#                         between them is noise.
#   degraded              carol's UAS is slow (RING 300 ms, so PDD rises for
#                         half the calls) and kamailio sheds load (-A SHED:
#                         every 10th initial INVITE gets 503 Service
#                         Unavailable, 30 of 300).
#   degraded-cut          healthy until INVITE 200, then kamailio sheds every
#                         10th INVITE (-A SHED -A SHED_LATE); tcpdump stops
#                         2 s after the 200th INVITE, as a customer capture
#                         ends seconds after the trouble starts.
#
# The captures are written gzip-compressed (sipsleuth reads .pcap.gz), which
# keeps each well under 1 MB.
if [ "${1:-}" = all ]; then
    rc=0
    for n in healthy-a healthy-b degraded degraded-cut; do
        bash "$0" "$n" || { echo "make-loadruns: $n failed" >&2; rc=1; }
    done
    exit $rc
fi

source "$(dirname "$0")/patterns-lib.sh"

NAME="${1:-}"
S="$TD_SIPP"
PCAP="$TD_TMP/lo.pcap"
CFG="$TD_KAM/diag-calls.cfg"
CALLS=300
RATE=20

UAS_PIDS=()
uas() {     # uas USER IP RING_MS: a SIPp UAS on IP:5060 for every call
    pat_sipp_bg "uas-$1" 120 -sf "$S/diagcall-uas-answer.xml" -i "$2" -p 5060 \
        -key uas_user "$1" -key idp "$NAME-$1-" -key ring "$3" -key answer 100
    UAS_PIDS+=("$TD_LASTPID")
}

run() {     # run CAROL_RING_MS SECONDS_TO_CAPTURE KAMAILIO-DEFINES...
    local carol_ring="$1" cut="$2" d args=()
    shift 2
    pat_ns "sipsleuth-td-lr-$NAME"
    for d in "$@"; do args+=(-A "$d"); done
    td_kamailio_start "$CFG" "${args[@]}"
    local kam=$TD_KAM_PID
    td_tcpdump_start "$PCAP" -i lo
    uas bob 192.0.2.20 30
    uas carol 192.0.2.21 "$carol_ring"
    sleep 0.5
    local lines=() n callers=(alice frank grace) callees=(bob carol)
    for n in $(seq 0 5); do
        lines+=("${callers[$((n % 3))]};${callees[$((n % 2))]}@sipsleuth.test")
    done
    pat_inf "$TD_TMP/calls.csv" "${lines[@]}"
    pat_sipp_bg caller 60 -sf "$S/diagcall-uac.xml" -inf "$TD_TMP/calls.csv" -i 192.0.2.101 -p 5060 \
        -r "$RATE" -m "$CALLS" -l 200 -key hold 300 -key idp "$NAME-" \
        -cid_str "$NAME-%u@sipsleuth.test" "$PAT_KAM"
    local caller=$TD_LASTPID
    if [ -n "$cut" ]; then
        # cut while the run goes on: stop tcpdump first, then everything else
        sleep "$cut"
        td_stop "$TD_TCPDUMP_PID"
        td_stop "$caller"
    else
        pat_wait "$caller" caller 60
        sleep 1
        td_stop "$TD_TCPDUMP_PID"
    fi
    local p
    for p in "${UAS_PIDS[@]}"; do td_stop "$p"; done
    td_stop "$kam"
    mkdir -p "$TD_OUT/loadruns"
    gzip -9 -n -c "$PCAP" >"$TD_TMP/$NAME.pcap.gz"
    td_install "$TD_TMP/$NAME.pcap.gz" "loadruns/$NAME.pcap.gz"
}

case "$NAME" in
healthy-a | healthy-b) run 30 "" ;;
degraded) run 300 "" SHED ;;
# INVITE 200 leaves 10 s after the first (20 calls/s): cut 2 s later.
degraded-cut) run 30 12 SHED SHED_LATE ;;
*)
    echo "usage: $0 all|healthy-a|healthy-b|degraded|degraded-cut" >&2
    exit 2
    ;;
esac
