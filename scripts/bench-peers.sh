#!/usr/bin/env bash
# make bench-peers: urval vs DuckDB and Polars (Python) on one generated extract, in one run.
# Installs its own venv (.venv) with duckdb, polars and xxhash from PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS="${BENCH_ROWS:-20000000}"
OUT="${BENCH_OUT:-bench-out}"
mkdir -p "$OUT"
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import duckdb, polars, xxhash' 2>/dev/null; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet duckdb polars xxhash pyarrow
fi
cargo build --release --bin urval
URVAL="${CARGO_TARGET_DIR:-target}/release/urval"
EXTRACT="$OUT/cases-$ROWS.parquet"
if [ ! -f "$EXTRACT" ]; then
  echo "generating $ROWS rows → $EXTRACT"
  "$URVAL" generate --rows "$ROWS" --seed 1 -o "$EXTRACT"
fi
.venv/bin/python scripts/bench_peers.py "$URVAL" "$EXTRACT" "$OUT"
