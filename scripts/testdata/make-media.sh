#!/usr/bin/env bash
# Make one capture of testdata/media/ (issue #12: RTP and SDP per call) with
# its .truth.json (as root: it creates network namespaces).
#
#   bash scripts/testdata/make-media.sh NAME
#   bash scripts/testdata/make-media.sh all
#
# NAME: clean loss jitter no-media late-media early-media codec-mismatch
#       nat one-way cut rtcp hold
#
# Real SIPp 3.6.1 user agents (sipp/media-uac.xml, sipp/media-uas.xml) send
# real RTP with SIPp's rtp_stream: the speech of SIPp's own g711a.pcap
# (/usr/share/sip-tester), A-law, or the same speech converted to u-law, 20 ms
# a packet.  tcpdump captures it in private network namespaces; iptables
# MASQUERADE is the NAT of nat/one-way/cut.  loss and jitter are a real clean
# call whose caller-to-callee RTP frames were then dropped or delayed
# afterwards by media_impair.py (this kernel has no netem); rtcp adds the RTCP
# of rtcp_agent.py, which watches the real RTP and reports on it.  What each
# capture shows and its expected verdicts: testdata/media/README.md.  The
# truth JSON is tshark's rtp,streams plus the verdicts of media_truth.py.
#
# Addresses:
#   single namespace (lo): 192.0.2.20 bob (callee), 192.0.2.101-103 callers
#   nat/one-way/cut: three namespaces
#     office  192.168.1.101-104 (callers), default route via 192.168.1.1
#     router  192.168.1.1 (office side), 203.0.113.5 (public side), MASQUERADE
#     public  203.0.113.1 (link to the router), 198.51.100.20 bob (callee),
#             198.51.100.30 carol (a public caller); captured here, on p0 (the
#             access link to the office router) and lo, merged.  Packets to
#             192.168.0.0/16 leave by s0, the "upstream" link (100.64.0.1/30,
#             not captured), whose peer sits without any address in a fourth
#             namespace and drops them: private addresses are not routed on
#             the Internet, and the sender sees no error (a blackhole route
#             would make sendto fail, and SIPp's rtp_stream stops on that).
if [ "${1:-}" = all ]; then
    rc=0
    for n in clean loss jitter no-media late-media early-media codec-mismatch nat one-way cut rtcp hold; do
        bash "$0" "$n" || { echo "make-media: $n failed" >&2; rc=1; }
    done
    exit $rc
fi

source "$(dirname "$0")/patterns-lib.sh"
td_need iptables

NAME="${1:-}"
S="$TD_SIPP"
PCAP="$TD_TMP/media.pcap"
OUT="$TD_OUT/media"
ROUTER_NS=""
OFFICE_NS=""
SINK_NS=""

# media_audio: the audio files rtp_stream plays, in TD_TMP (SIPp runs there):
# media.pcma, the A-law payload of SIPp's g711a.pcap (7 s of speech), and
# media.pcmu, the same speech as u-law.
media_audio() {
    tshark -r /usr/share/sip-tester/g711a.pcap -o rtp.heuristic_rtp:TRUE -T fields -e rtp.payload 2>/dev/null |
        tr -d ':\n' | xxd -r -p >"$TD_TMP/media.pcma"
    python3 -W ignore -c 'import audioop, sys
a = open(sys.argv[1], "rb").read()
open(sys.argv[2], "wb").write(audioop.lin2ulaw(audioop.alaw2lin(a, 2), 2))' "$TD_TMP/media.pcma" "$TD_TMP/media.pcmu"
    [ "$(stat -c %s "$TD_TMP/media.pcma")" -gt 50000 ] || { td_log "no audio from g711a.pcap"; exit 1; }
}

# single_ns: one namespace, every party a /32 on its lo; tcpdump on lo.
single_ns() {
    td_ns_create "sipsleuth-td-media-$NAME"
    local a
    for a in 192.0.2.20 192.0.2.101 192.0.2.102 192.0.2.103; do
        ip -n "$TD_NS" addr add "$a/32" dev lo
    done
    td_tcpdump_start "$PCAP" -i lo
    LO_TCPDUMP=$TD_TCPDUMP_PID
}

# nat_ns: the three namespaces of the header; tcpdump on the public side's
# p0 (the link to the router) and lo.
nat_ns() {
    td_ns_create "sipsleuth-td-media-$NAME"
    ROUTER_NS="${TD_NS}-rt"
    OFFICE_NS="${TD_NS}-of"
    SINK_NS="${TD_NS}-sk"
    local n
    for n in "$ROUTER_NS" "$OFFICE_NS" "$SINK_NS"; do
        if ip netns list | awk '{print $1}' | grep -qx "$n"; then ip netns del "$n"; fi
        ip netns add "$n"
        ip -n "$n" link set lo up
    done
    ip -n "$TD_NS" addr add 198.51.100.20/32 dev lo
    ip -n "$TD_NS" addr add 198.51.100.30/32 dev lo
    ip -n "$TD_NS" link add p0 type veth peer name r0 netns "$ROUTER_NS"
    ip -n "$ROUTER_NS" link add r1 type veth peer name o1 netns "$OFFICE_NS"
    ip -n "$TD_NS" link set p0 address 02:00:00:00:71:01
    ip -n "$ROUTER_NS" link set r0 address 02:00:00:00:71:05
    ip -n "$ROUTER_NS" link set r1 address 02:00:00:00:01:01
    ip -n "$OFFICE_NS" link set o1 address 02:00:00:00:01:65
    for n in "$TD_NS:p0" "$ROUTER_NS:r0" "$ROUTER_NS:r1" "$OFFICE_NS:o1"; do
        ip netns exec "${n%%:*}" sysctl -q -w "net.ipv6.conf.${n#*:}.disable_ipv6=1"
    done
    ip -n "$TD_NS" addr add 203.0.113.1/24 dev p0
    ip -n "$ROUTER_NS" addr add 203.0.113.5/24 dev r0
    ip -n "$ROUTER_NS" addr add 192.168.1.1/24 dev r1
    ip -n "$OFFICE_NS" addr add 192.168.1.101/24 dev o1
    for n in 102 103 104; do ip -n "$OFFICE_NS" addr add "192.168.1.$n/24" dev o1; done
    ip -n "$TD_NS" link set p0 up
    ip -n "$ROUTER_NS" link set r0 up
    ip -n "$ROUTER_NS" link set r1 up
    ip -n "$OFFICE_NS" link set o1 up
    ip -n "$TD_NS" link add s0 type veth peer name s1 netns "$SINK_NS"
    ip netns exec "$TD_NS" sysctl -q -w net.ipv6.conf.s0.disable_ipv6=1
    ip netns exec "$SINK_NS" sysctl -q -w net.ipv6.conf.s1.disable_ipv6=1
    ip -n "$TD_NS" link set s0 address 02:00:00:00:64:01
    ip -n "$SINK_NS" link set s1 address 02:00:00:00:64:02
    ip -n "$TD_NS" addr add 100.64.0.1/30 dev s0
    ip -n "$TD_NS" link set s0 up
    ip -n "$SINK_NS" link set s1 up
    ip -n "$TD_NS" neigh replace 100.64.0.2 lladdr 02:00:00:00:64:02 dev s0 nud permanent
    ip -n "$TD_NS" route add 192.168.0.0/16 via 100.64.0.2 dev s0
    ip -n "$ROUTER_NS" route add default via 203.0.113.1
    ip -n "$OFFICE_NS" route add default via 192.168.1.1
    ip netns exec "$ROUTER_NS" sysctl -q -w net.ipv4.ip_forward=1
    ip netns exec "$ROUTER_NS" iptables -t nat -A POSTROUTING -o r0 -s 192.168.1.0/24 -j MASQUERADE
    td_tcpdump_start "$TD_TMP/p0.pcap" -i p0
    P0_TCPDUMP=$TD_TCPDUMP_PID
    td_tcpdump_start "$TD_TMP/lo.pcap" -i lo
    LO_TCPDUMP=$TD_TCPDUMP_PID
}

media_cleanup() {
    pat_cleanup
    local n
    for n in "$ROUTER_NS" "$OFFICE_NS" "$SINK_NS"; do
        if [ -n "$n" ] && ip netns list | awk '{print $1}' | grep -qx "$n"; then ip netns del "$n"; fi
    done
}
trap media_cleanup EXIT

UAS_PIDS=()
# uas USER IP [SIPP ARGS...]: a SIPp callee (sipp/media-uas.xml) on IP:5060,
# its RTP from IP too; the defaults: ring 200 ms, PCMA, RTP right after the
# ACK; a -key given as an argument wins (SIPp keeps the first value of a key).
uas() {
    local user="$1" ip="$2"
    shift 2
    pat_sipp_bg "uas-$user" 60 -sf "$S/media-uas.xml" -i "$ip" -mi "$ip" -p 5060 "$@" \
        -key uas_user "$user" -key idp "$NAME-$user-" -key ring 200 -key late 0 -key early no \
        -key echo no -key send pcma -key pt 8 -key codec PCMA
    UAS_PIDS+=("$TD_LASTPID")
    sleep 0.5
}
# uac LOG NS IP DEST CALLS INF [SIPP ARGS...]: a SIPp caller
# (sipp/media-uac.xml) in namespace NS, one call at a time; defaults: hold
# 3 s, PCMA, RTP right after the ACK.
uac() {
    local log="$1" ns="$2" ip="$3" dest="$4" calls="$5" inf="$6"
    shift 6
    (cd "$TD_TMP" && ip netns exec "$ns" sipp -nostdin -nd -timeout 60s -timeout_error \
        -sf "$S/media-uac.xml" -inf "$inf" -i "$ip" -mi "$ip" -p 5060 -m "$calls" -l 1 -r 1 "$@" \
        -key hold 3000 -key late 0 -key send pcma -key pt 8 -key codec PCMA \
        -key idp "$NAME-$log-" -cid_str "$NAME-$log-%u@sipsleuth.test" "$dest" \
        >"$TD_TMP/sipp-$log.log" 2>&1) || {
        td_log "sipp $log failed"; tail -n 40 "$TD_TMP/sipp-$log.log" >&2; return 1; }
}
inf1() { pat_inf "$TD_TMP/$1.csv" "$2"; echo "$TD_TMP/$1.csv"; }

# finish: stop the callees, tcpdump ~1 s after the last packet; install the
# capture and write its truth.
finish() {
    local p
    for p in "${UAS_PIDS[@]}"; do td_stop "$p"; done
    sleep 1
    if [ -n "${P0_TCPDUMP:-}" ]; then
        td_stop "$P0_TCPDUMP"
        td_stop "$LO_TCPDUMP"
        mergecap -F pcap -w "$PCAP" "$TD_TMP/p0.pcap" "$TD_TMP/lo.pcap"
    else
        td_stop "$LO_TCPDUMP"
    fi
    install_pcap "$PCAP"
}
install_pcap() {
    mkdir -p "$OUT"
    td_install "$1" "media/$NAME.pcap"
    [ -z "${MEDIA_NO_TRUTH:-}" ] || return 0
    python3 "$TD_SCRIPTS/media_truth.py" write "$OUT/$NAME.pcap"
}

media_audio
case "$NAME" in

clean)
    # alice, dave, erin (192.0.2.101-103) call bob (192.0.2.20) one after the
    # other; each call: 100, 180, 200 after 200 ms, ACK; both sides send
    # PCMA RTP from the ACK on; BYE after 3 s.
    single_ns
    uas bob 192.0.2.20
    uac alice "$TD_NS" 192.0.2.101 192.0.2.20:5060 1 "$(inf1 a 'alice@sipsleuth.test;bob@sipsleuth.test')"
    uac dave "$TD_NS" 192.0.2.102 192.0.2.20:5060 1 "$(inf1 d 'dave@sipsleuth.test;bob@sipsleuth.test')"
    uac erin "$TD_NS" 192.0.2.103 192.0.2.20:5060 1 "$(inf1 e 'erin@sipsleuth.test;bob@sipsleuth.test')"
    finish
    ;;

loss|jitter)
    # One clean call, alice (192.0.2.101) to bob (192.0.2.20), 5 s of RTP
    # both ways; then media_impair.py LOSS|JITTER rewrites alice's RTP to bob
    # as a capture at bob's side of a bad link would show it (see there).
    single_ns
    uas bob 192.0.2.20
    uac alice "$TD_NS" 192.0.2.101 192.0.2.20:5060 1 "$(inf1 a 'alice@sipsleuth.test;bob@sipsleuth.test')" \
        -key hold 5000
    for p in "${UAS_PIDS[@]}"; do td_stop "$p"; done
    sleep 1
    td_stop "$LO_TCPDUMP"
    python3 "$TD_SCRIPTS/media_impair.py" "$NAME" "$PCAP" "$TD_TMP/impaired.pcap" 192.0.2.101 192.0.2.20
    install_pcap "$TD_TMP/impaired.pcap"
    ;;

no-media)
    # alice calls bob; the call is answered with SDP both ways, held 3 s,
    # BYE; neither side sends any RTP (-key send none on both).
    single_ns
    uas bob 192.0.2.20 -key send none
    uac alice "$TD_NS" 192.0.2.101 192.0.2.20:5060 1 "$(inf1 a 'alice@sipsleuth.test;bob@sipsleuth.test')" \
        -key send none
    finish
    ;;

late-media)
    # alice calls bob; both sides start their RTP 4 s after the ACK (a media
    # server slow to open its ports); BYE 6 s after the ACK.
    single_ns
    uas bob 192.0.2.20 -key late 4000
    uac alice "$TD_NS" 192.0.2.101 192.0.2.20:5060 1 "$(inf1 a 'alice@sipsleuth.test;bob@sipsleuth.test')" \
        -key late 4000 -key hold 6000
    finish
    ;;

early-media)
    # alice calls bob; bob answers 100, then 183 Session Progress with SDP
    # and sends RTP at once (ringback/announcement), 2 s later 200 with the
    # same SDP; alice sends RTP from the ACK on; BYE 3 s after the ACK.
    single_ns
    uas bob 192.0.2.20 -key early yes -key ring 2000
    uac alice "$TD_NS" 192.0.2.101 192.0.2.20:5060 1 "$(inf1 a 'alice@sipsleuth.test;bob@sipsleuth.test')"
    finish
    ;;

codec-mismatch)
    # alice offers PCMU (0) only, bob answers PCMU (0) and sends PCMU with
    # payload type 0; alice's phone sends PCMA with payload type 8, which was
    # never negotiated.  BYE after 3 s.
    single_ns
    uas bob 192.0.2.20 -key pt 0 -key codec PCMU -key send pcmu
    uac alice "$TD_NS" 192.0.2.101 192.0.2.20:5060 1 "$(inf1 a 'alice@sipsleuth.test;bob@sipsleuth.test')" \
        -key pt 0 -key codec PCMU -key send pcma
    finish
    ;;

nat)
    # alice (192.168.1.101, behind the office NAT 203.0.113.5) calls bob
    # (198.51.100.20); her SDP says c=192.168.1.101 (no STUN, no ALG).  bob
    # answers with SIPp's RTP echo (-rtp_echo: every packet back to where it
    # came from, symmetric RTP as a media server latching does), so media
    # flows both ways through the NAT.  BYE after 3 s.
    nat_ns
    uas bob 198.51.100.20 -rtp_echo -key echo yes
    uac alice "$OFFICE_NS" 192.168.1.101 198.51.100.20:5060 1 "$(inf1 a 'alice@sipsleuth.test;bob@sipsleuth.test')"
    finish
    ;;

one-way)
    # Four office phones behind the NAT 203.0.113.5 (alice, dave, erin,
    # frank: 192.168.1.101-104) call bob (198.51.100.20) one after the other,
    # 3 s each, their SDP c= their private address.  bob sends his RTP to
    # that c= (no latching): it leaves by the upstream link and is dropped,
    # so only the callers' RTP is in the capture: one-way audio on every call
    # from that network.  Then carol (198.51.100.30, public) calls bob twice:
    # media both ways.  (One call at a time: SIPp 3.6.1 puts every call of a
    # UAS on the same RTP port, and calls that overlap could not be told
    # apart by their SDP.)
    nat_ns
    uas bob 198.51.100.20
    k=0
    for u in alice dave erin frank; do
        uac "$u" "$OFFICE_NS" "192.168.1.$((101 + k))" 198.51.100.20:5060 1 \
            "$(inf1 "$u" "$u@sipsleuth.test;bob@sipsleuth.test")"
        k=$((k + 1))
    done
    uac carol "$TD_NS" 198.51.100.30 198.51.100.20:5060 2 "$(inf1 c 'carol@sipsleuth.test;bob@sipsleuth.test')"
    finish
    ;;

cut)
    # As one-way with alice alone, but she holds the call 10 s and the
    # capture stops ~3 s after the 200 OK, during the one-way audio, before
    # any BYE (a customer capture taken while the problem is on).
    nat_ns
    uas bob 198.51.100.20
    uac alice "$OFFICE_NS" 192.168.1.101 198.51.100.20:5060 1 "$(inf1 a 'alice@sipsleuth.test;bob@sipsleuth.test')" \
        -key hold 10000 &
    CALLER=$!
    # wait for the 200 OK to be on the wire (tcpdump -U writes each packet), then 3 s more
    for _ in $(seq 1 100); do
        tshark -r "$TD_TMP/p0.pcap" -Y 'sip.Status-Code == 200' 2>/dev/null | grep -q . && break
        sleep 0.1
    done
    sleep 3
    td_stop "$P0_TCPDUMP"
    td_stop "$LO_TCPDUMP"
    mergecap -F pcap -w "$PCAP" "$TD_TMP/p0.pcap" "$TD_TMP/lo.pcap"
    wait "$CALLER" || { td_log "caller failed"; exit 1; }
    install_pcap "$PCAP"
    ;;

hold)
    # alice calls bob, both send PCMA; after 2 s alice puts bob on hold
    # (re-INVITE a=sendonly, answered a=recvonly: bob pauses his stream,
    # alice keeps sending, as music on hold would); 2 s later she takes him
    # back (re-INVITE a=sendrecv: bob resumes), BYE 2 s after that.
    # (sipp/media-uac-hold.xml, sipp/media-uas-hold.xml)
    single_ns
    pat_sipp_bg uas-bob 60 -sf "$S/media-uas-hold.xml" -i 192.0.2.20 -mi 192.0.2.20 -p 5060 \
        -key uas_user bob -key idp "$NAME-bob-"
    UAS_PIDS+=("$TD_LASTPID")
    sleep 0.5
    (cd "$TD_TMP" && ip netns exec "$TD_NS" sipp -nostdin -nd -timeout 60s -timeout_error \
        -sf "$S/media-uac-hold.xml" -inf "$(inf1 a 'alice@sipsleuth.test;bob@sipsleuth.test')" \
        -i 192.0.2.101 -mi 192.0.2.101 -p 5060 -m 1 -key hold 2000 -key idp "$NAME-alice-" \
        -cid_str "$NAME-alice-%u@sipsleuth.test" 192.0.2.20:5060 >"$TD_TMP/sipp-alice.log" 2>&1) || {
        td_log "sipp alice failed"; tail -n 40 "$TD_TMP/sipp-alice.log" >&2; exit 1; }
    finish
    ;;

rtcp)
    # SIPp sends no RTCP (rtp_stream and -rtp_echo are RTP only), so this one
    # is two baresip 1.0.0 user agents (Debian's baresip-core), which send
    # RTP and RTCP (RFC 3550, on port+1, rtcp_mux off): alice (192.0.2.101,
    # her own namespace) dials bob (192.0.2.20, answermode=auto) over a veth
    # link; both play the speech of media.pcma (twice over, 14 s) as PCMA;
    # alice quits after 12 s (-t), which hangs up (BYE).  RTCP: an APP
    # "PING" each way at the start, then SR + SDES about every 5 s each way
    # (each SR with a report block on the other side's stream), SDES + BYE
    # at the end.  Captured on bob's side of the link.
    td_need baresip
    td_ns_create "sipsleuth-td-media-$NAME"
    OFFICE_NS="${TD_NS}-a"
    if ip netns list | awk '{print $1}' | grep -qx "$OFFICE_NS"; then ip netns del "$OFFICE_NS"; fi
    ip netns add "$OFFICE_NS"
    ip -n "$OFFICE_NS" link set lo up
    ip -n "$OFFICE_NS" link add va type veth peer name vb netns "$TD_NS"
    ip -n "$OFFICE_NS" link set va address 02:00:00:00:02:65
    ip -n "$TD_NS" link set vb address 02:00:00:00:02:14
    ip netns exec "$OFFICE_NS" sysctl -q -w net.ipv6.conf.va.disable_ipv6=1
    ip netns exec "$TD_NS" sysctl -q -w net.ipv6.conf.vb.disable_ipv6=1
    ip -n "$OFFICE_NS" addr add 192.0.2.101/24 dev va
    ip -n "$TD_NS" addr add 192.0.2.20/24 dev vb
    ip -n "$OFFICE_NS" link set va up
    ip -n "$TD_NS" link set vb up
    python3 -W ignore -c 'import audioop, sys, wave
a = open(sys.argv[1], "rb").read()
w = wave.open(sys.argv[2], "wb"); w.setnchannels(1); w.setsampwidth(2); w.setframerate(8000)
w.writeframes(audioop.alaw2lin(a + a, 2)); w.close()' "$TD_TMP/media.pcma" "$TD_TMP/speech.wav"
    for who in alice:192.0.2.101 bob:192.0.2.20; do
        u=${who%%:*}
        mkdir -p "$TD_TMP/bs-$u"
        cat >"$TD_TMP/bs-$u/config" <<EOF
poll_method		epoll
sip_listen		${who#*:}:5060
audio_player		aufile,$TD_TMP/bs-$u/heard.wav
audio_source		aufile,$TD_TMP/speech.wav
audio_alert		aufile,$TD_TMP/bs-$u/alert.wav
audio_srate		8000
audio_channels		1
rtp_ports		10000-10020
rtcp_mux		no
rtp_stats		yes
module_path		/usr/lib/baresip/modules
module			g711.so
module			aufile.so
module_app		account.so
module_app		menu.so
module_app		rtcpsummary.so
EOF
        echo "<sip:$u@${who#*:}>;regint=0;answermode=auto;audio_codecs=PCMA" >"$TD_TMP/bs-$u/accounts"
    done
    td_tcpdump_start "$PCAP" -i vb
    LO_TCPDUMP=$TD_TCPDUMP_PID
    td_bg baresip-bob baresip -f "$TD_TMP/bs-bob" -t 25
    UAS_PIDS+=("$TD_LASTPID")
    sleep 1
    (ip netns exec "$OFFICE_NS" baresip -f "$TD_TMP/bs-alice" -t 12 -e "/dial sip:bob@192.0.2.20" \
        >"$TD_TMP/baresip-alice.log" 2>&1) || { td_log "baresip alice failed"; tail -n 30 "$TD_TMP/baresip-alice.log" >&2; exit 1; }
    grep -q "Call established" "$TD_TMP/baresip-alice.log" || { td_log "no call"; tail -n 30 "$TD_TMP/baresip-alice.log" >&2; exit 1; }
    finish
    # what alice's baresip measured itself (its rtp_stats table), to compare
    # with the RTCP in the capture
    { echo "# alice's baresip 1.0.0 at the end of the call in rtcp.pcap (stdout of make-media.sh rtcp)"
      grep -E "^audio +Transmit|^packets:|^avg. bitrate:|^errors:|^pkt.report:|^lost:|^jitter:" \
          "$TD_TMP/baresip-alice.log"; } >"$OUT/rtcp.baresip-summary.txt"
    ;;

*)
    echo "usage: $0 all|clean|loss|jitter|no-media|late-media|early-media|codec-mismatch|nat|one-way|cut|rtcp|hold" >&2
    exit 2
    ;;
esac
