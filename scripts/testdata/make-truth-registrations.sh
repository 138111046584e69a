#!/usr/bin/env bash
# Make testdata/registrations/registrations.pcap (default, UDP, ~40 s) or
# registrations-tcp.pcap ("tcp"), each with its .truth.json.
#
#   bash scripts/testdata/make-truth-registrations.sh [udp|tcp]
#
# kamailio (kamailio/truth.cfg) as registrar with digest auth: max_expires 600,
# min_expires 60 with min_expires_mode 1 (423 + Min-Expires: 60), fixed
# failures for some users (see the cfg).  Each REGISTER chain is one SIPp run
# with its own local port and a fixed Call-ID; the UA's Contact is its own
# address.  In UDP mode one more UA ("ghost") sends a REGISTER to 10.99.0.2,
# the far end of a veth link where nothing answers (truth-lib.sh
# truth_silent_link); SIPp retransmits it per Timer E (capped at T2 = 4 s)
# until it gives up at 31.5 s.  That REGISTER is sent first; the last three
# chains (erin, frank, grace) are run 35 s later, so the capture holds packets
# well after the ghost's Timer F (a pcap file has no "end of capture" time,
# only its last packet).  tcpdump runs on lo and on sil0; the two files
# are merged in time order with mergecap (both Ethernet).
# The truth of every attempt is in truth.py and testdata/registrations/README.md.
source "$(dirname "$0")/truth-lib.sh"

MODE="${1:-udp}"
case "$MODE" in
    udp) T=u1; KAMARGS=();            OUT=registrations/registrations.pcap; P=reg ;;
    tcp) T=t1; KAMARGS=(-A WITH_TCP); OUT=registrations/registrations-tcp.pcap; P=treg ;;
    *) echo "usage: $0 [udp|tcp]" >&2; exit 2 ;;
esac
PROXY=127.0.0.1:5060

td_ns_create "sipsleuth-td-reg-$MODE"
td_kamailio_start "$TRUTH_CFG" "${KAMARGS[@]}"
LOPCAP="$TD_TMP/lo.pcap"
td_tcpdump_start "$LOPCAP" -i lo
LO_TCPDUMP=$TD_TCPDUMP_PID

if [ "$MODE" = udp ]; then
    truth_silent_link
    SILPCAP="$TD_TMP/sil0.pcap"
    td_tcpdump_start "$SILPCAP" -i sil0
    SIL_TCPDUMP=$TD_TCPDUMP_PID
    T0=$(date +%s.%N)
    truth_sipp_silent_bg ghost -sf "$TD_SIPP/reg-silent.xml" -t u1 -i 10.99.0.1 -p 5412 -m 1 \
        -max_non_invite_retrans 20 -s ghost -key id reg-ghost-noanswer \
        -cid_str reg-ghost-noanswer@sipsleuth.test -key contact_port 5412 -key expires 3600 \
        10.99.0.2:5060
    GHOST=$TD_LASTPID
    sleep 1
fi

# reg ID PORT SCENARIO USER PASSWORD|- [SIPP ARGS...]
reg() {
    local id="$1" port="$2" sc="$3" user="$4" pw="$5" auth=()
    shift 5
    case "$sc" in /*) ;; *) sc="$TD_SIPP/$sc" ;; esac
    [ "$pw" = "-" ] || auth=(-au "$user" -ap "$pw")
    td_sipp "$id" -sf "$sc" -t $T -i 127.0.0.1 -p "$port" -m 1 -s "$user" "${auth[@]}" \
        -key id "$id" -cid_str "$id@sipsleuth.test" -key contact_port "$port" "$@" $PROXY
    sleep 0.3
}
tmpl() { truth_template "$1" "$2"; }
NOAUTH=(-key expires 3600 -key extra_hdr "Supported: path")

case "$MODE" in
udp)
    reg $P-alice-refresh    5401 reg-auth-refresh.xml        alice alice-secret   -key expires 3600 -key expires2 3600
    reg $P-bob-dereg        5402 reg-auth-refresh.xml        bob   bob-secret     -key expires 3600 -key expires2 0
    reg $P-alice-badpw      5403 "$(tmpl reg-auth.xml 401)"  alice wrong-password -key expires 3600
    reg $P-mallory-unknown  5404 "$(tmpl reg-noauth.xml 404)" mallory -           "${NOAUTH[@]}"
    reg $P-carol-forbidden  5405 "$(tmpl reg-auth.xml 403)"  carol carol-secret   -key expires 3600
    reg $P-bob-423-retry    5406 reg-423-retry.xml           bob   bob-secret     -key expires 30
    reg $P-alice-423-giveup 5407 "$(tmpl reg-auth.xml 423)"  alice alice-secret   -key expires 30
    reg $P-dave-503         5408 "$(tmpl reg-noauth.xml 503)" dave -              "${NOAUTH[@]}"
    # SIPp counts the REGISTER as failed (exit code 1) when it gives up; expected.
    # truth.py checks the REGISTER transmissions in the capture.
    td_wait "$GHOST" 40 || td_log "sipp ghost ended with an error status (expected: no answer)"
    truth_sleep_until "$T0" 35
    reg $P-erin-500         5409 "$(tmpl reg-noauth.xml 500)" erin -              "${NOAUTH[@]}"
    reg $P-frank-408        5410 "$(tmpl reg-noauth.xml 408)" frank -             "${NOAUTH[@]}"
    reg $P-grace-420        5411 "$(tmpl reg-noauth.xml 420)" grace -             -key expires 3600 -key extra_hdr "Require: sipsleuth-ext"
    ;;
tcp)
    reg $P-alice-refresh    5501 reg-auth-refresh.xml        alice alice-secret   -key expires 3600 -key expires2 3600
    reg $P-alice-badpw      5502 "$(tmpl reg-auth.xml 401)"  alice wrong-password -key expires 3600
    reg $P-bob-423-retry    5503 reg-423-retry.xml           bob   bob-secret     -key expires 30
    reg $P-carol-forbidden  5504 "$(tmpl reg-auth.xml 403)"  carol carol-secret   -key expires 3600
    reg $P-dave-503         5505 "$(tmpl reg-noauth.xml 503)" dave -              "${NOAUTH[@]}"
    ;;
esac

sleep 1
td_stop "$LO_TCPDUMP"
if [ "$MODE" = udp ]; then
    td_stop "$SIL_TCPDUMP"
    mergecap -F pcap -w "$TD_TMP/out.pcap" "$LOPCAP" "$SILPCAP"
else
    cp "$LOPCAP" "$TD_TMP/out.pcap"
fi
td_stop "$TD_KAM_PID"
truth_install "$TD_TMP/out.pcap" "$OUT"
