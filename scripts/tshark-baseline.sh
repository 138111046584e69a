#!/usr/bin/env bash
# tshark-baseline.sh - record tshark's own SIP statistics for every capture
# listed in INDEX.tsv, as a reference baseline for sipsleuth's tests.
#
# Usage (from the repo root):
#   scripts/tshark-baseline.sh [CAPTURES_DIR]      # default: ../shared/captures
#
# Environment:
#   OUT=path          output file (default tests/data/tshark_sipstat.tsv)
#   TIMEOUT=seconds   per-file limit for the tshark run (default 300)
#   JOBS=n            files processed in parallel (default: nproc)
#
# For each capture (column `local_file` of INDEX.tsv) it runs, with tshark's
# default preferences,
#   tshark -r FILE -q -z sip,stat
# and counts the frames with `capinfos -c -M FILE` (falling back to
# `tshark -r FILE -T fields -e frame.number | wc -l` when capinfos prints no
# count).  For a truncated file the frame count is the frames read before the
# error; for an unreadable file there is no frames row.
#
# Notes on what tshark's sip,stat counts (tshark 4.0, default preferences):
#  - one count per SIP message handed to the SIP tap: a frame whose SIP
#    dissection throws (Malformed Packet) or bails out early ("CSeq String too
#    big") is shown by `-Y sip` but NOT counted;
#  - SIP quoted inside ICMP errors is dissected (matches `-Y sip`) but NOT
#    counted (error-packet taps are dropped);
#  - UDP retransmissions are counted (also reported as "resent");
#  - TCP retransmitted segments are not handed to SIP, so not counted twice.
#
# Output: one header line, then one row per fact, sorted (byte order) by
# file, kind, key:
#   file<TAB>kind<TAB>key<TAB>count
# kinds:
#   frames    key `total`      frames in the capture
#   request   key = method     exactly as tshark prints it
#   response  key = NNN        status code as printed by tshark (note: tshark
#                              folds non-standard codes into x99, e.g. 199)
#   messages  key `total`      sum of all request and response rows
#   status    key `ok` | `error:<first line of tshark stderr>` | `error:timeout`
#             count = tshark's exit status (124 for a timeout)
# Only derived counts are written; the captures themselves never enter the repo.
set -euo pipefail

CAPDIR=${1:-../shared/captures}
OUT=${OUT:-tests/data/tshark_sipstat.tsv}
TIMEOUT=${TIMEOUT:-300}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
INDEX="$CAPDIR/INDEX.tsv"

for tool in tshark capinfos timeout awk sort; do
    command -v "$tool" >/dev/null || { echo "missing tool: $tool" >&2; exit 1; }
done
[ -r "$INDEX" ] || { echo "cannot read $INDEX" >&2; exit 1; }

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# One capture -> rows on stdout (unsorted).
process_one() {
    local capdir=$1 rel=$2 timeout_s=$3 work=$4
    local f="$capdir/$rel"
    local tag; tag=$(printf '%s' "$rel" | tr '/ ' '__')
    local so="$work/$tag.out" se="$work/$tag.err" rc=0

    # Frames.
    local frames=""
    frames=$(capinfos -c -M "$f" 2>/dev/null | awk -F: '/^Number of packets/{gsub(/[ \t]/,"",$2); print $2}') || true
    if ! [[ $frames =~ ^[0-9]+$ ]]; then
        # only trust the count if tshark itself read the file without error
        frames=$( { timeout "$timeout_s" tshark -r "$f" -T fields -e frame.number 2>/dev/null \
                    && echo EOF_OK; } | awk '/^EOF_OK$/ { ok = 1; next } { n++ } END { if (ok) print n + 0 }') || true
    fi
    [[ $frames =~ ^[0-9]+$ ]] && printf '%s\tframes\ttotal\t%s\n' "$rel" "$frames"

    # SIP statistics.
    timeout "$timeout_s" tshark -r "$f" -q -z sip,stat >"$so" 2>"$se" || rc=$?

    local status
    if [ "$rc" -eq 124 ]; then
        status="error:timeout"
    else
        # first stderr line that is not the "Running as user root" warning
        local first
        first=$(grep -v '^Running as user ' "$se" | grep -v '^[[:space:]]*$' | head -n1 || true)
        if [ "$rc" -eq 0 ] && [ -z "$first" ]; then
            status="ok"
        else
            [ -z "$first" ] && first="tshark exit status $rc"
            # make it a short single-line key: drop "tshark: ", the path, tabs
            first=${first#tshark: }
            first=${first//"$f"/FILE}
            first=$(printf '%s' "$first" | tr '\t\r' '  ' | cut -c1-120)
            status="error:$first"
        fi
    fi
    printf '%s\tstatus\t%s\t%s\n' "$rel" "$status" "$rc"

    # Parse the sip,stat block (absent on timeout).  Format (tap-sipstat.c):
    #   "  SIP %3d %-15s : %5d Packets"   under "* SIP Status Codes in reply packets"
    #   "  %-15s : %5d Packets"           under "* List of SIP Request methods"
    if grep -q '^SIP Statistics' "$so"; then
        awk -v file="$rel" '
            BEGIN { OFS = "\t"; sec = ""; total = 0 }
            /^\* SIP Status Codes in reply packets/ { sec = "resp"; next }
            /^\* List of SIP Request methods/       { sec = "req";  next }
            /^\*/ || /^=+$/                          { sec = ""; next }
            sec == "" || !/ Packets$/ { next }
            {
                line = $0
                if (!match(line, / +: +[0-9]+ Packets$/)) next
                tail = substr(line, RSTART); key = substr(line, 1, RSTART - 1)
                n = tail; gsub(/[^0-9]/, "", n)
                sub(/^  /, "", key)
                if (sec == "resp") {
                    if (!match(key, /^SIP +[0-9]+/)) next
                    code = substr(key, RSTART, RLENGTH); gsub(/[^0-9]/, "", code)
                    resp[code] += n
                } else {
                    gsub(/\t/, "\\t", key)
                    req[key] += n
                }
                total += n
            }
            END {
                for (k in resp) print file, "response", k, resp[k]
                for (k in req)  print file, "request",  k, req[k]
                print file, "messages", "total", total
            }' "$so"
    fi
    rm -f "$so" "$se"
}
export -f process_one

# List of captures from INDEX.tsv (column named local_file).
awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "local_file") c = i; next }
            c && $c != "" { print $c }' "$INDEX" > "$WORK/list"
n=$(wc -l < "$WORK/list")
echo "processing $n captures from $INDEX (jobs=$JOBS, timeout=${TIMEOUT}s)" >&2

mkdir -p "$WORK/rows"
# NUL-separated (index, path) pairs -> parallel workers; each writes its own file.
awk '{ print NR; print }' "$WORK/list" | tr '\n' '\0' |
    xargs -0 -n2 -P "$JOBS" bash -c '
        process_one "$1" "$5" "$2" "$3" > "$3/rows/$4.tsv"
        echo "  done: $5" >&2' _ "$CAPDIR" "$TIMEOUT" "$WORK"

mkdir -p "$(dirname "$OUT")"
{
    printf 'file\tkind\tkey\tcount\n'
    cat "$WORK"/rows/*.tsv | LC_ALL=C sort -t $'\t' -k1,1 -k2,2 -k3,3
} > "$OUT.tmp"
mv "$OUT.tmp" "$OUT"

files=$(cut -f1 "$OUT" | tail -n +2 | sort -u | wc -l)
bad=$(awk -F'\t' '$2 == "status" && $3 != "ok"' "$OUT" | wc -l)
echo "wrote $OUT: $files files, $bad with status != ok" >&2
