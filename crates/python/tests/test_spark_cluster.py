"""urval.spark on a standalone Spark cluster rather than local mode: a master and two workers
on loopback, started here (each its own JVM, one core each), so every partition is counted,
drawn and folded in an executor process of its own, with its own Python workers. The plan,
the manifest and the indicator table of the demo extract in 16 partitions are the command's,
byte for byte (the plan but for naming its extract)."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

import urval
import urval.spark

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "sample-data"
SPEC = ROOT / "pipeline" / "indicators.toml"
URVAL = os.environ.get("URVAL", str(ROOT / "target" / "debug" / "urval"))
EPOCH = "1795000000"
SEED = "20261123"
PLAN = dict(key="case_id", strata="municipality_code", where="area = 'aldre'", margin=0.03,
            allocation="proportional", min=2, pages_column="pages", requested=2000)
PLAN_FLAGS = ["--key", "case_id", "--strata", "municipality_code", "--where", "area = 'aldre'",
              "--margin", "0.03", "--allocation", "proportional", "--min", "2",
              "--pages-column", "pages", "--requested", "2000"]
# plan.json's description of where its rows came from (the files); the rest is counted.
FILES = re.compile(r'\n  "extract": \{\n    "files": \[\n.*?\n    \],\n    "total_bytes": \d+,\n', re.S)


def cli(*args: str) -> None:
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH}
    r = subprocess.run([URVAL, *args], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A standalone master and two one-core workers on loopback, and a session on them."""
    import pyspark
    from pyspark.sql import SparkSession

    home = Path(pyspark.__file__).parent
    d = tmp_path_factory.mktemp("cluster")
    env = {**os.environ, "SPARK_HOME": str(home), "SPARK_LOCAL_IP": "127.0.0.1",
           "PYSPARK_PYTHON": sys.executable}
    port = free_port()
    url = f"spark://127.0.0.1:{port}"
    procs = []

    def start(name: str, *args: str, **extra: str) -> None:
        log = open(d / f"{name}.log", "w")
        procs.append(subprocess.Popen([str(home / "bin" / "spark-class"), *args], stdout=log,
                                      stderr=subprocess.STDOUT, env={**env, **extra},
                                      start_new_session=True))

    try:
        start("master", "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
              "--port", str(port), "--webui-port", str(free_port()))
        for i in (1, 2):
            start(f"worker{i}", "org.apache.spark.deploy.worker.Worker", url, "--host", "127.0.0.1",
                  "--cores", "1", "--memory", "1g", "--webui-port", str(free_port()),
                  SPARK_WORKER_DIR=str(d / f"work{i}"))
        # Both workers registered with the master (within a minute).
        deadline = time.time() + 60
        while (d / "master.log").read_text().count("Registering worker") < 2:
            assert time.time() < deadline, (d / "master.log").read_text()[-2000:]
            time.sleep(0.5)
        os.environ["PYSPARK_PYTHON"] = sys.executable
        s = (
            SparkSession.builder.master(url)
            .appName("urval-cluster-tests")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.executor.memory", "512m")
            .config("spark.executor.cores", "1")
            .getOrCreate()
        )
        s.sparkContext.setLogLevel("ERROR")
        yield s
        s.stop()
    finally:
        for p in procs:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for p in procs:
            p.wait(timeout=30)


def test_plan_draw_and_indicators_on_a_standalone_cluster_are_the_commands(cluster, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    sdf = cluster.read.parquet(str(DATA / "cases.parquet")).repartition(16)
    assert sdf.rdd.getNumPartitions() == 16
    # Two executors besides the driver (they register a moment after the session starts):
    # the work leaves the driver's process.
    deadline = time.time() + 60
    while cluster.sparkContext._jsc.sc().getExecutorMemoryStatus().size() < 3:
        assert time.time() < deadline, "the two executors did not register within a minute"
        time.sleep(0.5)

    cli("plan", "--extract", str(DATA / "cases.parquet"), *PLAN_FLAGS, "-o", str(tmp_path / "cli.json"))
    p = urval.spark.plan(sdf, **PLAN, output=tmp_path / "spark.json")
    cli_text = (tmp_path / "cli.json").read_text(encoding="utf-8")
    (ours,) = FILES.findall(p.text)
    assert p.text == FILES.sub(lambda _: ours, cli_text)
    assert json.loads(p.text)["extract"]["files"][0]["path"] == "<spark.DataFrame>"

    cli("draw", "--extract", str(DATA / "cases.parquet"), "--plan", str(tmp_path / "cli.json"),
        "--seed", SEED, "-o", str(tmp_path / "cli.csv"))
    urval.spark.draw(sdf, tmp_path / "cli.json", seed=int(SEED), output=tmp_path / "spark.csv")
    assert (tmp_path / "spark.csv").read_bytes() == (tmp_path / "cli.csv").read_bytes()

    cli("indicators", "--extract", str(DATA / "cases.parquet"), "--spec", str(SPEC), "--by", "area",
        "-o", str(tmp_path / "ind-cli.csv"))
    urval.spark.indicators(sdf, SPEC, by="area", output=tmp_path / "ind-spark.csv")
    assert (tmp_path / "ind-spark.csv").read_bytes() == (tmp_path / "ind-cli.csv").read_bytes()
