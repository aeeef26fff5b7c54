#!/usr/bin/env bash
# The full mutation run of the nightly workflow (docs/mutation.md): scripts/mutation-nightly.sh [OUT_DIR] [I N]
#
# StrykerJS over every mutated file of impl/ (npm run mutation), killing test the suite's own
# search (run --profile all --runs 10 --seed 1), the unit tests of impl/ a second column; with I N,
# only shard I of N (the mutated files, sorted, i mod N = I-1). Writes OUT_DIR/mutation-summary.json
# (the --json document) and the report (report*.md, report*.json, Stryker's stryker-<file>.json).
# Duration: docs/mutation.md (71 min on 2 cores for the whole of impl/, session 5).
# Exit status: 0, 1 when a survivor is new against the committed docs/mutation.json, 2 usage.
set -u
OUT=${1:-mutation-report}
shard=()
if [ $# -ge 3 ]; then
  if ! [[ "$2" =~ ^[0-9]+$ && "$3" =~ ^[0-9]+$ ]] || [ "$2" -lt 1 ] || [ "$2" -gt "$3" ]; then
    echo "usage: scripts/mutation-nightly.sh [OUT_DIR] [I N]   (shard I of N, 1 <= I <= N)" >&2
    exit 2
  fi
  shard=(--shard "$2/$3")
elif [ $# -eq 2 ]; then
  echo "usage: scripts/mutation-nightly.sh [OUT_DIR] [I N]   (shard I of N, 1 <= I <= N)" >&2
  exit 2
fi
cd "$(dirname "$0")/.." || exit 2
mkdir -p "$OUT" || exit 2
echo "mutation run ${shard[*]:-(all of impl/)}, reports in $OUT"
start=$(date +%s)
node --import tsx scripts/mutation.ts --json "${shard[@]}" > "$OUT/mutation-summary.json"
status=$?
cp reports/mutation/*.md reports/mutation/*.json "$OUT/" 2>/dev/null
echo "mutation run: $(cat "$OUT/mutation-summary.json"), $(( $(date +%s) - start )) s, exit $status"
exit $status
