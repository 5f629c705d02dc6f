"""urval from Python gives the command line's numbers and files: the same plan, the same
manifest byte for byte (CSV and Parquet) from a path, a Polars DataFrame or LazyFrame and a
pyarrow Table, the same indicator table, the PRN of the specification, and the command's
error messages. The command is the one `make test` builds (URVAL, default target/debug/urval).
"""

from __future__ import annotations

import json
from datetime import date
import os
import shutil
import subprocess
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import urval

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "sample-data"
URVAL = os.environ.get("URVAL", str(ROOT / "target" / "debug" / "urval"))
SEED = 20261123
# The demo's plan (make demo, crates/cli/tests/golden.rs).
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
INCLUDE = ["sex", "opened_date", "pages"]


def cli(*args: str, cwd: Path | None = None, code: int = 0) -> subprocess.CompletedProcess:
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1795000000"}
    r = subprocess.run([URVAL, *args], cwd=cwd, capture_output=True, text=True, env=env)
    assert r.returncode == code, r.stderr
    return r


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    """The demo's plan and manifests made by the command line."""
    d = tmp_path_factory.mktemp("cli")
    cli("plan", "--extract", str(DATA / "cases.parquet"), *PLAN_FLAGS, "-o", str(d / "plan.json"))
    for out in ("manifest.csv", "manifest.parquet"):
        cli("draw", "--extract", str(DATA / "cases.parquet"), "--plan", str(d / "plan.json"),
            "--seed", str(SEED), "--include", ",".join(INCLUDE), "-o", str(d / out))
    return d


def sources():
    """The demo extract as each kind of source."""
    return {
        "path": str(DATA / "cases.parquet"),
        "csv path": str(DATA / "cases.csv"),
        "polars DataFrame": pl.read_parquet(DATA / "cases.parquet"),
        "polars LazyFrame": pl.scan_parquet(DATA / "cases.parquet"),
        "pyarrow Table": pq.read_table(DATA / "cases.parquet"),
        "pyarrow Table in 7 batches": pa.Table.from_batches(
            pq.read_table(DATA / "cases.parquet").to_batches(max_chunksize=3000)
        ),
        "polars DataFrame shuffled": pl.read_parquet(DATA / "cases.parquet").sample(
            fraction=1.0, shuffle=True, seed=3
        ),
    }


@pytest.mark.parametrize("kind", list(sources()))
@pytest.mark.parametrize("ext", ["csv", "parquet"])
def test_the_python_draw_is_byte_identical_to_urval_draw(demo, tmp_path, kind, ext):
    src = sources()[kind]
    out = tmp_path / f"manifest.{ext}"
    d = urval.draw(src, demo / "plan.json", seed=SEED, include=INCLUDE, output=out)
    assert out.read_bytes() == (demo / f"manifest.{ext}").read_bytes()
    assert d.selected == d.manifest.height == urval.Plan.read(demo / "plan.json").total_n
    assert d.manifest.columns[:5] == ["case_id", "municipality_code", "prn", "inclusion_probability", "weight"]


def test_the_manifest_as_a_data_frame_is_the_written_one(demo):
    d = urval.draw(pl.read_parquet(DATA / "cases.parquet"), demo / "plan.json", seed=SEED, include=INCLUDE)
    assert d.path is None
    assert d.manifest.equals(pl.read_parquet(demo / "manifest.parquet"))
    # The golden manifest of the sample-data chain.
    golden = pl.read_csv(DATA / "golden" / "manifest.csv", infer_schema=False)
    assert d.manifest["case_id"].to_list() == golden["case_id"].to_list()
    # Shown in a notebook as one line of counts, not the sidecar's every stratum.
    assert repr(d) == f"Draw(selected={d.selected}, seed={SEED}, strata={len(d.sidecar['strata'])}, " \
        f"rows_read={d.sidecar['rows_read']}, rows_quarantined=0, path=None)"


def test_quarantined_rows_are_kept_when_no_file_is(tmp_path):
    # The municipal export has two rows urval cannot use (a short row, an empty key).
    export = DATA / "arenden.csv"
    p = urval.plan(export, key="ärende_id", strata="kommunkod", margin=0.10, min=2)
    assert p.quarantine_file is None and p.quarantine.height == 2
    d = urval.draw(export, p, seed=SEED)
    assert d.quarantine_file is None
    assert d.quarantine.height == d.sidecar["rows_quarantined"] == 2
    assert d.quarantine.columns == ["source_file", "row", "reason", "raw"]
    assert sorted(d.quarantine["row"].to_list()) == ["1402", "702"]
    # Written beside an output that is kept, the file stays and is named.
    w = urval.draw(export, p, seed=SEED, output=tmp_path / "m.csv")
    assert Path(w.quarantine_file).is_file() and w.quarantine.equals(d.quarantine)


def test_a_plan_is_the_plan_json_of_urval_plan(demo, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795000000")
    cli_plan = tmp_path / "cli.json"
    cli("plan", "--extract", str(DATA / "cases.parquet"), *PLAN_FLAGS, "-o", str(cli_plan))
    p = urval.plan(str(DATA / "cases.parquet"), **PLAN, output=tmp_path / "py.json")
    assert (tmp_path / "py.json").read_bytes() == cli_plan.read_bytes()
    assert p.text == cli_plan.read_text()
    assert p.total_n == p.allocation.total == 1051
    # Without output the plan is kept in memory; saved, it is the same file.
    q = urval.plan(str(DATA / "cases.parquet"), **PLAN)
    assert q.path is None
    assert q.save(tmp_path / "saved.json").read_bytes() == cli_plan.read_bytes()


@pytest.mark.parametrize("kind", ["polars DataFrame", "polars LazyFrame", "pyarrow Table in 7 batches"])
def test_a_plan_from_a_data_frame_counts_as_from_the_file(demo, kind):
    p = urval.plan(sources()[kind], **PLAN)
    f = urval.Plan.read(demo / "plan.json")
    assert p.strata.equals(f.strata)
    for k in ("rows_read", "rows_used", "rows_excluded", "rows_quarantined", "total_n"):
        assert p.data[k] == f.data[k], k
    assert p.data["extract"]["fingerprint"] == f.data["extract"]["fingerprint"]
    assert p.data["extract"]["files"][0]["format"] == "arrow"


def test_a_plan_object_draws_as_its_file(demo):
    p = urval.Plan.read(demo / "plan.json")
    d = urval.draw(DATA / "cases.parquet", p, seed=SEED, include=INCLUDE)
    assert d.manifest.equals(pl.read_parquet(demo / "manifest.parquet"))
    unsaved = urval.plan(DATA / "cases.parquet", **PLAN)
    d2 = urval.draw(DATA / "cases.parquet", unsaved, seed=SEED, include=INCLUDE)
    assert d2.manifest.equals(d.manifest)


def test_verify_finds_the_draw_and_a_changed_manifest(demo, tmp_path):
    v = urval.verify(pl.read_csv(DATA / "cases.csv", separator=";", infer_schema=False), demo / "plan.json", demo / "manifest.csv")
    assert v and v.identical and v.expected == urval.Plan.read(demo / "plan.json").total_n
    assert v.text.startswith("identical: 1,051 records")
    m = tmp_path / "manifest.csv"
    lines = (demo / "manifest.csv").read_text().splitlines(keepends=True)
    m.write_text("".join(lines[:-1]))
    shutil.copy(demo / "manifest.csv.draw.json", tmp_path / "manifest.csv.draw.json")
    shutil.copy(demo / "plan.json", tmp_path / "plan.json")
    bad = urval.verify(DATA / "cases.parquet", tmp_path / "plan.json", m)
    assert not bad and len(bad.missing) == 1


def test_indicators_are_the_table_of_urval_indicators(demo, tmp_path):
    spec = ROOT / "pipeline" / "indicators.toml"
    cli("indicators", "--extract", str(DATA / "cases.parquet"), "--spec", str(spec), "--by", "area",
        "-o", str(tmp_path / "cli.csv"))
    r = urval.indicators(pl.scan_parquet(DATA / "cases.parquet"), spec, by="area", output=tmp_path / "py.csv")
    assert (tmp_path / "py.csv").read_bytes() == (tmp_path / "cli.csv").read_bytes()
    assert (tmp_path / "py.csv").read_bytes() == (DATA / "golden" / "census.csv").read_bytes()
    assert r.rows["read"] == r.rows["used"] + r.rows["excluded"] + r.rows["quarantined"]
    assert r.table.height > 0 and "indicator" in r.table.columns
    # Design-weighted from the demo's manifest.
    s = urval.indicators(DATA / "cases.parquet", spec, by="sex", manifest=demo / "manifest.csv")
    assert s.table.height > 0
    assert repr(s).startswith(f"Indicators(rows={s.table.height}, ")


def test_size_evaluate_and_allocate_give_the_commands_numbers():
    def j(*args):
        return json.loads(cli(*args, "--format", "json", code=None or 0).stdout)

    s = urval.size(margin=0.05, population=767)
    c = j("size", "--margin", "0.05", "--population", "767")
    assert (s.n, s.n0, s.z) == (c["n"], c["n0"], c["z"]) == (257, c["n0"], c["z"])
    a = urval.size(tolerable_rate=0.10, expected_deviations=0)
    assert a.n == 29
    e = urval.evaluate(sample=29, deviations=3, population=767, tolerable_rate=0.10)
    assert e.conclusion == {"tolerable_rate": 0.1, "below_tolerable": False}
    al = urval.allocate(DATA / "strata.csv", total=600, method="neyman", min=30)
    ca = j("allocate", "--strata", str(DATA / "strata.csv"), "--total", "600", "--method", "neyman", "--min", "30")
    assert al.strata["n"].to_list() == [s["n"] for s in ca["strata"]]
    frame = pl.read_csv(DATA / "strata.csv")
    assert urval.allocate(frame, total=600, method="neyman", min=30).strata["n"].to_list() == al.strata["n"].to_list()


def test_errors_are_the_commands_messages(tmp_path):
    r = cli("plan", "--extract", str(DATA / "cases.parquet"), "--key", "case_id", "--strata", "kommun",
            "--margin", "0.05", "-o", str(tmp_path / "p.json"), code=2)
    message = r.stderr.strip().removeprefix("urval: error: ")
    with pytest.raises(urval.UrvalError) as e:
        urval.plan(DATA / "cases.parquet", key="case_id", strata="kommun", margin=0.05)
    assert str(e.value) == message
    with pytest.raises(urval.UrvalError, match="give either margin or tolerable_rate"):
        urval.size()
    with pytest.raises(urval.UrvalError, match='method "wald": give wilson, clopper-pearson or jeffreys'):
        urval.evaluate(sample=10, deviations=1, method="wald")
    with pytest.raises(urval.UrvalError, match="likelihood"):
        urval.size(tolerable_rate=0.1, likelihood="normal")
    with pytest.raises(TypeError, match="unknown option"):
        urval.plan(DATA / "cases.parquet", key="case_id", strata="area", margin=0.05, delimeter=";")
    with pytest.raises(urval.UrvalError, match="kommun"):
        urval.plan(pl.read_parquet(DATA / "cases.parquet"), key="case_id", strata="kommun", margin=0.05)


# PRN specification v1 (docs/reference/prn.md): XXH3-64 of the empty input with seed 0 is
# 0x2D06800538D394C2 (the xxHash test vectors), so u = (h >> 11) / 2^53.
EMPTY_SEED0 = (0x2D06800538D394C2 >> 11) / 2**53


def xxh3_empty_with_seed(seed: int) -> int:
    """XXH3_64 of the empty input, from the xxHash specification (XXH3_len_0to16 with len 0):
    XXH64's avalanche of seed ^ (secret[56..64] ^ secret[64..72]), the default secret's
    bytes read little-endian. With seed 0 it is the test vector above."""
    secret = bytes.fromhex("e03590e6813a264c" "3c2852bb91c300cb")
    m = 2**64 - 1
    h = seed ^ int.from_bytes(secret[:8], "little") ^ int.from_bytes(secret[8:], "little")
    h ^= h >> 33
    h = (h * 0xC2B2AE3D27D4EB4F) & m
    h ^= h >> 29
    h = (h * 0x165667B19E3779F9) & m
    return h ^ (h >> 32)


assert xxh3_empty_with_seed(0) == 0x2D06800538D394C2


def test_the_prn_expression_gives_the_specifications_values():
    df = pl.DataFrame({"key": ["", None]})
    out = df.select(urval.prn("key", seed=0))["key"].to_list()
    assert out == [EMPTY_SEED0, None]
    # Every key of the golden manifest has the prn the draw wrote.
    golden = pl.read_csv(DATA / "golden" / "manifest.csv", infer_schema=False)
    got = golden.select(urval.prn(pl.col("case_id"), seed=SEED))["case_id"]
    assert got.to_list() == golden["prn"].cast(pl.Float64).to_list()
    # Integers are their decimal text.
    ints = pl.DataFrame({"k": [0, 7, -12, 2**40]})
    texts = ints.select(pl.col("k").cast(pl.String))
    assert ints.select(urval.prn("k", seed=5)).equals(texts.select(urval.prn("k", seed=5)))


def test_the_prn_of_many_keys_is_each_keys_own():
    # 100,000 keys with nulls among them: hashed in chunks on several threads, every value
    # is the one its key gets alone (in slices smaller than a chunk), nulls where they were.
    keys = pl.Series("k", [None if i % 7 == 3 else f"K{i:07d}" for i in range(100_000)])
    whole = pl.DataFrame({"k": keys}).select(urval.prn("k", seed=SEED))["k"]
    alone = pl.concat(
        [pl.DataFrame({"k": keys.slice(o, 999)}).select(urval.prn("k", seed=SEED))["k"] for o in range(0, 100_000, 999)]
    )
    assert whole.equals(alone)
    assert whole.null_count() == keys.null_count()
    assert whole.is_null().equals(keys.is_null())


def test_the_prn_of_every_key_type_is_that_of_its_text():
    keys = ["2085-0000000000", "", "Å-1", None, "x" * 40]
    want = pl.DataFrame({"k": keys}).select(urval.prn("k", seed=0))["k"]
    assert want[1] == EMPTY_SEED0
    assert want.null_count() == 1
    # Bytes, categories and enums are read as their text; short keys (inline in Polars'
    # string views) and long ones (in its buffers) alike.
    for dtype in [pl.Binary, pl.Categorical, pl.Enum([k for k in keys if k is not None])]:
        col = pl.Series("k", [None if k is None else (k.encode() if dtype == pl.Binary else k) for k in keys],
                        dtype=dtype)
        got = pl.DataFrame({"k": col}).select(urval.prn("k", seed=0))["k"]
        assert got.equals(want), dtype
    # A float or a date key is refused, with what to do.
    for other in [pl.Series("f", [1.5]), pl.Series("f", [date(2024, 6, 25)])]:
        with pytest.raises(Exception, match="cast them to pl.String"):
            pl.DataFrame({"f": other}).select(urval.prn("f", seed=0))
    for bad in [-1, 2**64, 1.5, True]:
        with pytest.raises(urval.UrvalError, match="unsigned 64-bit"):
            urval.prn("k", seed=bad)
    # The largest seed crosses to the plugin whole.
    top = pl.DataFrame({"k": [""]}).select(urval.prn("k", seed=2**64 - 1))["k"][0]
    assert top == (xxh3_empty_with_seed(2**64 - 1) >> 11) / 2**53


def test_the_prn_expression_runs_lazily_and_streaming():
    lf = pl.scan_parquet(DATA / "cases.parquet").select("case_id")
    q = lf.with_columns(u=urval.prn(pl.col("case_id"), seed=SEED)).filter(pl.col("u") < 0.01)
    streamed = q.collect(engine="streaming")
    eager = pl.read_parquet(DATA / "cases.parquet", columns=["case_id"]).with_columns(
        u=urval.prn("case_id", seed=SEED)
    ).filter(pl.col("u") < 0.01)
    assert streamed.sort("case_id").equals(eager.sort("case_id"))
    assert 0 < streamed.height < 600


def _drawn(manifest: Path) -> list[tuple[str, str]]:
    m = pl.read_csv(manifest, infer_schema=False)
    return sorted(zip(m["case_id"], m["prn"]))


@pytest.mark.parametrize("start", [0.0, 0.37])
def test_the_lazy_sample_selects_the_commands_records(demo, tmp_path, start):
    # The command's draw of the demo plan (which has a where), with and without a start.
    manifest = tmp_path / "m.csv"
    cli("draw", "--extract", str(DATA / "cases.parquet"), "--plan", str(demo / "plan.json"),
        "--seed", str(SEED), "--start", str(start), "-o", str(manifest))
    want = _drawn(manifest)
    # From a LazyFrame, streamed; from the CSV read with the codes as integers (text
    # compared as urval reads it); and from the rows reversed and split in two frames.
    lf = pl.scan_parquet(DATA / "cases.parquet")
    got = urval.sample(lf, demo / "plan.json", seed=SEED, start=start).collect(engine="streaming")
    plan = urval.Plan.read(demo / "plan.json")
    assert got.height == plan.total_n
    # Per stratum, the plan's n_h (the plan's strata table holds the values themselves).
    per = got.group_by("municipality_code").len()
    n_h = dict(zip(plan.strata["municipality_code"], plan.strata["n"]))
    assert dict(zip(per["municipality_code"], per["len"])) == {m: n for m, n in n_h.items() if n > 0}
    assert plan.strata["municipality_code"][0] == plan.data["strata"][0]["values"]["municipality_code"]
    assert sorted(zip(got["case_id"], (repr(u) for u in got["prn"]))) == sorted(
        (k, repr(float(u))) for k, u in want
    )
    assert set(got.columns) == set(lf.collect_schema().names()) | {"prn", "rank"}
    df = pl.read_parquet(DATA / "cases.parquet").reverse()
    halves = pl.concat([df.tail(9_000), df.head(df.height - 9_000)]).lazy()
    again = urval.sample(halves, urval.Plan.read(demo / "plan.json"), seed=SEED, start=start).collect()
    assert sorted(again["case_id"]) == sorted(k for k, _ in want)
    # The rank is (u - start) mod 1 in units of 2^-53.
    r = got.select(((pl.col("prn") - start) % 1.0 * 2.0**53).alias("r"), "rank")
    assert (r["r"] == r["rank"].cast(pl.Float64)).all()


def test_the_lazy_sample_leaves_out_empty_keys_and_says_what_is_missing(demo):
    df = pl.read_parquet(DATA / "cases.parquet")
    spoilt = df.with_columns(pl.when(pl.int_range(pl.len()) < 50).then(pl.lit("")).otherwise(pl.col("case_id")).alias("case_id"))
    got = urval.sample(spoilt.lazy(), demo / "plan.json", seed=SEED).collect()
    assert (got["case_id"].str.len_bytes() > 0).all()
    with pytest.raises(urval.UrvalError, match="'municipality_code' of the plan are not in the frame"):
        urval.sample(df.drop("municipality_code").lazy(), demo / "plan.json", seed=SEED)
