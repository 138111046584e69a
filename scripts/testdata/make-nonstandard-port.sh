#!/usr/bin/env bash
# Make testdata/udp-nonstandard-port.pcap: SIPp UAC (127.0.0.1:15060) calls a
# SIPp UAS (127.0.0.1:15070) directly over UDP, no proxy; neither port is 5060.
#   call 1: INVITE, 100, 180, 200, ACK, BYE, 200  (answered)
#   call 2: INVITE, 100, 486, ACK                 (busy)
#
#   bash scripts/testdata/make-nonstandard-port.sh
source "$(dirname "$0")/lib.sh"
td_need ip tcpdump sipp

td_ns_create sipsleuth-td-port
PCAP="$TD_TMP/out.pcap"
td_tcpdump_start "$PCAP" -i lo
S="$TD_SIPP"

call() {
    local uas="$1" uac="$2" id="$3" uaspid
    td_sipp_bg "uas-$id" -sf "$S/$uas" -t u1 -i 127.0.0.1 -p 15070 -m 1 -key id "$id"
    uaspid=$TD_LASTPID
    sleep 0.5
    td_sipp "uac-$id" -sf "$S/$uac" -t u1 -i 127.0.0.1 -p 15060 -m 1 \
        -key id "$id" -cid_str "$id@sipsleuth.test" -key ruri_host 127.0.0.1:15070 127.0.0.1:15070
    td_wait "$uaspid" 20
}
call uas-answer.xml uac-call.xml          port-call1-answered
call uas-busy.xml   uac-call-rejected.xml port-call2-busy

td_tcpdump_stop
td_install "$PCAP" udp-nonstandard-port.pcap
