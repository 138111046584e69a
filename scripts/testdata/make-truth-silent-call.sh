#!/usr/bin/env bash
# Make testdata/calls/calls-silent-callee.pcap (+ .truth.json): INVITEs to a
# destination that never answers anything.
#
#   bash scripts/testdata/make-truth-silent-call.sh      # ~40 s
#
# The namespace gets a veth link sil0 (10.99.0.1) whose peer has no address
# (truth-lib.sh truth_silent_link), so INVITEs to 10.99.0.2:5060 are dropped
# without any answer or ICMP error.  tcpdump captures on sil0.  SIPp sends the
# INVITE directly (no proxy, no auth) and retransmits per Timer A; the
# scenario's receive timeout of 32 s (Timer B) ends the call, and -nd keeps
# SIPp from sending a CANCEL/BYE.
#   s01-no-answer     starts at t=0; 7 INVITE transmissions (0 ... 31.5 s);
#                     the last packet of the capture is at t=39.5 s -> NO_ANSWER
#   s02-capture-ends  starts at t=24 s; 6 transmissions (24 ... 39.5 s); the
#                     capture stops at about t=42 s, before its Timer B
#                     -> INCOMPLETE
# s02 is also what shows that the capture went on past s01's Timer B: a pcap
# file has no "end of capture" time, only its last packet.
source "$(dirname "$0")/truth-lib.sh"

td_ns_create sipsleuth-td-silent-call
truth_silent_link
PCAP="$TD_TMP/out.pcap"
td_tcpdump_start "$PCAP" -i sil0

SC="$TD_SIPP/uac-silent.xml"
T0=$(date +%s.%N)
truth_sipp_silent_bg s01 -sf "$SC" -t u1 -i 10.99.0.1 -p 5061 -m 1 -max_invite_retrans 6 \
    -key id s01-no-answer -cid_str s01-no-answer@sipsleuth.test \
    -key callee bob -key ruri_host sipsleuth.test 10.99.0.2:5060
S01=$TD_LASTPID
sleep 24
truth_sipp_silent_bg s02 -sf "$SC" -t u1 -i 10.99.0.1 -p 5062 -m 1 -max_invite_retrans 6 \
    -key id s02-capture-ends -cid_str s02-capture-ends@sipsleuth.test \
    -key callee bob -key ruri_host sipsleuth.test 10.99.0.2:5060
S02=$TD_LASTPID
# SIPp counts the call as failed (exit code 1) when it gives up; that is expected.
# truth.py checks the INVITE transmissions in the capture.
td_wait "$S01" 15 || td_log "sipp s01 ended with an error status (expected: no answer)"
truth_sleep_until "$T0" 41   # s02's 6th transmission is at ~t=39.5 s
td_tcpdump_stop              # 1 s more, then stop
td_stop "$S02"           # s02 is still waiting for an answer
truth_install "$PCAP" calls/calls-silent-callee.pcap
