#!/usr/bin/env bash
# Make testdata/calls/calls-udp.pcap (default), calls-tcp.pcap ("tcp") or
# calls-ipv6.pcap ("ipv6"), each with its .truth.json.
#
#   bash scripts/testdata/make-truth-calls.sh [udp|tcp|ipv6]
#
# kamailio (kamailio/truth.cfg: registrar + record-routing proxy, digest auth on
# REGISTER and INVITE, fr_inv_timer 3 s) and SIPp UAs in a private namespace.
# bob (SIPp UAS, port 5070) registers BEFORE the capture starts, so the capture
# holds calls only.  Every call: alice (SIPp UAC, own port) sends INVITE, gets
# 407, ACKs it, re-sends the INVITE with Proxy-Authorization (same Call-ID).
# The UAS waits 300 ms after its 100 Trying before the first 18x (PDD).
# The truth of every call is in truth.py and testdata/calls/README.md.
source "$(dirname "$0")/truth-lib.sh"

MODE="${1:-udp}"
case "$MODE" in
    udp)  T=u1; IP=127.0.0.1; KAMARGS=();              PROXY=127.0.0.1:5060 ;;
    # TCP: kamailio keeps a callee's 503 as 503 (tm remap_503_500 = 0), see t06
    tcp)  T=t1; IP=127.0.0.1; KAMARGS=(-A WITH_TCP -A KEEP_503); PROXY=127.0.0.1:5060 ;;
    ipv6) T=u1; IP=::1;       KAMARGS=(-A WITH_IPV6);  PROXY='[::1]:5060' ;;
    *) echo "usage: $0 [udp|tcp|ipv6]" >&2; exit 2 ;;
esac
OUT="calls/calls-$MODE.pcap"
S="$TD_SIPP"

td_ns_create "sipsleuth-td-calls-$MODE"
td_kamailio_start "$TRUTH_CFG" "${KAMARGS[@]}"

# bob registers his UAS contact (port 5070) -- not captured
td_sipp reg-bob -sf "$(truth_template reg-auth.xml 200)" -t $T -i $IP -p 5062 -m 1 \
    -s bob -au bob -ap bob-secret -key id reg-bob-uas -cid_str reg-bob-uas@sipsleuth.test \
    -key contact_port 5070 -key expires 3600 $PROXY

PCAP="$TD_TMP/out.pcap"
td_tcpdump_start "$PCAP" -i lo

# call ID UAC_PORT UAC_XML CALLEE UAS_XML|- [UAS ARGS...]
call() {
    local id="$1" port="$2" uac="$3" callee="$4" uas="$5" uaspid=""
    shift 5
    if [ "$uas" != "-" ]; then
        case "$uas" in /*) ;; *) uas="$S/$uas" ;; esac
        td_sipp_bg "uas-$id" -sf "$uas" -t $T -i $IP -p 5070 -m 1 -key id "$id" "$@"
        uaspid=$TD_LASTPID
        sleep 0.5
    fi
    td_sipp "uac-$id" -sf "$uac" -t $T -i $IP -p "$port" -m 1 \
        -au alice -ap alice-secret -key id "$id" -cid_str "$id@sipsleuth.test" \
        -key callee "$callee" -key ruri_host sipsleuth.test $PROXY
    if [ -n "$uaspid" ]; then
        td_wait "$uaspid" 20 || { td_log "uas $id failed"; tail -n 40 "$TD_TMP/sipp-uas-$id.log" >&2; exit 1; }
    fi
    sleep 0.3
}
ANSWER="$S/uac-auth-call.xml"
CANCEL="$S/uac-auth-cancel.xml"
fail() { truth_template uac-auth-fail.xml "$1"; }
SRV=(-key extra_hdr "Server: sipsleuth-test-sipp-uas")

case "$MODE" in
udp)
    call c01-answered        5101 "$ANSWER"     bob uas-ring-answer.xml
    call c02-answered-early  5102 "$ANSWER"     bob uas-early-answer.xml
    call c03-busy            5103 "$(fail 486)" bob "$(truth_template uas-ring-reject.xml 486)" -key reason "Busy Here" "${SRV[@]}"
    call c04-declined        5104 "$(fail 603)" bob "$(truth_template uas-reject.xml 603)"      -key reason "Decline" "${SRV[@]}"
    call c05-unavailable     5105 "$(fail 480)" bob "$(truth_template uas-ring-reject.xml 480)" -key reason "Temporarily Unavailable" "${SRV[@]}"
    call c06-cancelled       5106 "$CANCEL"     bob uas-ring-cancel.xml
    call c07-ring-timeout    5107 "$(fail 408)" bob uas-ring-cancel.xml
    # the UAS answers 503 + Retry-After; kamailio (tm remap_503_500=1) relays it as 500
    call c08-callee-503      5108 "$(fail 500)" bob "$(truth_template uas-reject.xml 503)"      -key reason "Service Unavailable" -key extra_hdr "Retry-After: 30"
    call c09-unknown-callee  5109 "$(fail 404)" nobody -
    call c10-redirected      5110 "$(fail 302)" bob "$(truth_template uas-reject.xml 302)"      -key reason "Moved Temporarily" -key extra_hdr "Contact: <sip:carol@sipsleuth.test>"
    ;;
tcp)
    call t01-answered        5201 "$ANSWER"     bob uas-ring-answer.xml
    call t02-busy            5202 "$(fail 486)" bob "$(truth_template uas-ring-reject.xml 486)" -key reason "Busy Here" "${SRV[@]}"
    call t03-cancelled       5203 "$CANCEL"     bob uas-ring-cancel.xml
    call t04-ring-timeout    5204 "$(fail 408)" bob uas-ring-cancel.xml
    call t05-unknown-callee  5205 "$(fail 404)" nobody -
    # with -A KEEP_503 the caller gets the 503 (and its Retry-After) as bob sent it
    call t06-callee-503      5206 "$(fail 503)" bob "$(truth_template uas-reject.xml 503)"      -key reason "Service Unavailable" -key extra_hdr "Retry-After: 30"
    ;;
ipv6)
    call v01-answered        5301 "$ANSWER"     bob uas-ring-answer.xml
    call v02-busy            5302 "$(fail 486)" bob "$(truth_template uas-ring-reject.xml 486)" -key reason "Busy Here" "${SRV[@]}"
    call v03-declined        5303 "$(fail 603)" bob "$(truth_template uas-reject.xml 603)"      -key reason "Decline" "${SRV[@]}"
    ;;
esac

sleep 0.5
td_tcpdump_stop
td_stop "$TD_KAM_PID"
truth_install "$PCAP" "$OUT"
