"""urval.spark.draw over a PySpark DataFrame (local[2]: two executor threads, the Rust code in
their Python workers) writes the command's manifest byte for byte, whatever the partitioning:
the demo extract in 16 partitions, and a 2 M-row extract written as many files, read in 16
shuffled partitions."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import urval
import urval.spark

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "sample-data"
URVAL = os.environ.get("URVAL", str(ROOT / "target" / "debug" / "urval"))
INCLUDE = ["sex", "opened_date", "pages"]


def cli(*args: str) -> None:
    r = subprocess.run([URVAL, *args], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


@pytest.fixture(scope="module")
def spark():
    os.environ["PYSPARK_PYTHON"] = sys.executable
    from pyspark.sql import SparkSession

    s = (
        SparkSession.builder.master("local[2]")
        .appName("urval-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "16")
        .getOrCreate()
    )
    s.sparkContext.setLogLevel("ERROR")
    yield s
    s.stop()


def test_the_demo_draw_on_spark_is_the_golden_manifest(spark, tmp_path):
    cli("plan", "--extract", str(DATA / "cases.parquet"), "--key", "case_id", "--strata",
        "municipality_code", "--where", "area = 'aldre'", "--margin", "0.03", "--min", "2",
        "--pages-column", "pages", "--requested", "2000", "-o", str(tmp_path / "plan.json"))
    sdf = spark.read.parquet(str(DATA / "cases.parquet")).repartition(16)
    assert sdf.rdd.getNumPartitions() == 16
    out = urval.spark.draw(sdf, tmp_path / "plan.json", seed=20261123, include=INCLUDE,
                           output=tmp_path / "manifest.csv")
    assert (tmp_path / "manifest.csv").read_bytes() == (DATA / "golden" / "manifest.csv").read_bytes()
    assert out.count() == 1051
    assert out.columns[:3] == ["case_id", "municipality_code", "prn"]


def test_a_2m_row_extract_in_16_partitions_draws_as_the_command(spark, tmp_path):
    big = tmp_path / "big.parquet"
    cli("generate", "--rows", "2000000", "--seed", "11", "--row-group-size", "131072", "-o", str(big))
    cli("plan", "--extract", str(big), "--key", "case_id", "--strata", "municipality_code,area",
        "--margin", "0.10", "--allocation", "domain", "-o", str(tmp_path / "plan.json"))
    for ext in ("csv", "parquet"):
        cli("draw", "--extract", str(big), "--plan", str(tmp_path / "plan.json"), "--seed", "42",
            "--include", "sex", "-o", str(tmp_path / f"cli.{ext}"))
    # The extract as many files, read back in 16 shuffled partitions.
    spark.read.parquet(str(big)).repartition(7).write.parquet(str(tmp_path / "split"))
    sdf = spark.read.parquet(str(tmp_path / "split")).repartition(16)
    assert sdf.rdd.getNumPartitions() == 16
    for ext in ("csv", "parquet"):
        urval.spark.draw(sdf, tmp_path / "plan.json", seed=42, include="sex",
                         output=tmp_path / f"spark.{ext}")
        assert (tmp_path / f"spark.{ext}").read_bytes() == (tmp_path / f"cli.{ext}").read_bytes()
    # A partition missing is not the extract planned for.
    with pytest.raises(urval.UrvalError, match="the extract changed since the plan"):
        urval.spark.draw(sdf.limit(1_000_000), tmp_path / "plan.json", seed=42)
