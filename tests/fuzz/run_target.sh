#!/usr/bin/env bash
# Runs one fuzz target briefly, as ctest does: RUNS inputs, starting from the seed corpus
# (which holds every crash found so far, so each is replayed first). New inputs go to a
# scratch directory in the build tree, never into the repository.
#   run_target.sh TARGET CORPUS WORKDIR RUNS
# The seed is printed first; EVLOG_FUZZ_SEED=N replays a run exactly.
set -euo pipefail
target=$1 corpus=$2 work=$3 runs=$4
seed=${EVLOG_FUZZ_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
echo "seed=$seed"
rm -rf "$work"
mkdir -p "$work/new" "$work/crashes"
export UBSAN_OPTIONS=print_stacktrace=1
"$target" -seed="$seed" -runs="$runs" -timeout=60 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$work/crashes/" "$work/new" "$corpus"
