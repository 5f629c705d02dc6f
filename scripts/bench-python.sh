#!/usr/bin/env bash
# make bench-python: urval from Python and on Spark against the command on the same files:
# the draw of a 20 M-row Parquet extract by `urval draw` and by `urval.draw` (from the path
# and from a Polars DataFrame in memory), the Polars PRN expression against Polars' own
# `hash()` on the same column, and `urval.spark.draw` (local[2], 16 partitions) against
# `urval draw` on a 2 M-row file. Every Python and Spark manifest is checked byte-identical
# to the command's before its time counts. Installs its own venv (.venv-python) from PyPI
# and the package into it with `pip install ./crates/python` (a release build).
#   BENCH_ROWS (default 20 M), BENCH_SPARK_ROWS (default 2 M), BENCH_REPEAT (default 3),
#   BENCH_OUT (default bench-out).
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS="${BENCH_ROWS:-20000000}"
SPARK_ROWS="${BENCH_SPARK_ROWS:-2000000}"
OUT="${BENCH_OUT:-bench-out}"
VENV=.venv-python
mkdir -p "$OUT"
cargo build --release --bin urval
URVAL="${CARGO_TARGET_DIR:-target}/release/urval"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet -r crates/python/requirements-test.txt
fi
# The package as the guide installs it (a release build).
"$VENV/bin/pip" install --quiet --force-reinstall --no-deps ./crates/python
PARQUET="$OUT/cases-$ROWS.parquet"
SPARK_PARQUET="$OUT/cases-$SPARK_ROWS-spark.parquet"
[ -f "$PARQUET" ] || "$URVAL" generate --rows "$ROWS" --seed 1 -o "$PARQUET"
[ -f "$SPARK_PARQUET" ] || "$URVAL" generate --rows "$SPARK_ROWS" --seed 2 --row-group-size 131072 -o "$SPARK_PARQUET"
"$VENV/bin/python" scripts/bench_python.py "$URVAL" "$OUT" "$PARQUET" "$SPARK_PARQUET" "${BENCH_REPEAT:-3}"
