#!/usr/bin/env bash
# Run every fuzz target for SECS seconds (default 30), one after another,
# then merge what they found into the committed, minimized corpus.
#
#   MERGE=0 bash fuzz/run.sh    # CI smoke run: 30 s per target, corpus untouched
#   bash fuzz/run.sh 600        # the 10-minute-per-target campaign
#   TARGETS="pop_verify" bash fuzz/run.sh 60
#
# Needs cargo-fuzz (`cargo install cargo-fuzz --locked`) and nightly, or
# stable with RUSTC_BOOTSTRAP=1 (set here). Crashes land in
# fuzz/artifacts/<target>/ and fail the run; copy a minimized crash
# (`cargo fuzz tmin`) into fuzz/regressions/<target>/ so the stable replay
# test (`cargo test -p warrants --test fuzz_corpus`) keeps it fixed.
set -euo pipefail
cd "$(dirname "$0")"
export RUSTC_BOOTSTRAP=1
SECS="${1:-30}"
TARGETS="${TARGETS:-chain_decode authorize_bytes pop_verify constraint_set value_decode path_url_eval}"
MERGE="${MERGE:-1}"
cargo fuzz build -O
for t in $TARGETS; do
  case "$t" in
    chain_decode|authorize_bytes) max_len=16384 ;;
    *) max_len=4096 ;;
  esac
  mkdir -p "corpus-work/$t" "corpus/$t"
  echo "==> $t: ${SECS}s"
  rc=0
  cargo fuzz run -O "$t" "corpus-work/$t" "corpus/$t" -- \
    -max_total_time="$SECS" -max_len="$max_len" -timeout=10 \
    -rss_limit_mb=2048 -malloc_limit_mb=512 -print_final_stats=1 \
    >"corpus-work/$t.log" 2>&1 || rc=$?
  grep -E "stat::|DONE|INITED|ERROR|panicked" "corpus-work/$t.log" || true
  if [ "$rc" -ne 0 ]; then
    echo "fuzz target $t failed; see fuzz/corpus-work/$t.log and fuzz/artifacts/$t/" >&2
    exit 1
  fi
  if [ "$MERGE" = 1 ]; then
    rm -rf "corpus-min/$t" && mkdir -p "corpus-min/$t"
    cargo fuzz run -O "$t" "corpus-min/$t" "corpus/$t" "corpus-work/$t" -- \
      -merge=1 -max_len="$max_len" >/dev/null 2>&1
    rm -rf "corpus/$t" && mv "corpus-min/$t" "corpus/$t"
  fi
done
rm -rf corpus-min
