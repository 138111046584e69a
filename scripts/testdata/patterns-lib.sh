# shellcheck shell=bash
# Helpers for the failure-pattern captures (testdata/patterns/), on top of
# lib.sh.  Sourced by make-patterns.sh; not meant to be run directly.
#
# Address plan inside the namespace (every address is a /32 on its lo, so all
# traffic between them is on lo):
#   192.0.2.10:5060    kamailio (kamailio/patterns.cfg), registrar + proxy
#   192.0.2.20:5060    SIPp UAS (callee / primary UAS)
#   192.0.2.21:5060    SIPp UAS (backup callee, alternate-routing only)
#   192.0.2.30         monitoring host (OPTIONS pings)
#   192.0.2.101-112    SIPp clients
#   198.51.100.20      "silent" destination: far end of a veth link whose peer
#                      namespace has no address (alternate-routing only)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
td_need ip tcpdump kamailio sipp tshark mergecap capinfos python3

PAT_CFG="$TD_KAM/patterns.cfg"
PAT_KAM=192.0.2.10:5060
TD_SINK_NS=""

# pat_ns NAME: the namespace with lo up and the addresses above.
pat_ns() {
    td_ns_create "$1"
    local a
    for a in 192.0.2.10 192.0.2.20 192.0.2.21 192.0.2.30 \
             $(seq -f '192.0.2.%g' 101 112); do
        ip -n "$TD_NS" addr add "$a/32" dev lo
    done
}

# pat_silent_link: veth sil0 (198.51.100.1/24, 02:00:00:00:51:01) whose peer
# sil1 (02:00:00:00:51:02) sits without any address in a second namespace;
# 198.51.100.20 is pinned to sil1's MAC, so packets to it leave on sil0 and
# are dropped by the peer namespace: no answer, no ICMP, no ARP.
pat_silent_link() {
    TD_SINK_NS="${TD_NS}-sink"
    if ip netns list | awk '{print $1}' | grep -qx "$TD_SINK_NS"; then
        ip netns del "$TD_SINK_NS"
    fi
    ip netns add "$TD_SINK_NS"
    ip -n "$TD_NS" link add sil0 type veth peer name sil1 netns "$TD_SINK_NS"
    ip netns exec "$TD_NS" sysctl -q -w net.ipv6.conf.sil0.disable_ipv6=1
    ip netns exec "$TD_SINK_NS" sysctl -q -w net.ipv6.conf.sil1.disable_ipv6=1
    ip -n "$TD_NS" link set sil0 address 02:00:00:00:51:01
    ip -n "$TD_SINK_NS" link set sil1 address 02:00:00:00:51:02
    ip -n "$TD_NS" addr add 198.51.100.1/24 dev sil0
    ip -n "$TD_NS" link set sil0 up
    ip -n "$TD_SINK_NS" link set sil1 up
    ip -n "$TD_NS" neigh replace 198.51.100.20 lladdr 02:00:00:00:51:02 dev sil0 nud permanent
}

# pat_sipp NAME SECONDS ARGS...: SIPp in the foreground, with its own global
# timeout (lib.sh's td_sipp has 20 s); fails the script if the scenario fails.
pat_sipp() {
    local name="$1" secs="$2"; shift 2
    (cd "$TD_TMP" && ip netns exec "$TD_NS" sipp -nostdin -nd -timeout "${secs}s" -timeout_error "$@" \
        >"$TD_TMP/sipp-$name.log" 2>&1) || {
        td_log "sipp $name failed"; tail -n 40 "$TD_TMP/sipp-$name.log" >&2; return 1; }
}

# pat_sipp_bg NAME SECONDS ARGS...: the same in the background (PID in TD_LASTPID).
pat_sipp_bg() {
    local name="$1" secs="$2"; shift 2
    (cd "$TD_TMP" && exec ip netns exec "$TD_NS" sipp -nostdin -nd -timeout "${secs}s" -timeout_error "$@") \
        >"$TD_TMP/sipp-$name.log" 2>&1 &
    TD_LASTPID=$!
    TD_PIDS+=("$TD_LASTPID")
}

# pat_wait PID NAME [SECONDS]: wait for a background SIPp; fail if it failed.
pat_wait() {
    td_wait "$1" "${3:-60}" || { td_log "sipp $2 failed"; tail -n 40 "$TD_TMP/sipp-$2.log" >&2; return 1; }
}

# pat_sleep_until T0 SECONDS: sleep until SECONDS after T0 (date +%s.%N).
pat_sleep_until() {
    local left
    left=$(awk -v t0="$1" -v s="$2" -v now="$(date +%s.%N)" 'BEGIN { d = t0 + s - now; print (d > 0 ? d : 0) }')
    sleep "$left"
}

# pat_inf FILE LINES...: a SIPp injection file (SEQUENTIAL).
pat_inf() {
    local f="$1"; shift
    { echo SEQUENTIAL; printf '%s\n' "$@"; } >"$f"
}

pat_cleanup() {
    td_cleanup
    if [ -n "$TD_SINK_NS" ] && ip netns list | awk '{print $1}' | grep -qx "$TD_SINK_NS"; then
        ip netns del "$TD_SINK_NS"
    fi
}
trap pat_cleanup EXIT

# pat_install TMPFILE NAME: copy to testdata/patterns/NAME and write
# NAME.truth.json with patterns.py (which first checks the capture against
# the scenario and fails if they differ).  PAT_NO_TRUTH=1 skips the truth.
pat_install() {
    mkdir -p "$TD_OUT/patterns"
    td_install "$1" "patterns/$2"
    [ -z "${PAT_NO_TRUTH:-}" ] || return 0
    python3 "$TD_SCRIPTS/patterns.py" write "$TD_OUT/patterns/$2"
}
