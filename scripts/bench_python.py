"""The timings of `make bench-python` (see scripts/bench-python.sh): best of REPEAT runs,
each result checked against the command's before its time counts.

Usage: bench_python.py URVAL OUT PARQUET SPARK_PARQUET REPEAT
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import polars as pl

import urval

URVAL, OUT, PARQUET, SPARK_PARQUET, REPEAT = sys.argv[1:6]
OUT = Path(OUT) / "python"
OUT.mkdir(parents=True, exist_ok=True)
REPEAT = int(REPEAT)
SEED = 20261123


def best(f):
    times = []
    for _ in range(REPEAT):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times)


def run(*args):
    subprocess.run([URVAL, *args], check=True, capture_output=True)


def same(a, b):
    assert Path(a).read_bytes() == Path(b).read_bytes(), f"{a} differs from {b}"


def plan(extract, out):
    # As make bench-peers: 60,000 records over the municipality x area strata, proportional.
    run("plan", "--extract", str(extract), "--key", "case_id", "--strata", "municipality_code,area",
        "--total", "60000", "-o", str(out))


rows = []
plan(PARQUET, OUT / "plan.json")
cli = best(lambda: run("draw", "--extract", PARQUET, "--plan", str(OUT / "plan.json"), "--seed", str(SEED),
                       "-o", str(OUT / "cli.parquet")))
path = best(lambda: urval.draw(PARQUET, OUT / "plan.json", seed=SEED, output=OUT / "py.parquet"))
same(OUT / "py.parquet", OUT / "cli.parquet")
rows.append(("draw, Parquet path", cli, path))
frame = pl.read_parquet(PARQUET, columns=["case_id", "municipality_code", "area"])
inmem = best(lambda: urval.draw(frame, OUT / "plan.json", seed=SEED, output=OUT / "frame.parquet"))
same(OUT / "frame.parquet", OUT / "cli.parquet")
rows.append(("draw, Polars DataFrame in memory", cli, inmem))

keys = frame.lazy().select("case_id")
prn = best(lambda: keys.select(urval.prn(pl.col("case_id"), seed=SEED)).collect())
hsh = best(lambda: keys.select(pl.col("case_id").hash(SEED)).collect())
u = keys.head(1000).select(urval.prn(pl.col("case_id"), seed=SEED)).collect()["case_id"]
assert u.is_between(0, 1, closed="left").all()

os.environ["PYSPARK_PYTHON"] = sys.executable
from pyspark.sql import SparkSession  # noqa: E402

import urval.spark  # noqa: E402

spark = SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false").getOrCreate()
spark.sparkContext.setLogLevel("ERROR")
plan(SPARK_PARQUET, OUT / "plan-spark.json")
cli_small = best(lambda: run("draw", "--extract", SPARK_PARQUET, "--plan", str(OUT / "plan-spark.json"),
                             "--seed", str(SEED), "-o", str(OUT / "cli-spark.parquet")))
sdf = spark.read.parquet(SPARK_PARQUET).repartition(16).cache()
sdf.count()
sp = best(lambda: urval.spark.draw(sdf, OUT / "plan-spark.json", seed=SEED, output=OUT / "spark.parquet"))
same(OUT / "spark.parquet", OUT / "cli-spark.parquet")
spark.stop()

print(f"| job | urval draw | from Python | Python ÷ command |")
print("|---|---:|---:|---:|")
for name, c, p in rows:
    print(f"| {name} ({Path(PARQUET).name}) | {c:.2f} s | {p:.2f} s | {p / c:.2f} |")
print()
print(f"| PRN of {frame.height:,} keys | time |")
print("|---|---:|")
print(f"| urval.prn (Polars expression) | {prn:.2f} s |")
print(f"| Polars Expr.hash | {hsh:.2f} s |")
print()
print(f"| draw of {Path(SPARK_PARQUET).name} | time |")
print("|---|---:|")
print(f"| urval draw | {cli_small:.2f} s |")
print(f"| urval.spark.draw, local[2], 16 partitions (cached) | {sp:.2f} s |")
