#!/usr/bin/env bash
# The duplicate-key check's memory budget (issue: 30 M duplicated keys under 1 GB):
# an extract of ROWS rows where every key occurs twice, planned with
# --allow-duplicate-keys, peak resident memory from /usr/bin/time -v. Exit 1 over budget.
#   scripts/dup-memory.sh [ROWS] [BUDGET_MB]      (make dup-memory)
set -euo pipefail
rows=${1:-30000000}
budget_mb=${2:-1024}
urval=${URVAL:-target/release/urval}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
awk -v n="$rows" 'BEGIN { print "id,kommun"; for (i = 0; i < n; i++) printf "K%09d,%04d\n", int(i / 2), 100 + (i % 290) }' > "$dir/dups.csv"
/usr/bin/time -v "$urval" plan --extract "$dir/dups.csv" --key id --strata kommun --total 100 \
  --allow-duplicate-keys -o "$dir/plan.json" > "$dir/out.txt" 2> "$dir/time.txt"
kb=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$dir/time.txt")
secs=$(awk -F': ' '/Elapsed \(wall clock\)/ { print $2 }' "$dir/time.txt")
dups=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['duplicate_keys'])" "$dir/plan.json")
echo "rows $rows, duplicated keys $dups, peak RSS $((kb / 1024)) MB (budget $budget_mb MB), wall $secs"
[ "$dups" -eq $((rows / 2)) ] || { echo "expected $((rows / 2)) duplicated keys"; exit 1; }
[ $((kb / 1024)) -le "$budget_mb" ] || { echo "over budget"; exit 1; }
