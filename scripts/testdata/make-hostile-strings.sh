#!/usr/bin/env bash
# Make testdata/hostile-strings.pcap: a SIPp UAC registers an account whose
# user part carries terminal escapes and a bidi override (ESC [2J clear
# screen, ESC ]0;…BEL window title, ESC [6n cursor report, U+202E) to a SIPp
# registrar that accepts it (200 OK). Tests give the capture a hostile file
# name too, and check every text sink shows both made printable (issue #17).
# NUL cannot be passed to SIPp through argv; the sanitiser's unit test has it.
#
#   bash scripts/testdata/make-hostile-strings.sh
source "$(dirname "$0")/lib.sh"
td_need ip tcpdump sipp

td_ns_create sipsleuth-td-hostile
PCAP="$TD_TMP/out.pcap"
td_tcpdump_start "$PCAP" -i lo
S="$TD_SIPP"
sed 's/FINAL_CODE/200/' "$S/reg-noauth.xml" >"$TD_TMP/reg-200.xml"
USER_PART=$'evil\e[2J\e]0;pwned\a\e[6n\u202egpj.exe'

td_sipp_bg uas -sf "$S/uas-register-ok.xml" -t u1 -i 127.0.0.1 -p 15070 -m 1
uaspid=$TD_LASTPID
sleep 0.5
td_sipp uac -sf "$TD_TMP/reg-200.xml" -t u1 -i 127.0.0.1 -p 15060 -m 1 \
    -s "$USER_PART" -key id hostile -cid_str "hostile-reg@sipsleuth.test" \
    -key contact_port 15060 -key expires 3600 -key extra_hdr "Supported: path" 127.0.0.1:15070
td_wait "$uaspid" 20

td_tcpdump_stop
td_install "$PCAP" hostile-strings.pcap
