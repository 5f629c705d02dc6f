#!/usr/bin/env bash
# make bench-peers: urval vs DuckDB and Polars (Python) on the same files, in one run, as a
# matrix (plan, draw, two indicator specs × Parquet, one CSV, the CSV split in 8 files), with
# urval's peak RSS and a 100 M-row run. Installs its own venv (.venv) from PyPI.
#   BENCH_ROWS (Parquet, default 20 M), BENCH_CSV_ROWS (default 2 M), BENCH_BIG_ROWS
#   (default 100 M; 0 leaves the 100 M-row run out), BENCH_REPEAT (default 3), BENCH_OUT.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS="${BENCH_ROWS:-20000000}"
CSV_ROWS="${BENCH_CSV_ROWS:-2000000}"
BIG_ROWS="${BENCH_BIG_ROWS:-100000000}"
OUT="${BENCH_OUT:-bench-out}"
mkdir -p "$OUT"
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import duckdb, polars, pyarrow, xxhash' 2>/dev/null; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet duckdb polars pyarrow xxhash
fi
cargo build --release --bin urval
URVAL="${CARGO_TARGET_DIR:-target}/release/urval"
PARQUET="$OUT/cases-$ROWS.parquet"
CSV="$OUT/cases-$CSV_ROWS.csv"
SPLIT="$OUT/cases-$CSV_ROWS-split"
[ -f "$PARQUET" ] || { echo "generating $ROWS rows → $PARQUET"; "$URVAL" generate --rows "$ROWS" --seed 1 -o "$PARQUET"; }
[ -f "$CSV" ] || { echo "generating $CSV_ROWS rows → $CSV"; "$URVAL" generate --rows "$CSV_ROWS" --seed 2 -o "$CSV"; }
if [ ! -d "$SPLIT" ]; then
  mkdir -p "$SPLIT.tmp"
  # The same rows in 8 files, each with the header.
  .venv/bin/python - "$CSV" "$SPLIT.tmp" <<'PY'
import sys
src, out = sys.argv[1], sys.argv[2]
lines = open(src, "rb").readlines()
head, body = lines[0], lines[1:]
k = 8
per = (len(body) + k - 1) // k
for i in range(k):
    with open(f"{out}/part-{i}.csv", "wb") as f:
        f.write(head)
        f.writelines(body[i * per:(i + 1) * per])
PY
  mv "$SPLIT.tmp" "$SPLIT"
fi
BIG=()
if [ "$BIG_ROWS" != "0" ]; then
  BIGFILE="$OUT/cases-$BIG_ROWS.parquet"
  [ -f "$BIGFILE" ] || { echo "generating $BIG_ROWS rows → $BIGFILE"; "$URVAL" generate --rows "$BIG_ROWS" --seed 3 -o "$BIGFILE"; }
  BIG=("$BIGFILE")
fi
.venv/bin/python scripts/bench_peers.py "$URVAL" "$OUT" "$PARQUET" "$CSV" "$SPLIT" "${BIG[@]}"
