#!/usr/bin/env bash
# compare.sh - sipsleuth versus tshark on the same captures: speed, memory, counts.
#
# Usage (from anywhere):
#   bench/compare.sh FILE...
#
# For each FILE it runs, one after the other (never in parallel: a 2-core box),
#   sipsleuth      target/release/sipsleuth analyze FILE --json
#   tshark         tshark -r FILE -q -z sip,stat
#   tshark-nosdp   tshark -r FILE -q -z sip,stat --disable-protocol sdp
#                  (tshark's SDP -> RTP conversation tracking is what blows up on
#                   SIPp-like captures; this is tshark doing the SIP part only)
# each under GNU time (/usr/bin/time -f '%e %M'), and prints
#   - tool, wall s, MB/s, packets/s, peak RSS MB, and the speed ratio sipsleuth/tshark
#   - sipsleuth's media state: streams, bytes held per stream (SIPSLEUTH_STAGE_TIMES)
#   - the SIP request/response counts side by side (plus FILE.expected.json from
#     tools/gencap when present), and whether they agree.
# Packets come from FILE.expected.json ("packets") or else `capinfos -c -M`.
#
# Environment:
#   RUNS=n         repeat each tool n times, report the best wall time (default 1)
#   TOOLS="..."    subset of: sipsleuth tshark tshark-nosdp (default all three)
#   SIPSLEUTH=path (default target/release/sipsleuth; skipped with a note if missing)
#   TSHARK=path    (default tshark)
#   TIMEOUT=s      per-run limit, 0 = none (default 0); a timed-out run is reported
#   WARM=0         do not pre-read FILE into the page cache before the runs
#   KEEP=dir       keep each tool's raw output in dir
set -uo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-1}
TOOLS=${TOOLS:-sipsleuth tshark tshark-nosdp}
SIPSLEUTH=${SIPSLEUTH:-target/release/sipsleuth}
TSHARK=${TSHARK:-tshark}
TIMEOUT=${TIMEOUT:-0}
WARM=${WARM:-1}

[ $# -ge 1 ] || { sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }

if [ ! -x /usr/bin/time ] || ! /usr/bin/time -f '%e' true >/dev/null 2>&1; then
    echo "GNU time is needed as /usr/bin/time (apt-get install time)" >&2
    exit 1
fi
for t in jq awk; do
    command -v $t >/dev/null || { echo "missing tool: $t (apt-get install $t)" >&2; exit 1; }
done

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

have_tool() {
    case $1 in
        sipsleuth)
            if [ ! -x "$SIPSLEUTH" ]; then
                echo "  (skipping sipsleuth: $SIPSLEUTH not built yet; cargo build --release)"
                return 1
            fi ;;
        tshark|tshark-nosdp)
            command -v "$TSHARK" >/dev/null || { echo "  (skipping $1: $TSHARK not found)"; return 1; } ;;
        *) echo "unknown tool in TOOLS: $1" >&2; return 1 ;;
    esac
}

# run_tool TOOL FILE OUT -> prints "wall rss_kb status" of the best of RUNS runs;
# the tool's stdout of the last run is left in OUT.
run_tool() {
    local tool=$1 f=$2 out=$3 best_w="" best_m="" status=ok i
    local -a cmd
    case $tool in
        # Stage times on stderr: the media state line (bytes per stream) comes from them.
        sipsleuth)    cmd=(env SIPSLEUTH_STAGE_TIMES=1 "$SIPSLEUTH" analyze "$f" --json) ;;
        tshark)       cmd=("$TSHARK" -r "$f" -q -z sip,stat) ;;
        tshark-nosdp) cmd=("$TSHARK" -r "$f" -q -z sip,stat --disable-protocol sdp) ;;
    esac
    if [ "$TIMEOUT" != 0 ]; then cmd=(timeout "$TIMEOUT" "${cmd[@]}"); fi
    for ((i = 1; i <= RUNS; i++)); do
        local tf=$WORK/time.$tool rc=0
        /usr/bin/time -f '%e %M' -o "$tf" "${cmd[@]}" >"$out" 2>"$WORK/err.$tool" || rc=$?
        # GNU time prepends "Command exited with non-zero status N" on failure
        local w m
        read -r w m < <(tail -n1 "$tf")
        if [ "$rc" -eq 124 ]; then status="timeout(${TIMEOUT}s)"; elif [ "$rc" -ne 0 ]; then
            status="exit $rc: $(grep -v -e '^Running as user' -e '^stage ' -e '^model thread' -e '^media state' "$WORK/err.$tool" | head -n1 | cut -c1-80)"
        fi
        if [ -z "$best_w" ] || awk -v a="$w" -v b="$best_w" 'BEGIN{exit !(a < b)}'; then
            best_w=$w; best_m=$m
        fi
        [ "$status" = ok ] || break
    done
    printf '%s %s %s\n' "$best_w" "$best_m" "$status"
}

# Counts as "kind key n" lines (kind: messages|request|response).
counts_tshark() {   # format of tap-sipstat.c; messages = sum of the rows
    awk '
        /^\* SIP Status Codes in reply packets/ { sec = "resp"; next }
        /^\* List of SIP Request methods/       { sec = "req";  next }
        /^\*/ || /^=+$/                          { sec = ""; next }
        sec == "" || !/ Packets$/ { next }
        {
            line = $0
            if (!match(line, / +: +[0-9]+ Packets$/)) next
            tail = substr(line, RSTART); key = substr(line, 1, RSTART - 1)
            n = tail; gsub(/[^0-9]/, "", n); sub(/^ +/, "", key)
            if (sec == "resp") {
                if (!match(key, /^SIP +[0-9]+/)) next
                code = substr(key, RSTART, RLENGTH); gsub(/[^0-9]/, "", code)
                resp[code] += n
            } else { gsub(/[ \t]+/, "_", key); req[key] += n }
            total += n
        }
        END {
            for (k in req)  print "request", k, req[k]
            for (k in resp) print "response", k, resp[k]
            print "messages", "total", total + 0
        }' "$1"
}
counts_sipsleuth() {
    jq -r '"messages total \(.sip.messages)",
           (.sip.requests  // {} | to_entries[] | "request \(.key) \(.value)"),
           (.sip.responses // {} | to_entries[] | "response \(.key) \(.value)")' "$1"
}
counts_expected() {
    jq -r '"messages total \(.sip_messages)",
           (.requests  // {} | to_entries[] | "request \(.key) \(.value)"),
           (.responses // {} | to_entries[] | "response \(.key) \(.value)")' "$1"
}

mb() { awk -v b="$1" 'BEGIN{printf "%.1f", b / 1e6}'; }

overall=0
for f in "$@"; do
    if [ ! -r "$f" ]; then echo "cannot read $f" >&2; overall=1; continue; fi
    bytes=$(stat -c %s "$f")
    exp="$f.expected.json"
    packets=""
    [ -r "$exp" ] && packets=$(jq -r '.packets // empty' "$exp")
    if ! [[ $packets =~ ^[0-9]+$ ]]; then
        packets=$(capinfos -c -M "$f" 2>/dev/null | awk -F: '/^Number of packets/{gsub(/[ \t]/,"",$2); print $2}')
    fi
    [[ $packets =~ ^[0-9]+$ ]] || packets=0

    echo "== $f: $(mb "$bytes") MB, $packets packets, RUNS=$RUNS"
    [ "$WARM" = 1 ] && cat "$f" > /dev/null

    declare -A WALL=() RSS=() STATUS=()
    ran=()
    for tool in $TOOLS; do
        have_tool "$tool" || continue
        out=$WORK/out.$tool
        read -r w m s < <(run_tool "$tool" "$f" "$out")
        WALL[$tool]=$w; RSS[$tool]=$m; STATUS[$tool]=$s
        ran+=("$tool")
        if [ -n "${KEEP:-}" ]; then mkdir -p "$KEEP"; cp "$out" "$KEEP/$(basename "$f").$tool.out"; fi
        if [ "$s" = ok ] || [[ $s == timeout* ]]; then :; fi
        case $tool in
            sipsleuth) [ "$s" = ok ] && counts_sipsleuth "$out" > "$WORK/c.$tool" 2>/dev/null || : > "$WORK/c.$tool" ;;
            *)         counts_tshark "$out" > "$WORK/c.$tool" ;;
        esac
    done

    printf '  %-13s %9s %9s %12s %12s  %s\n' tool "wall s" "MB/s" "packets/s" "peak RSS MB" status
    for tool in "${ran[@]}"; do
        w=${WALL[$tool]}
        awk -v t="$tool" -v w="$w" -v b="$bytes" -v p="$packets" -v m="${RSS[$tool]}" -v s="${STATUS[$tool]}" 'BEGIN{
            if (w <= 0) w = 0.005
            printf "  %-13s %9.2f %9.1f %12.0f %12.1f  %s\n", t, w, b / 1e6 / w, p / w, m / 1024, s }'
    done
    if [ -n "${WALL[sipsleuth]:-}" ]; then
        # Per-stream media state (issue #12: keep it small), from SIPSLEUTH_STAGE_TIMES.
        grep -h '^media state' "$WORK/err.sipsleuth" 2>/dev/null | sed 's/^/  sipsleuth /'
        for t in tshark tshark-nosdp; do
            [ -n "${WALL[$t]:-}" ] || continue
            awk -v a="${WALL[sipsleuth]}" -v b="${WALL[$t]}" -v t="$t" 'BEGIN{
                if (a <= 0) a = 0.005
                printf "  speed ratio sipsleuth/%s: %.1fx\n", t, b / a }'
        done
    fi

    # counts side by side
    cols=()
    [ -r "$exp" ] && { counts_expected "$exp" > "$WORK/c.expected"; cols+=(expected); }
    for tool in "${ran[@]}"; do cols+=("$tool"); done
    keys=$(for c in "${cols[@]}"; do awk '{print $1, $2}' "$WORK/c.$c"; done |
        sort -u | awk '{o = ($1 == "messages") ? 0 : ($1 == "request") ? 1 : 2; print o, $0}' |
        sort -k1,1n -k3,3 | cut -d' ' -f2-)
    echo
    printf '  %-22s' "count"
    for c in "${cols[@]}"; do printf ' %13s' "$c"; done
    printf '\n'
    while read -r kind key; do
        [ -n "$kind" ] || continue
        label="$key"; [ "$kind" = messages ] && label="SIP messages"
        [ "$kind" = response ] && label="response $key"
        printf '  %-22s' "$label"
        vals=()
        for c in "${cols[@]}"; do
            v=$(awk -v k="$kind" -v y="$key" '$1 == k && $2 == y {print $3; exit}' "$WORK/c.$c")
            vals+=("${v:-0}")
            printf ' %13s' "${v:--}"
        done
        # mark rows where the columns disagree
        if [ "$(printf '%s\n' "${vals[@]}" | sort -u | wc -l)" -gt 1 ]; then printf '   <- differs'; fi
        printf '\n'
    done <<< "$keys"

    verdict() {   # verdict A B
        [ -s "$WORK/c.$1" ] && [ -s "$WORK/c.$2" ] || { echo "n/a"; return; }
        if diff <(sort "$WORK/c.$1") <(sort "$WORK/c.$2") >/dev/null; then echo "agree"; else echo "DIFFER"; fi
    }
    echo
    if [ -n "${WALL[sipsleuth]:-}" ]; then
        for t in tshark tshark-nosdp expected; do
            [ -e "$WORK/c.$t" ] || continue
            v=$(verdict sipsleuth "$t"); echo "  counts sipsleuth vs $t: $v"
            [ "$v" = DIFFER ] && overall=1
        done
    fi
    for t in tshark tshark-nosdp; do
        if [ -e "$WORK/c.$t" ] && [ -e "$WORK/c.expected" ]; then
            echo "  counts $t vs expected.json: $(verdict "$t" expected)"
        fi
    done
    echo
    rm -f "$WORK"/c.* "$WORK"/out.*
    unset WALL RSS STATUS
done
exit $overall
