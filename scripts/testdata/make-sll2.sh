#!/usr/bin/env bash
# Make testdata/sll2-udp.pcap: one SIPp UAC -> SIPp UAS call over UDP
# (127.0.0.1:5061 -> 127.0.0.1:5070, no proxy) captured with
# `tcpdump -i any -y LINUX_SLL2` (link type LINUX_SLL2, 276).
#
#   bash scripts/testdata/make-sll2.sh
source "$(dirname "$0")/lib.sh"
td_need ip tcpdump sipp

td_ns_create sipsleuth-td-sll2
PCAP="$TD_TMP/out.pcap"
td_tcpdump_start "$PCAP" -i any -y LINUX_SLL2

S="$TD_SIPP"
td_sipp_bg uas -sf "$S/uas-answer.xml" -t u1 -i 127.0.0.1 -p 5070 -m 1 -key id sll2-call
uaspid=$TD_LASTPID
sleep 0.5
td_sipp uac -sf "$S/uac-call.xml" -t u1 -i 127.0.0.1 -p 5061 -m 1 \
    -key id sll2-call -cid_str sll2-call@sipsleuth.test -key ruri_host 127.0.0.1:5070 127.0.0.1:5070
td_wait "$uaspid" 20

td_tcpdump_stop
td_install "$PCAP" sll2-udp.pcap
