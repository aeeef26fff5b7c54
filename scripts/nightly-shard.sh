#!/usr/bin/env bash
# One shard of the nightly search: scripts/nightly-shard.sh I N [OUT_DIR]
#
# The CI system runs N copies of this (a job matrix, I = 1..N), each on its own machine; a final
# job downloads every shard's OUT_DIR and runs scripts/nightly-merge.sh over them (docs/ci.md).
# Shard I does a deterministic, disjoint part of each search: the runs i with i mod N = I-1 of
# every profile (run), the sub-alphabets i mod N = I-1 (explore --swarm), the faults i mod N = I-1
# (mutants). Every shard uses the same SEED, so the N shards together do the unsharded search.
#
# Budgets and scope, from the environment (defaults are the nightly's):
#   SEED            the search seed (default: the UTC date as YYYYMMDD, printed)
#   RUN_SECONDS     run --time per shard (default 1200); RUN_RUNS instead: run --runs (per profile,
#                   over all shards together), for a verdict that does not depend on speed
#   SWARM_SECONDS   explore --swarm --time per profile and shard (default 1800)
#   SWARM_PROFILES  profiles of the swarm explorer (default "tiny tiny-meta tiny-hot")
#   MUTANTS_SECONDS mutants --time per fault (default 5); MUTANTS_RUNS instead: mutants --runs
#   MUTANTS_FAULTS  mutants --faults (default: all)
# Exit status: 0 when every part of the shard passed, 1 otherwise (every part still runs), 2 usage.
set -u
if [ $# -lt 2 ] || ! [[ "$1" =~ ^[0-9]+$ && "$2" =~ ^[0-9]+$ ]] || [ "$1" -lt 1 ] || [ "$1" -gt "$2" ]; then
  echo "usage: scripts/nightly-shard.sh I N [OUT_DIR]   (shard I of N, 1 <= I <= N)" >&2
  exit 2
fi
I=$1
N=$2
OUT=${3:-nightly-shard-$I}
cd "$(dirname "$0")/.." || exit 2
mkdir -p "$OUT" || exit 2
SEED=${SEED:-$(date -u +%Y%m%d)}
echo "nightly shard $I/$N, seed $SEED, reports in $OUT"
status=0
bin=(node bin/alloc-check.js)

run_budget=(--time "${RUN_SECONDS:-1200}")
[ -n "${RUN_RUNS:-}" ] && run_budget=(--runs "$RUN_RUNS")
"${bin[@]}" run --profile all "${run_budget[@]}" --seed "$SEED" --shard "$I/$N" \
  --out "$OUT/counterexamples" --junit "$OUT/run-$I.xml" --json > "$OUT/run-$I.json" || status=1

for profile in ${SWARM_PROFILES:-tiny tiny-meta tiny-hot}; do
  "${bin[@]}" explore --profile "$profile" --depth 8 --swarm --time "${SWARM_SECONDS:-1800}" --shard "$I/$N" \
    --out "$OUT/counterexamples" --json > "$OUT/swarm-$profile-$I.json" || status=1
done

mutants_faults=()
[ -n "${MUTANTS_FAULTS:-}" ] && mutants_faults=(--faults "$MUTANTS_FAULTS")
mutants_budget=(--time "${MUTANTS_SECONDS:-5}")
[ -n "${MUTANTS_RUNS:-}" ] && mutants_budget=(--runs "$MUTANTS_RUNS")
"${bin[@]}" mutants "${mutants_budget[@]}" --seed "$SEED" --shard "$I/$N" "${mutants_faults[@]}" \
  --out "$OUT/mutants-repros" --json > "$OUT/mutants-$I.json" || status=1

echo "nightly shard $I/$N: $([ $status -eq 0 ] && echo passed || echo FAILED)"
exit $status
