#!/usr/bin/env bash
# Make testdata/ipv4-fragments.pcap and testdata/ipv6-fragments.pcap:
# a SIPp UAC sends an INVITE with a large SDP (> 3000 bytes, sipp/uac-big-invite.xml)
# over UDP to a SIPp UAS (sipp/uas-answer.xml); the loopback interface of a private
# network namespace has its MTU lowered to 1500, so the sending kernel splits the
# INVITE into IP fragments (IPv4: 3 fragments, IPv6: 3 fragments with a Fragment
# extension header).  The rest of the call (100/180/200/ACK/BYE/200) is small.
#
#   bash scripts/testdata/make-fragments.sh
source "$(dirname "$0")/lib.sh"
td_need ip tcpdump sipp

td_ns_create sipsleuth-td-frag 1500
S="$TD_SIPP"

# one_call FAMILY LOCAL_IP REMOTE OUTFILE
one_call() {
    local fam="$1" lip="$2" remote="$3" out="$4" uaspid
    local pcap="$TD_TMP/$fam.pcap"
    td_tcpdump_start "$pcap" -i lo
    td_sipp_bg "uas-$fam" -sf "$S/uas-answer.xml" -t u1 -i "$lip" -p 5070 -m 1 -key id "frag-$fam"
    uaspid=$TD_LASTPID
    sleep 0.5
    td_sipp "uac-$fam" -sf "$S/uac-big-invite.xml" -t u1 -i "$lip" -p 5061 -m 1 \
        -key id "frag-$fam" -cid_str "frag-$fam@sipsleuth.test" -key ruri_host "$remote" "$remote"
    td_wait "$uaspid" 20
    td_tcpdump_stop
    td_install "$pcap" "$out"
}

one_call ipv4 127.0.0.1 127.0.0.1:5070 ipv4-fragments.pcap
one_call ipv6 ::1 '[::1]:5070' ipv6-fragments.pcap
