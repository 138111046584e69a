# shellcheck shell=bash
# Shared helpers for the capture scripts in scripts/testdata/.
# Sourced by the make-*.sh scripts; not meant to be run directly.
#
# Every capture is made inside a private network namespace whose only
# interface is its own loopback, so nothing is sent outside this machine,
# nothing conflicts with ports used by other programs, and the capture
# holds only the traffic of the scenario.

set -euo pipefail

TD_SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TD_REPO="$(cd "$TD_SCRIPTS/../.." && pwd)"
TD_OUT="${TD_OUT:-$TD_REPO/testdata}"
TD_SIPP="$TD_SCRIPTS/sipp"
TD_KAM="$TD_SCRIPTS/kamailio"

TD_PIDS=()   # processes started by this script, stopped by td_cleanup
TD_NS=""     # network namespace made by this script
TD_TMP="$(mktemp -d /tmp/sipsleuth-td.XXXXXX)"

td_log() { echo "[$(basename "$0")] $*" >&2; }

td_need() {
    local c
    for c in "$@"; do
        command -v "$c" >/dev/null 2>&1 || { td_log "missing tool: $c"; exit 1; }
    done
}

# td_ns_create NAME [LO_MTU]: make a namespace with only lo up.
td_ns_create() {
    TD_NS="$1"
    if ip netns list | awk '{print $1}' | grep -qx "$TD_NS"; then
        ip netns del "$TD_NS"
    fi
    ip netns add "$TD_NS"
    ip -n "$TD_NS" link set lo up
    if [ -n "${2:-}" ]; then
        ip -n "$TD_NS" link set lo mtu "$2"
    fi
}

# td_in_ns CMD...: run a command inside the namespace.
td_in_ns() { ip netns exec "$TD_NS" "$@"; }

# td_bg LOGNAME CMD...: start CMD in the namespace in the background;
# its PID is left in TD_LASTPID and remembered for cleanup.
td_bg() {
    local log="$TD_TMP/$1.log"; shift
    ip netns exec "$TD_NS" "$@" >"$log" 2>&1 &
    TD_LASTPID=$!
    TD_PIDS+=("$TD_LASTPID")
}

# td_stop PID: SIGTERM one process we started and wait for it.
td_stop() {
    local pid="$1" i
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for i in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    wait "$pid" 2>/dev/null || true
}

# td_wait PID [SECONDS]: wait for a process we started to exit by itself.
td_wait() {
    local pid="$1" secs="${2:-30}" i rc=0
    for i in $(seq 1 $((secs * 10))); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        td_log "process $pid still running after ${secs}s, stopping it"
        td_stop "$pid"
        return 1
    fi
    wait "$pid" || rc=$?
    return $rc
}

# td_tcpdump_start FILE [tcpdump args...]: capture on the namespace's lo
# (default) with full snaplen, packet-buffered.
td_tcpdump_start() {
    local file="$1"; shift
    local args=("$@")
    [ ${#args[@]} -gt 0 ] || args=(-i lo)
    td_bg tcpdump tcpdump -Z root -s 0 -U -n "${args[@]}" -w "$file"
    TD_TCPDUMP_PID=$TD_LASTPID
    sleep 1
}

td_tcpdump_stop() {
    sleep 1
    td_stop "$TD_TCPDUMP_PID"
}

# td_kamailio_start CFG [kamailio args...]
td_kamailio_start() {
    local cfg="$1"; shift
    mkdir -p "$TD_TMP/kamrun"
    td_bg kamailio kamailio -f "$cfg" -DD -E -m 32 -M 4 -Y "$TD_TMP/kamrun" "$@"
    TD_KAM_PID=$TD_LASTPID
    sleep 1.5
    if ! kill -0 "$TD_KAM_PID" 2>/dev/null; then
        td_log "kamailio failed to start:"; cat "$TD_TMP/kamailio.log" >&2; exit 1
    fi
}

# td_sipp LOGNAME ARGS...: run SIPp in the foreground in the namespace,
# bounded in time; fails the script if the scenario fails.
td_sipp() {
    local name="$1"; shift
    (cd "$TD_TMP" && ip netns exec "$TD_NS" sipp -nostdin -timeout 20s -timeout_error "$@" \
        >"$TD_TMP/sipp-$name.log" 2>&1) || {
        td_log "sipp $name failed"; tail -n 40 "$TD_TMP/sipp-$name.log" >&2; return 1; }
}

# td_sipp_bg LOGNAME ARGS...: same, in the background (for UAS roles).
td_sipp_bg() {
    local name="$1"; shift
    (cd "$TD_TMP" && exec ip netns exec "$TD_NS" sipp -nostdin -timeout 20s -timeout_error "$@") \
        >"$TD_TMP/sipp-$name.log" 2>&1 &
    TD_LASTPID=$!
    TD_PIDS+=("$TD_LASTPID")
}

td_cleanup() {
    local pid
    for pid in "${TD_PIDS[@]}"; do
        td_stop "$pid"
    done
    if [ -n "$TD_NS" ] && ip netns list | awk '{print $1}' | grep -qx "$TD_NS"; then
        ip netns del "$TD_NS"
    fi
    if [ -z "${TD_KEEP_TMP:-}" ]; then rm -rf "$TD_TMP"; else td_log "kept $TD_TMP"; fi
}
trap td_cleanup EXIT

# td_install TMPFILE NAME: copy a finished capture into testdata/.
td_install() {
    mkdir -p "$TD_OUT"
    cp "$1" "$TD_OUT/$2"
    chmod 644 "$TD_OUT/$2"
    td_log "wrote testdata/$2 ($(stat -c %s "$TD_OUT/$2") bytes)"
}
