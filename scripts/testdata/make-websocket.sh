#!/usr/bin/env bash
# Make testdata/websocket.pcap: SIP over WebSocket (RFC 7118).
# kamailio with the websocket + xhttp modules (Debian package
# kamailio-websocket-modules) on ws://127.0.0.1:8080, and the stdlib Python
# client ws_sip_client.py (two connections, alice and bob).
#
#   bash scripts/testdata/make-websocket.sh
source "$(dirname "$0")/lib.sh"
td_need ip tcpdump kamailio python3
if [ ! -e /usr/lib/x86_64-linux-gnu/kamailio/modules/websocket.so ]; then
    td_log "kamailio websocket module missing: apt-get install kamailio-websocket-modules"
    exit 1
fi

td_ns_create sipsleuth-td-ws
PCAP="$TD_TMP/out.pcap"
td_tcpdump_start "$PCAP" -i lo
td_kamailio_start "$TD_KAM/ws.cfg"

td_in_ns timeout 30 python3 "$TD_SCRIPTS/ws_sip_client.py"

sleep 0.5
td_stop "$TD_KAM_PID"
td_tcpdump_stop
td_install "$PCAP" websocket.pcap
