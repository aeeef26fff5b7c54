#!/usr/bin/env bash
# The nightly's final job: scripts/nightly-merge.sh DIR...
# Each DIR is one shard's output of scripts/nightly-shard.sh (downloaded CI artifacts). Merges the
# run reports, the mutants reports and, per profile, the swarm reports with `alloc-check merge`;
# exits 0 only when every merged report passed (every shard present, passed, and ran something).
set -u
if [ $# -lt 1 ]; then
  echo "usage: scripts/nightly-merge.sh SHARD_DIR..." >&2
  exit 2
fi
cd "$(dirname "$0")/.." || exit 2
status=0
bin=(node bin/alloc-check.js)
shopt -s nullglob
runs=(); mutants=(); swarm_profiles=()
for d in "$@"; do
  runs+=("$d"/run-*.json)
  mutants+=("$d"/mutants-*.json)
  for f in "$d"/swarm-*.json; do
    p=$(basename "$f" .json); p=${p#swarm-}; p=${p%-*}
    [[ " ${swarm_profiles[*]} " == *" $p "* ]] || swarm_profiles+=("$p")
  done
done
echo "== run"; "${bin[@]}" merge "${runs[@]}" || status=1
echo "== mutants"; "${bin[@]}" merge "${mutants[@]}" || status=1
for p in "${swarm_profiles[@]}"; do
  files=()
  for d in "$@"; do files+=("$d"/swarm-"$p"-*.json); done
  echo "== explore --swarm $p"; "${bin[@]}" merge "${files[@]}" || status=1
done
echo "nightly: $([ $status -eq 0 ] && echo passed || echo FAILED)"
exit $status
