# shellcheck shell=bash
# Helpers for the "known truth" captures (testdata/calls/, testdata/registrations/),
# on top of lib.sh.  Sourced by make-truth-*.sh; not meant to be run directly.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
td_need ip tcpdump kamailio sipp tshark mergecap python3

TRUTH_CFG="$TD_KAM/truth.cfg"
TD_SINK_NS=""   # second namespace holding the far end of the "silent" veth

# truth_template XML CODE: copy a SIPp template scenario with FINAL_CODE replaced
# by CODE into the temp dir; prints the new path.
truth_template() {
    local src="$TD_SIPP/$1" code="$2"
    local dst="$TD_TMP/$(basename "$1" .xml)-$code.xml"
    sed "s/FINAL_CODE/$code/g" "$src" >"$dst"
    echo "$dst"
}

# truth_silent_link: give the namespace a veth link sil0 (10.99.0.1/24,
# 02:00:00:00:99:01) whose peer sil1 (02:00:00:00:99:02) sits, without any
# IP address, in a second namespace.  10.99.0.2 is pinned to sil1's MAC with a
# permanent neighbour entry, so packets to 10.99.0.2 leave on sil0 and are
# silently dropped by the peer namespace: no answer, no ICMP, no ARP.
# IPv6 is disabled on both ends so the link carries nothing else.
truth_silent_link() {
    TD_SINK_NS="${TD_NS}-sink"
    if ip netns list | awk '{print $1}' | grep -qx "$TD_SINK_NS"; then
        ip netns del "$TD_SINK_NS"
    fi
    ip netns add "$TD_SINK_NS"
    ip -n "$TD_NS" link add sil0 type veth peer name sil1 netns "$TD_SINK_NS"
    ip netns exec "$TD_NS" sysctl -q -w net.ipv6.conf.sil0.disable_ipv6=1
    ip netns exec "$TD_SINK_NS" sysctl -q -w net.ipv6.conf.sil1.disable_ipv6=1
    ip -n "$TD_NS" link set sil0 address 02:00:00:00:99:01
    ip -n "$TD_SINK_NS" link set sil1 address 02:00:00:00:99:02
    ip -n "$TD_NS" addr add 10.99.0.1/24 dev sil0
    ip -n "$TD_NS" link set sil0 up
    ip -n "$TD_SINK_NS" link set sil1 up
    ip -n "$TD_NS" neigh replace 10.99.0.2 lladdr 02:00:00:00:99:02 dev sil0 nud permanent
}

# truth_sipp_silent_bg LOGNAME ARGS...: SIPp in the background without lib.sh's
# 20 s global timeout (the silent scenarios last 32 s).
truth_sipp_silent_bg() {
    local name="$1"; shift
    (cd "$TD_TMP" && exec ip netns exec "$TD_NS" sipp -nostdin -nd -timeout 45s -timeout_error "$@") \
        >"$TD_TMP/sipp-$name.log" 2>&1 &
    TD_LASTPID=$!
    TD_PIDS+=("$TD_LASTPID")
}

# truth_sleep_until T0 SECONDS: sleep until SECONDS after the epoch time T0
# (from `date +%s.%N`).
truth_sleep_until() {
    local left
    left=$(awk -v t0="$1" -v s="$2" -v now="$(date +%s.%N)" 'BEGIN { d = t0 + s - now; print (d > 0 ? d : 0) }')
    sleep "$left"
}

truth_cleanup() {
    td_cleanup
    if [ -n "$TD_SINK_NS" ] && ip netns list | awk '{print $1}' | grep -qx "$TD_SINK_NS"; then
        ip netns del "$TD_SINK_NS"
    fi
}
trap truth_cleanup EXIT

# truth_install TMPFILE SUBDIR/NAME: copy into testdata/SUBDIR/ and write
# NAME.truth.json with truth.py (which checks the capture against the
# scenario's truth first and fails if they differ).
truth_install() {
    mkdir -p "$(dirname "$TD_OUT/$2")"
    td_install "$1" "$2"
    python3 "$TD_SCRIPTS/truth.py" write "$TD_OUT/$2"
}
