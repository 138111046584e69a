#!/usr/bin/env bash
# Runs the cargo-fuzz targets in fuzz/ one after the other, each for a given time,
# on one core, and prints the executions per target.
#
#   scripts/fuzz.sh                 # every target, 600 s each
#   scripts/fuzz.sh 60              # every target, 60 s each
#   scripts/fuzz.sh 600 sip tcp     # some targets
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`) and a nightly compiler for the
# sanitizer; on a stable toolchain it sets RUSTC_BOOTSTRAP=1. Seed corpora are
# built from testdata/ into fuzz/corpus/TARGET (not in git); crashes land in
# fuzz/artifacts/TARGET: copy each to tests/data/fuzz-regressions/ with a test in
# tests/fuzz_regressions.rs once fixed. Targets build with debug assertions and
# overflow checks (-a), so an arithmetic overflow on input is a crash too.
set -euo pipefail
cd "$(dirname "$0")/.."

SECS="${1:-600}"
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(capture decode ipfrag tcp sip pipeline)

export RUSTC_BOOTSTRAP=1
# One core: the pipeline's parallel decode would otherwise start a thread per core.
export RAYON_NUM_THREADS=1
TGT="${FUZZ_TARGET_DIR:-$PWD/fuzz/target}"

max_len() {
  case "$1" in
    capture|pipeline) echo 65536 ;;
    decode) echo 8192 ;;
    *) echo 16385 ;;
  esac
}

echo "== seed corpora from testdata/"
cargo build --quiet --release --manifest-path fuzz/Cargo.toml --target-dir "$TGT/fuzz-seeds" --bin seeds
"$TGT/fuzz-seeds/release/seeds" testdata fuzz/corpus

echo "== building the fuzz targets (address sanitizer, debug assertions)"
cargo fuzz build -a --fuzz-dir fuzz --target-dir "$TGT/fuzz-asan"

declare -a SUMMARY
status=0
for t in "${TARGETS[@]}"; do
  echo "== $t: ${SECS}s"
  log="fuzz/artifacts/$t.log"
  mkdir -p "fuzz/artifacts/$t"
  start=$(date +%s)
  set +e
  cargo fuzz run -a --fuzz-dir fuzz --target-dir "$TGT/fuzz-asan" "$t" "fuzz/corpus/$t" -- \
    -max_total_time="$SECS" -max_len="$(max_len "$t")" -timeout=20 -rss_limit_mb=2048 \
    -print_final_stats=1 >"$log" 2>&1
  rc=$?
  set -e
  wall=$(( $(date +%s) - start ))
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  secs=$(grep -o 'Done [0-9]* runs in [0-9]* second' "$log" | grep -o 'in [0-9]*' | grep -o '[0-9]*' | tail -1)
  secs="${secs:-$wall}"
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
  corpus=$(find "fuzz/corpus/$t" -type f | wc -l)
  if [ $rc -eq 0 ]; then
    result="clean"
  else
    result="FAILED (exit $rc): $(grep -m1 -o 'Test unit written to .*' "$log" || echo "see $log")"
    status=1
  fi
  line=$(printf '%-9s %12s execs %6ss  cov %6s  corpus %6s  %s' "$t" "${execs:-?}" "${secs:-?}" "${cov:-?}" "$corpus" "$result")
  echo "$line"
  SUMMARY+=("$line")
done

echo "== summary (${SECS}s per target; logs in fuzz/artifacts/TARGET.log)"
printf '%s\n' "${SUMMARY[@]}"
exit $status
