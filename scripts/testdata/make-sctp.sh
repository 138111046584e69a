#!/usr/bin/env bash
# Make testdata/sctp-call.pcap: SIP over SCTP (RFC 4168).
#
# The kernel here has no SCTP module (socket(AF_INET, SOCK_STREAM,
# IPPROTO_SCTP) fails with EPROTONOSUPPORT), so neither SIPp's -t sn nor
# kamailio's sctp module can run. The SCTP is made by the usrsctp userland
# stack (Debian libusrsctp-dev, raw IP sockets) in sctp_sip_replay.c, and the
# SIP it carries is real SIPp traffic:
#   1. a SIPp UAC (sipp/uac-big-invite.xml, an INVITE of about 4 KB) calls a
#      SIPp UAS (sipp/uas-answer.xml) over UDP on 127.0.0.1; that capture is
#      only a source of messages (not kept);
#   2. its 7 SIP messages become a script (sctp_script.py: Via/Contact
#      transport rewritten to SCTP) that sctp_sip_replay plays over one SCTP
#      association 127.0.0.1:5061 -> 127.0.0.1:5060, path MTU fixed at 1200,
#      so the INVITE goes as several DATA fragments (B/E flags);
#   3. the client's retransmission timeout is set to 40 ms, below the
#      server's delayed SACK (200 ms): the client's stack retransmits DATA
#      the server already has (no packet is lost: this sandbox's kernel has
#      no netem or tc drop action), so the capture holds DATA chunks with a
#      TSN already seen.
# tcpdump captures lo throughout step 2.
#
#   bash scripts/testdata/make-sctp.sh
source "$(dirname "$0")/lib.sh"
td_need ip tcpdump sipp tshark gcc python3
[ -e /usr/include/usrsctp.h ] || { td_log "missing libusrsctp-dev (apt-get install libusrsctp-dev)"; exit 1; }

td_ns_create sipsleuth-td-sctp
S="$TD_SIPP"

# 1. the SIP messages, from SIPp over UDP
td_tcpdump_start "$TD_TMP/udp.pcap" -i lo
td_sipp_bg uas -sf "$S/uas-answer.xml" -t u1 -i 127.0.0.1 -p 5060 -m 1 -key id sctp-call
uaspid=$TD_LASTPID
sleep 0.5
td_sipp uac -sf "$S/uac-big-invite.xml" -t u1 -i 127.0.0.1 -p 5061 -m 1 \
    -key id sctp-call -cid_str sctp-call@sipsleuth.test -key ruri_host 127.0.0.1:5060 127.0.0.1:5060
td_wait "$uaspid" 20
td_tcpdump_stop
tshark -r "$TD_TMP/udp.pcap" -Y sip -T fields -e udp.srcport -e udp.payload \
    | python3 "$TD_SCRIPTS/sctp_script.py" 5061 "$TD_TMP/script.bin"

# 2. the same messages over SCTP
gcc -O2 -Wall -o "$TD_TMP/sctp_sip_replay" "$TD_SCRIPTS/sctp_sip_replay.c" -lusrsctp -lpthread
td_tcpdump_start "$TD_TMP/sctp.pcap" -i lo sctp
td_in_ns timeout 60 "$TD_TMP/sctp_sip_replay" 127.0.0.1 127.0.0.1 "$TD_TMP/script.bin" 1200 40 \
    2>"$TD_TMP/replay.log" || { cat "$TD_TMP/replay.log" >&2; exit 1; }
td_tcpdump_stop
td_install "$TD_TMP/sctp.pcap" sctp-call.pcap
