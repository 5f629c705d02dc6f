"""urval on Apache Spark: the plan, the draw and the indicators of a PySpark DataFrame, on
the executors.

Each partition's rows reach urval's Rust code on its executor as Arrow batches
(``DataFrame.mapInArrow``): the partition is drawn on its own (per stratum its n_h records of
smallest rank, with its counts and the fingerprint of its keys), and the driver merges the
parts into the draw of the whole DataFrame and writes it as ``urval draw`` writes it. Order
sampling merges exactly, so the manifest is the command's byte for byte whatever the
partitioning; the plan's checks (every stratum's N and keys as planned) run on the merged
counts. A plan is counted the same way, the DataFrame first partitioned by the key so that
each partition finds its own duplicate keys exactly.

The executors need the ``urval`` package: the same Python environment as the driver
(``PYSPARK_PYTHON``) or the wheel shipped to them (``spark.submit.pyFiles`` does not carry a
compiled module; install the wheel on the workers).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Sequence

import pyarrow as pa
import pyarrow.parquet as pq

from . import (
    Allocation,
    Plan,
    PathLike,
    UrvalError,
    _given,
    _indicators_job,
    _names,
    _plan_path,
    _plan_request,
    _quarantine,
    _Scratch,
    _urval,
)

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import DataFrame


def _arrow_schema(sdf: "DataFrame") -> pa.Schema:
    """The Arrow schema of the DataFrame's rows as ``mapInArrow`` hands them over."""
    from pyspark.sql.pandas.types import to_arrow_schema

    return to_arrow_schema(sdf.schema)


def _part_batch(text: str) -> pa.RecordBatch:
    """A part's JSON text as the one row ``mapInArrow`` returns of a partition."""
    return pa.RecordBatch.from_pydict({"part": [text]}, schema=pa.schema([("part", pa.large_string())]))


def _by_key(sdf: "DataFrame", key: str) -> "DataFrame":
    """The DataFrame partitioned by ``key`` into as many partitions as it has (at least one;
    ``spark.sql.shuffle.partitions`` where the RDD is not at hand, as on Spark Connect): every
    key's rows in one partition."""
    column = sdf["`" + key.replace("`", "``") + "`"]  # quoted: a name with a dot is one column
    try:
        n = max(1, sdf.rdd.getNumPartitions())
    except Exception:  # Spark Connect has no RDD
        return sdf.repartition(column)
    return sdf.repartition(n, column)


def plan(
    sdf: "DataFrame",
    *,
    key: str,
    strata: str | Sequence[str],
    margin: float | str | None = None,
    total: int | None = None,
    where: str | None = None,
    check: str | Sequence[str] | None = None,
    confidence: float | str | None = None,
    allocation: str | None = None,
    min: int | None = None,
    max: int | None = None,
    proportion: float | str | None = None,
    pages_column: str | None = None,
    requested: int | None = None,
    allow_duplicate_keys: bool = False,
    stages: int | None = None,
    first_fraction: float | None = None,
    first_margin: float | None = None,
    tolerable_rate: float | None = None,
    expected_rate: float | None = None,
    max_first: int | None = None,
    purposes: PathLike | None = None,
    cost: str | None = None,
    pages_per_record: float | None = None,
    minutes_per_record: float | None = None,
    hours_per_day: float | None = None,
    personal: str | Sequence[str] | None = None,
    max_quarantine: float | None = None,
    output: PathLike | None = None,
) -> Plan:
    """``urval plan`` over a PySpark DataFrame: the population of every stratum counted
    partition by partition on the executors (records, the fingerprint of their keys, pages,
    each purpose's domain, duplicate keys), merged and planned on the driver. The keywords
    are :func:`urval.plan`'s, with the command's defaults (``None``: the command's, e.g.
    ``confidence`` 0.95, ``max_quarantine`` 0.01).

    The DataFrame is first partitioned by ``key`` (as many partitions as it has), so every
    key's rows meet in one partition and the duplicate-key check is exact. The plan is the
    command's for the same rows whatever the partitioning, except that plan.json names the
    extract ``<spark.DataFrame>`` (format ``arrow``, 0 bytes: its rows are never in one
    place) where the command names its files. Quarantined rows are numbered within their
    partition. The executors read ``purposes`` from its path: on a cluster, a path every
    worker can read.
    """
    req = _plan_request(locals())
    schema = _arrow_schema(sdf)
    # A part writes nothing: its output is only named.
    part_request = json.dumps(dict(req, output="part.json"))

    def part(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        from urval import _urval as native

        reader = pa.RecordBatchReader.from_batches(schema, (b.cast(schema) if b.schema != schema else b for b in batches))
        try:
            text = native.plan_part(reader, "<spark partition>", "{}", part_request)
        except native.UrvalError as e:
            # Raised on the driver with the command's message, not as a failed task.
            text = json.dumps({"error": str(e)})
        yield _part_batch(text)

    # The request and the columns checked once on the driver (no rows), so that a bad
    # request is the command's one-line error rather than a failed Spark task.
    _urval.plan_part(pa.RecordBatchReader.from_batches(schema, []), "<spark.DataFrame>", "{}", part_request)
    keyed = _by_key(sdf, key)
    parts = [row["part"] for row in keyed.mapInArrow(part, "part string").collect()]
    for p in parts:
        if p.startswith('{"error"'):
            raise UrvalError(json.loads(p)["error"])
    if output is not None:
        req["output"] = os.fspath(output)
        text, alloc, q = _urval.plan_from_parts("<spark.DataFrame>", parts, json.dumps(req))
        return Plan(text, Path(output), Allocation(json.loads(alloc)), q)
    with _Scratch() as d:
        req["output"] = str(d / "plan.json")
        text, alloc, q = _urval.plan_from_parts("<spark.DataFrame>", parts, json.dumps(req))
        return Plan(text, None, Allocation(json.loads(alloc)), *_quarantine(q, d))


def draw(
    sdf: "DataFrame",
    plan: Plan | PathLike,
    *,
    seed: int,
    start: float | None = None,
    only: str | None = None,
    include: str | Sequence[str] | None = None,
    output: PathLike | None = None,
    personal: str | Sequence[str] | None = None,
    max_quarantine: float | None = None,
) -> "DataFrame":
    """``urval draw`` over a PySpark DataFrame: the plan's records by permanent random
    numbers with ``seed`` (and ``start``), drawn partition by partition on the executors and
    merged on the driver, returned as a Spark DataFrame (the manifest's columns and rows).

    With ``output`` (``.csv``, ``.parquet`` or ``.xlsx``) the manifest and its sidecar are
    written by the driver byte for byte as ``urval draw -o`` writes them for the same rows,
    however the DataFrame is partitioned. Quarantined rows are numbered within their
    partition. ``start`` is 0 and ``max_quarantine`` 0.01 unless given, as the command's.
    """
    p = plan if isinstance(plan, Plan) else Plan.read(plan)
    plan_text = p.text
    request = json.dumps(
        _given(seed=seed, start=start, only=only, include=_names(include), personal=_names(personal))
    )
    schema = _arrow_schema(sdf)

    def part(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        from urval import _urval as native

        reader = pa.RecordBatchReader.from_batches(schema, (b.cast(schema) if b.schema != schema else b for b in batches))
        text = native.draw_part(reader, "<spark partition>", "{}", plan_text, request)
        yield pa.RecordBatch.from_pydict({"part": [text]}, schema=pa.schema([("part", pa.large_string())]))

    parts = [row["part"] for row in sdf.mapInArrow(part, "part string").collect()]
    job = _given(
        seed=seed,
        start=start,
        only=only,
        include=_names(include),
        personal=_names(personal),
        max_quarantine=max_quarantine,
    )
    with _Scratch() as d:
        job["plan"] = _plan_path(p, d)
        out = Path(output) if output is not None else d / "manifest.parquet"
        job["output"] = str(out)
        _urval.draw_from_parts("<spark.DataFrame>", parts, json.dumps(job))
        if out.suffix.lower() == ".parquet":
            table = pq.read_table(out)
        else:
            from . import _read_manifest

            table = _read_manifest(out).to_arrow()
    return sdf.sparkSession.createDataFrame(table)




def indicators(
    sdf: "DataFrame",
    spec: PathLike,
    *,
    by: str | Sequence[str] | None = None,
    manifest: PathLike | None = None,
    where: str | None = None,
    check: str | Sequence[str] | None = None,
    ci: bool = False,
    confidence: float | None = None,
    age_bands: str | None = None,
    age: str | None = None,
    key: str | None = None,
    nonresponse: str | None = None,
    allow_empty: bool = False,
    suppress_below: int | None = None,
    max_groups: int | None = None,
    small_area: str | None = None,
    small_area_covariates: PathLike | None = None,
    secret_file: PathLike | None = None,
    output: PathLike | None = None,
    csv_dialect: str | None = None,
    lang: str | None = None,
    personal: str | Sequence[str] | None = None,
    max_quarantine: float | None = None,
) -> "DataFrame":
    """``urval indicators`` over a PySpark DataFrame: each partition folded into mergeable
    tallies on its executor (per group, age band and design stratum), the tallies merged on
    the driver, estimated, suppressed and written as ``urval indicators -o`` writes them;
    returned as a Spark DataFrame (the table's columns and rows).

    The table is the command's for the same rows however the DataFrame is partitioned
    (counts, successes and medians are integers, and a mean's sums are exact for whole
    numbers; a mean of numbers with decimals may differ in its last digit). The executors
    read ``spec`` and ``manifest`` from their paths: on a cluster, paths every worker can
    read. Quarantined rows are numbered within their partition. Options left as ``None``
    take the command's defaults, as in :func:`urval.indicators`.
    """
    job = _indicators_job(locals())
    # A part writes nothing: its output is only named.
    job_json = json.dumps(dict(job, output="part.parquet"))
    schema = _arrow_schema(sdf)

    def part(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        from urval import _urval as native

        reader = pa.RecordBatchReader.from_batches(schema, (b.cast(schema) if b.schema != schema else b for b in batches))
        text = native.indicators_part(reader, "<spark partition>", "{}", job_json)
        yield pa.RecordBatch.from_pydict({"part": [text]}, schema=pa.schema([("part", pa.large_string())]))

    # The spec, the manifest and the columns checked once on the driver (no rows), so that
    # a bad request is the command's one-line error rather than a failed Spark task.
    _urval.indicators_part(pa.RecordBatchReader.from_batches(schema, []), "<spark.DataFrame>", "{}", job_json)
    parts = [row["part"] for row in sdf.mapInArrow(part, "part string").collect()]
    with _Scratch() as d:
        out = Path(output) if output is not None else d / "indicators.parquet"
        job["output"] = str(out)
        _urval.indicators_from_parts("<spark.DataFrame>", parts, json.dumps(job))
        if out.suffix.lower() == ".parquet":
            table = pq.read_table(out)
        else:
            job["output"] = str(d / "indicators.parquet")
            _urval.indicators_from_parts("<spark.DataFrame>", parts, json.dumps(job))
            table = pq.read_table(d / "indicators.parquet")
    # Spark has no unsigned integers: counts as 64-bit signed (every count fits).
    table = table.cast(
        pa.schema(
            pa.field(f.name, pa.int64()) if pa.types.is_unsigned_integer(f.type) else f
            for f in table.schema
        )
    )
    return sdf.sparkSession.createDataFrame(table)
