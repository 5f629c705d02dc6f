"""urval.spark.plan over a PySpark DataFrame (local[2]: two executor threads, the Rust code in
their Python workers) writes the plan.json of `urval plan` byte for byte, whatever the
partitioning, but for the extract it names (the DataFrame, not the command's file); a
duplicated key, a bad column and a quarantine are the command's findings and messages."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import urval
import urval.spark

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "sample-data"
URVAL = os.environ.get("URVAL", str(ROOT / "target" / "debug" / "urval"))
EPOCH = "1795000000"
# The demo's plan (make demo, crates/cli/tests/golden.rs), as in test_urval.py.
PLAN = dict(
    key="case_id",
    strata="municipality_code",
    where="area = 'aldre'",
    margin=0.03,
    allocation="proportional",
    min=2,
    pages_column="pages",
    requested=2000,
)
PLAN_FLAGS = [
    "--key", "case_id", "--strata", "municipality_code", "--where", "area = 'aldre'",
    "--margin", "0.03", "--allocation", "proportional", "--min", "2",
    "--pages-column", "pages", "--requested", "2000",
]


def cli(*args: str, code: int = 0) -> subprocess.CompletedProcess:
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH}
    r = subprocess.run([URVAL, *args], capture_output=True, text=True, env=env)
    assert r.returncode == code, r.stderr
    return r


# plan.json's description of where its rows came from: the files (path, format, bytes and
# each file's rows) and their total size. Everything else is counted from the rows.
FILES = re.compile(r'\n  "extract": \{\n    "files": \[\n.*?\n    \],\n    "total_bytes": \d+,\n', re.S)


def with_extract_of(cli_text: str, spark_text: str) -> str:
    """The command's plan.json with the Spark plan's description of its extract."""
    (ours,) = FILES.findall(spark_text)
    assert len(FILES.findall(cli_text)) == 1
    return FILES.sub(lambda _: ours, cli_text)


@pytest.fixture(scope="module")
def spark():
    os.environ["PYSPARK_PYTHON"] = sys.executable
    from pyspark.sql import SparkSession

    s = (
        SparkSession.builder.master("local[2]")
        .appName("urval-plan-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "16")
        .getOrCreate()
    )
    s.sparkContext.setLogLevel("ERROR")
    yield s
    s.stop()


@pytest.fixture(autouse=True)
def fixed_time(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)


def test_the_demo_plan_on_spark_is_the_commands_plan_json(spark, tmp_path):
    cli("plan", "--extract", str(DATA / "cases.parquet"), *PLAN_FLAGS, "-o", str(tmp_path / "cli.json"))
    cli_text = (tmp_path / "cli.json").read_text(encoding="utf-8")
    sdf = spark.read.parquet(str(DATA / "cases.parquet")).repartition(16)
    assert sdf.rdd.getNumPartitions() == 16
    p = urval.spark.plan(sdf, **PLAN, output=tmp_path / "spark.json")
    text = (tmp_path / "spark.json").read_text(encoding="utf-8")
    assert p.text == text and p.path == tmp_path / "spark.json"
    # Byte for byte the command's, but for the extract named: one DataFrame of 0 bytes whose
    # rows are the command's file's.
    assert text == with_extract_of(cli_text, text)
    f = p.data["extract"]["files"]
    assert [(x["path"], x["format"], x["bytes"]) for x in f] == [("<spark.DataFrame>", "arrow", 0)]
    c = json.loads(cli_text)
    assert {k: f[0][k] for k in ("rows_read", "rows_used", "rows_excluded")} == {
        k: c["extract"]["files"][0][k] for k in ("rows_read", "rows_used", "rows_excluded")
    }
    assert p.total_n == p.allocation.total == 1051
    assert p.data["extract"]["fingerprint"] == c["extract"]["fingerprint"]
    # Another partitioning (3 partitions of shuffled rows): the same file, byte for byte.
    shuffled = spark.read.parquet(str(DATA / "cases.parquet")).orderBy("opened_date").repartition(3)
    q = urval.spark.plan(shuffled, **PLAN)
    assert q.path is None and q.text == text
    # The command draws the golden manifest with the Spark plan.
    cli("draw", "--extract", str(DATA / "cases.parquet"), "--plan", str(tmp_path / "spark.json"),
        "--seed", "20261123", "--include", "sex,opened_date,pages", "-o", str(tmp_path / "m.csv"))
    assert (tmp_path / "m.csv").read_bytes() == (DATA / "golden" / "manifest.csv").read_bytes()


def test_purposes_with_their_domains_plan_as_the_command(spark, tmp_path):
    flags = ["--key", "case_id", "--strata", "area", "--purposes", str(DATA / "purposes.toml"),
             "--pages-column", "pages"]
    cli("plan", "--extract", str(DATA / "cases.parquet"), *flags, "-o", str(tmp_path / "cli.json"))
    sdf = spark.read.parquet(str(DATA / "cases.parquet")).repartition(16)
    urval.spark.plan(sdf, key="case_id", strata="area", purposes=DATA / "purposes.toml",
                     pages_column="pages", output=tmp_path / "spark.json")
    text = (tmp_path / "spark.json").read_text(encoding="utf-8")
    cli_text = (tmp_path / "cli.json").read_text(encoding="utf-8")
    assert text == with_extract_of(cli_text, text)
    assert json.loads(text)["design"]["allocation"] == "purposes"


def test_quarantined_rows_are_counted_as_the_command_counts_them(spark, tmp_path):
    # A data rule that fails on some rows: they are quarantined, and the accounts match.
    rule = ["--check", "pages < 500", "--max-quarantine", "100%"]
    cli("plan", "--extract", str(DATA / "cases.parquet"), *PLAN_FLAGS, *rule, "-o", str(tmp_path / "cli.json"))
    sdf = spark.read.parquet(str(DATA / "cases.parquet")).repartition(16)
    p = urval.spark.plan(sdf, **PLAN, check="pages < 500", max_quarantine=1.0, output=tmp_path / "spark.json")
    text = p.text
    cli_text = (tmp_path / "cli.json").read_text(encoding="utf-8")
    assert text == with_extract_of(cli_text, text)
    d = p.data
    assert d["rows_quarantined"] > 0
    assert d["rows_read"] == d["rows_used"] + d["rows_excluded"] + d["rows_quarantined"]
    # Nothing in plan.json depends on the row numbers: another partitioning, the same file.
    again = urval.spark.plan(sdf.repartition(5), **PLAN, check="pages < 500", max_quarantine=1.0)
    assert again.text == text
    # The quarantine file beside the plan: the command's rows with the command's reasons,
    # numbered within their partition.
    ours = pl.read_csv(p.quarantine_file, infer_schema=False)
    theirs = pl.read_csv(tmp_path / "cli.quarantine.csv", infer_schema=False)
    assert ours.height == theirs.height == d["rows_quarantined"]
    assert set(ours["source_file"]) == {"<spark.DataFrame>"}
    assert sorted(ours["reason"]) == sorted(theirs["reason"])
    assert sorted(ours["raw"]) == sorted(theirs["raw"])
    # Above the threshold: the command's message (but for where the first row is).
    r = cli("plan", "--extract", str(DATA / "cases.parquet"), *PLAN_FLAGS, "--check", "pages < 500",
            "-o", str(tmp_path / "strict.json"), code=2)
    first_line = r.stderr.strip().removeprefix("urval: error: ").splitlines()[0]
    with pytest.raises(urval.UrvalError) as e:
        urval.spark.plan(sdf, **PLAN, check="pages < 500", output=tmp_path / "strict-spark.json")
    assert str(e.value).splitlines()[0] == first_line


def test_a_duplicated_key_is_the_commands_error(spark, tmp_path):
    cases = pq.read_table(DATA / "cases.parquet")
    # Twelve keys repeated (one of them three times): more than the ten the message shows.
    again = pa.concat_tables([cases.slice(100, 12), cases.slice(5000, 1), cases])
    pq.write_table(again, tmp_path / "dup.parquet")
    flags = ["--key", "case_id", "--strata", "municipality_code", "--total", "400"]
    r = cli("plan", "--extract", str(tmp_path / "dup.parquet"), *flags, "-o", str(tmp_path / "cli.json"), code=2)
    message = r.stderr.strip().removeprefix("urval: error: ")
    assert message.startswith("13 keys occur more than once (first: ")
    sdf = spark.read.parquet(str(tmp_path / "dup.parquet")).repartition(16)
    with pytest.raises(urval.UrvalError) as e:
        urval.spark.plan(sdf, key="case_id", strata="municipality_code", total=400)
    assert str(e.value) == message
    # A personal key: the keys are masked, as the command masks them.
    r = cli("plan", "--extract", str(tmp_path / "dup.parquet"), *flags, "--personal", "case_id",
            "-o", str(tmp_path / "cli.json"), code=2)
    with pytest.raises(urval.UrvalError) as e:
        urval.spark.plan(sdf, key="case_id", strata="municipality_code", total=400, personal="case_id")
    assert str(e.value) == r.stderr.strip().removeprefix("urval: error: ")
    # Allowed, the plan records how many keys repeat, as the command's.
    cli("plan", "--extract", str(tmp_path / "dup.parquet"), *flags, "--allow-duplicate-keys",
        "-o", str(tmp_path / "cli.json"))
    p = urval.spark.plan(sdf, key="case_id", strata="municipality_code", total=400,
                         allow_duplicate_keys=True, output=tmp_path / "spark.json")
    cli_text = (tmp_path / "cli.json").read_text(encoding="utf-8")
    assert p.text == with_extract_of(cli_text, p.text)
    assert p.data["duplicate_keys"] == 13


def test_a_bad_request_is_the_commands_one_line_error(spark, tmp_path):
    sdf = spark.read.parquet(str(DATA / "cases.parquet")).repartition(4)
    r = cli("plan", "--extract", str(DATA / "cases.parquet"), "--key", "case_id", "--strata", "kommun",
            "--margin", "0.05", "-o", str(tmp_path / "p.json"), code=2)
    with pytest.raises(urval.UrvalError) as e:
        urval.spark.plan(sdf, key="case_id", strata="kommun", margin=0.05)
    # The command's message, naming the DataFrame where the command names its file.
    message = r.stderr.strip().removeprefix("urval: error: ")
    assert str(e.value) == message.replace(str(DATA / "cases.parquet"), "<spark.DataFrame>")
    with pytest.raises(urval.UrvalError, match="give one of --margin, --total or --tolerable-rate"):
        urval.spark.plan(sdf, key="case_id", strata="area")


def test_a_row_an_executor_cannot_count_is_the_commands_error_naming_its_partition(spark, tmp_path):
    purposes = tmp_path / "purposes.toml"
    purposes.write_text(
        '[[purpose]]\nname = "x"\nlabel_sv = "x"\nlabel_en = "x"\npopulation = "case_id > 5"\n'
        "proportion = 0.5\nmargin = 0.05\n",
        encoding="utf-8",
    )
    r = cli("plan", "--extract", str(DATA / "cases.parquet"), "--key", "case_id", "--strata", "area",
            "--purposes", str(purposes), "-o", str(tmp_path / "p.json"), code=2)
    tail = 'is not a number; fix the value, or quarantine such rows with a --check'
    assert r.stderr.strip().endswith(tail)
    sdf = spark.read.parquet(str(DATA / "cases.parquet")).repartition(4)
    # Raised on the driver as the command's one line, the row numbered within its partition.
    with pytest.raises(urval.UrvalError) as e:
        urval.spark.plan(sdf, key="case_id", strata="area", purposes=purposes)
    assert re.fullmatch(
        r'<spark partition>: row \d+: purpose population: column "case_id": "[0-9-]+" ' + re.escape(tail),
        str(e.value),
    ), str(e.value)

