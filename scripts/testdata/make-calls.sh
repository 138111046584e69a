#!/usr/bin/env bash
# Make testdata/udp-register-call.pcap (default) or testdata/tcp-calls.pcap
# (argument "tcp"): kamailio (registrar + proxy with digest auth, 127.0.0.1:5060)
# and SIPp user agents, captured with tcpdump on the loopback interface of a
# private network namespace.
#
#   bash scripts/testdata/make-calls.sh [udp|tcp]
#
# Scenario (in this order):
#   1. bob   REGISTER -> 401 -> REGISTER (auth) -> 200   (Contact 127.0.0.1:5070)
#   2. alice REGISTER -> 401 -> REGISTER (auth) -> 200   (Contact 127.0.0.1:5061)
#   3. alice REGISTER -> 401 -> REGISTER (WRONG password) -> 401, gives up
#   4. call 1 alice -> kamailio -> bob (SIPp UAS 127.0.0.1:5070): answered
#      100/180/200/ACK/BYE/200
#   5. call 2: rejected 486 Busy Here (+ ACK)
#   6. call 3: 183 Session Progress (SDP) before 180, then 200/ACK/BYE/200
source "$(dirname "$0")/lib.sh"
td_need ip tcpdump kamailio sipp

MODE="${1:-udp}"
case "$MODE" in
    udp) T=u1; KAMARGS=(); OUT=udp-register-call.pcap ;;
    tcp) T=t1; KAMARGS=(-A WITH_TCP); OUT=tcp-calls.pcap ;;
    *) echo "usage: $0 [udp|tcp]" >&2; exit 2 ;;
esac

td_ns_create "sipsleuth-td-$MODE"
PCAP="$TD_TMP/out.pcap"
td_tcpdump_start "$PCAP" -i lo
td_kamailio_start "$TD_KAM/proxy.cfg" "${KAMARGS[@]}"

PROXY=127.0.0.1:5060
S="$TD_SIPP"

# registrations
td_sipp reg-bob   -sf "$S/register.xml" -t $T -i 127.0.0.1 -p 5062 -m 1 \
    -auth_uri sipsleuth.test -s bob -au bob -ap bob-secret -key id reg-bob -cid_str reg-bob@sipsleuth.test -key contact_port 5070 $PROXY
td_sipp reg-alice -sf "$S/register.xml" -t $T -i 127.0.0.1 -p 5063 -m 1 \
    -auth_uri sipsleuth.test -s alice -au alice -ap alice-secret -key id reg-alice -cid_str reg-alice@sipsleuth.test -key contact_port 5061 $PROXY
td_sipp reg-alice-bad -sf "$S/register-badpw.xml" -t $T -i 127.0.0.1 -p 5064 -m 1 \
    -auth_uri sipsleuth.test -s alice -au alice -ap wrong-password -key id reg-alice-badpw -cid_str reg-alice-badpw@sipsleuth.test -key contact_port 5061 $PROXY

# call <uas scenario> <uac scenario> <id> <uac port>
call() {
    local uas="$1" uac="$2" id="$3" port="$4" uaspid
    td_sipp_bg "uas-$id" -sf "$S/$uas" -t $T -i 127.0.0.1 -p 5070 -m 1 -key id "$id"
    uaspid=$TD_LASTPID
    sleep 0.5
    td_sipp "uac-$id" -sf "$S/$uac" -t $T -i 127.0.0.1 -p "$port" -m 1 \
        -key id "$id" -cid_str "$id@sipsleuth.test" -key ruri_host sipsleuth.test $PROXY
    td_wait "$uaspid" 20 || { td_log "uas $id failed"; cat "$TD_TMP/sipp-uas-$id.log" >&2; exit 1; }
}
call uas-answer.xml     uac-call.xml          call1-answered 5065
call uas-busy.xml       uac-call-rejected.xml call2-busy     5066
call uas-early-media.xml uac-call.xml         call3-early    5067

sleep 0.5
td_stop "$TD_KAM_PID"
td_tcpdump_stop
td_install "$PCAP" "$OUT"
