"""urval.spark.draw and urval.spark.indicators over a PySpark DataFrame (local[2]: two executor
threads, the Rust code in their Python workers) write the command's manifest and indicator
table byte for byte, whatever the partitioning: the demo extract in 16 partitions, and a 2 M-row
extract written as many files, read in 16 shuffled partitions, whose urval.spark.plan also
counts and sizes every stratum as the command does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import urval
import urval.spark

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "sample-data"
SPEC = ROOT / "pipeline" / "indicators.toml"
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
    # The plan of the same 16 partitions: the command's strata (N_h, n_h, fingerprints,
    # weights), totals, row counts and extract fingerprint.
    sp = urval.spark.plan(sdf, key="case_id", strata="municipality_code,area", margin=0.10,
                          allocation="domain").data
    cp = json.loads((tmp_path / "plan.json").read_text(encoding="utf-8"))
    for field in ("strata", "total_population", "total_n", "rows_read", "rows_used", "duplicate_keys", "design"):
        assert sp[field] == cp[field], field
    assert sp["extract"]["fingerprint"] == cp["extract"]["fingerprint"]
    # The indicators of the same 16 partitions: the command's table.
    cli("indicators", "--extract", str(big), "--spec", str(SPEC), "--by", "municipality_code,area",
        "-o", str(tmp_path / "ind-cli.csv"))
    urval.spark.indicators(sdf, SPEC, by=["municipality_code", "area"], output=tmp_path / "ind-spark.csv")
    assert (tmp_path / "ind-spark.csv").read_bytes() == (tmp_path / "ind-cli.csv").read_bytes()
    # A partition missing is not the extract planned for.
    with pytest.raises(urval.UrvalError, match="the extract changed since the plan"):
        urval.spark.draw(sdf.limit(1_000_000), tmp_path / "plan.json", seed=42)


def test_indicators_on_spark_are_the_commands_table_census_and_sample(spark, tmp_path):
    sdf = spark.read.parquet(str(DATA / "cases.parquet")).repartition(16)
    # A census by municipality and area, small cells withheld as the command withholds them.
    cli("indicators", "--extract", str(DATA / "cases.parquet"), "--spec", str(SPEC), "--by",
        "municipality_code,area", "-o", str(tmp_path / "census-cli.csv"))
    out = urval.spark.indicators(sdf, SPEC, by="municipality_code,area", output=tmp_path / "census.csv")
    assert (tmp_path / "census.csv").read_bytes() == (tmp_path / "census-cli.csv").read_bytes()
    assert out.count() == len((tmp_path / "census.csv").read_text(encoding="utf-8").splitlines()) - 1
    assert out.columns[:3] == ["indicator", "municipality_code", "area"]
    # A sample: the manifest's design weights, non-response and the model-based estimates
    # per municipality, in Parquet.
    cli("plan", "--extract", str(DATA / "cases.parquet"), "--key", "case_id", "--strata",
        "municipality_code", "--total", "3000", "--min", "5", "-o", str(tmp_path / "plan.json"))
    cli("draw", "--extract", str(DATA / "cases.parquet"), "--plan", str(tmp_path / "plan.json"),
        "--seed", "20261207", "-o", str(tmp_path / "manifest.csv"))
    args = ["--extract", str(DATA / "cases.parquet"), "--manifest", str(tmp_path / "manifest.csv"),
            "--spec", str(DATA / "child-heard.toml"), "--by", "municipality_code", "--small-area",
            "municipality_code", "--suppress-below", "0"]
    cli("indicators", *args, "-o", str(tmp_path / "sample-cli.parquet"))
    urval.spark.indicators(sdf, DATA / "child-heard.toml", by="municipality_code",
                           manifest=tmp_path / "manifest.csv", small_area="municipality_code",
                           suppress_below=0, output=tmp_path / "sample.parquet")
    assert (tmp_path / "sample.parquet").read_bytes() == (tmp_path / "sample-cli.parquet").read_bytes()
    # A spec that does not fit the data is the command's one-line error.
    bad = tmp_path / "bad.toml"
    bad.write_text('[[indicator]]\nname = "x"\nkind = "share"\nexpr = "no_such_column"\n', encoding="utf-8")
    with pytest.raises(urval.UrvalError, match="no_such_column"):
        urval.spark.indicators(sdf, bad, by="area")
