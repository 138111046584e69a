#!/usr/bin/env bash
# Re-make every failure-pattern capture of testdata/patterns/ with its
# .truth.json (as root: the scripts create network namespaces), then print the
# summary.  About 2.5 min: the three long captures (flood-blackhole ~47 s,
# registration-lapse ~35 s, account-lockout ~25 s) run in the background, each
# in its own namespace, while the others are made one after the other.
#
#   sudo bash scripts/testdata/make-patterns-all.sh
#
# Needs: sipp, kamailio (+ htable, dialog modules), tcpdump, tshark + mergecap +
# capinfos, python3, iproute2.
set -euo pipefail
D="$(cd "$(dirname "$0")" && pwd)"

bg=()
for p in flood-blackhole registration-lapse account-lockout; do
    bash "$D/make-patterns.sh" "$p" & bg+=("$!:$p")
    sleep 0.5
done

rc=0
for p in pool-lockout rate-limited capacity-503 alternate-routing cac-488 realm-mismatch clean; do
    bash "$D/make-patterns.sh" "$p" || { echo "make-patterns-all: $p failed" >&2; rc=1; }
done
for x in "${bg[@]}"; do
    wait "${x%%:*}" || { echo "make-patterns-all: ${x#*:} failed" >&2; rc=1; }
done
[ $rc -eq 0 ] || { echo "make-patterns-all: a capture failed" >&2; exit 1; }
bash "$D/summarize-patterns.sh"
