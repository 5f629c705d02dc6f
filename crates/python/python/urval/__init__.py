"""urval from Python: size, plan, draw, verify and indicators on paths, Polars and Arrow data.

The functions call the same Rust library as the ``urval`` command line and give the same
numbers: a plan saved from :func:`plan` is the plan.json ``urval plan`` writes, a manifest
written by :func:`draw` is byte for byte the file ``urval draw`` writes, and an error is a
:class:`UrvalError` with the command line's message.

An extract (``source``) is a path (a file, a directory or a glob; Parquet, CSV, Arrow IPC
or a spreadsheet), a list of paths, a Polars ``DataFrame`` or ``LazyFrame``, a pyarrow
``Table`` or ``RecordBatchReader``, or any object with the Arrow C stream interface
(``__arrow_c_stream__``). A data frame is handed to the library through the Arrow C data
interface: its columns are read where they are, never copied into Python objects.

Options of how a path is read are keywords of every function that reads an extract, named
as the command line's flags: ``delimiter``, ``encoding``, ``sheet``, ``skip_unknown``,
``date_format`` (a list of ``"COL=FORMAT"``), ``municipality_column`` (a list) and
``keep_unknown_municipalities``.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence, Union

import polars as pl
from polars.plugins import register_plugin_function
import pyarrow as pa

from . import _urval
from ._urval import PRN_SPEC_VERSION, UrvalError

__all__ = [
    "UrvalError",
    "PRN_SPEC_VERSION",
    "size",
    "evaluate",
    "allocate",
    "plan",
    "draw",
    "verify",
    "indicators",
    "prn",
    "sample",
    "Size",
    "Evaluation",
    "Allocation",
    "Plan",
    "Draw",
    "Verified",
    "Indicators",
]

PathLike = Union[str, "os.PathLike[str]"]
Source = Any  # a path, paths, a Polars DataFrame or LazyFrame, a pyarrow Table, an Arrow stream

_READING = {
    "delimiter",
    "encoding",
    "sheet",
    "skip_unknown",
    "date_format",
    "municipality_column",
    "keep_unknown_municipalities",
}


def _names(v: str | Iterable[str] | None) -> list[str] | None:
    """Column names given as ``"a,b"`` or a list."""
    if v is None:
        return None
    if isinstance(v, str):
        return [s.strip() for s in v.split(",") if s.strip()]
    return [str(s) for s in v]


def _given(**kw: Any) -> dict[str, Any]:
    """The keywords given (not None), with paths as text: the library's defaults fill the rest."""
    return {
        k: (os.fspath(v) if isinstance(v, os.PathLike) else v)
        for k, v in kw.items()
        if v is not None
    }


def _source(source: Source, reading: Mapping[str, Any]) -> tuple[Any, str, str]:
    """(what the library reads, the name of an in-memory source, the reading options as JSON)."""
    unknown = set(reading) - _READING
    if unknown:
        raise TypeError(f"unknown option(s): {', '.join(sorted(unknown))}")
    opts = json.dumps(_given(**reading))
    if isinstance(source, (str, os.PathLike)):
        return [os.fspath(source)], "", opts
    if isinstance(source, (list, tuple)) and all(isinstance(s, (str, os.PathLike)) for s in source):
        return [os.fspath(s) for s in source], "", opts
    if isinstance(source, pl.LazyFrame):
        return source.collect(engine="streaming"), "<polars.LazyFrame>", opts
    if isinstance(source, pl.DataFrame):
        return source, "<polars.DataFrame>", opts
    if hasattr(source, "__arrow_c_stream__") or type(source).__module__.startswith("pyarrow"):
        return source, f"<{type(source).__module__.split('.')[0]}.{type(source).__name__}>", opts
    raise TypeError(
        "source: give a path, a list of paths, a Polars DataFrame or LazyFrame, "
        f"or an Arrow table or stream, not {type(source).__name__}"
    )


class _Result:
    """A result of the library: its fields as attributes, and as a dict with :meth:`as_dict`."""

    def __init__(self, data: Mapping[str, Any]):
        self._data = dict(data)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["_data"][name]
        except KeyError:
            raise AttributeError(name) from None

    def as_dict(self) -> dict[str, Any]:
        """The fields as a dict (what ``--format json`` prints of them)."""
        return dict(self._data)

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self._data.items() if not isinstance(v, (list, dict)))
        return f"{type(self).__name__}({fields})"


class Size(_Result):
    """A sample size: ``n`` and how it was found (``n0``, ``z``, … for a share; ``k``, the
    likelihood and the risk for an attribute sample)."""


class Evaluation(_Result):
    """A reviewed sample evaluated: ``estimate``, ``lower``, ``upper`` (the two-sided interval),
    ``upper_bound`` (one-sided), ``upper_bound_count`` and ``conclusion``."""


class Allocation(_Result):
    """An allocation: ``total``, ``margin``, ``method``, … and ``strata`` as a Polars DataFrame."""

    @property
    def strata(self) -> pl.DataFrame:
        """One row per stratum: its name, population, n and what held it."""
        return pl.DataFrame(self._data["strata"])


def size(
    *,
    margin: float | None = None,
    tolerable_rate: float | None = None,
    confidence: float | None = None,
    proportion: float | None = None,
    deff: float | None = None,
    population: int | None = None,
    response_rate: float | None = None,
    relative: bool = False,
    expected_deviations: int | None = None,
    expected_rate: float | None = None,
    likelihood: str | None = None,
) -> Size:
    """The sample size of ``urval size``.

    With ``margin``: a share to ±E (Cochran, with the finite population correction when
    ``population`` is given). With ``tolerable_rate``: an attribute (audit) sample, the smallest
    n with P(X ≤ K) ≤ 1 − C (``expected_deviations`` K or ``expected_rate``; ``likelihood``
    binomial, hypergeometric or poisson). Options left as ``None`` take the command's
    defaults: ``confidence`` 0.95, ``proportion`` 0.5, ``deff`` 1 and ``response_rate`` 1.

    >>> urval.size(margin=0.05, population=767).n
    257
    """
    spec = _given(
        margin=margin,
        tolerable_rate=tolerable_rate,
        confidence=confidence,
        proportion=proportion,
        deff=deff,
        population=population,
        response_rate=response_rate,
        relative=relative,
        expected_deviations=expected_deviations,
        expected_rate=expected_rate,
        likelihood=likelihood,
    )
    return Size(json.loads(_urval.size(json.dumps(spec))))


def evaluate(
    *,
    sample: int,
    deviations: int,
    population: int | None = None,
    tolerable_rate: float | None = None,
    confidence: float | None = None,
    method: str | None = None,
) -> Evaluation:
    """``urval evaluate``: the interval and the upper bound of the deviation rate when
    ``deviations`` were found in ``sample`` reviewed records, and with ``tolerable_rate`` whether
    the rate is below it with the confidence asked for (``conclusion``). ``confidence`` is
    0.95 and ``method`` clopper-pearson (or wilson, jeffreys) unless given, as the command's.

    >>> urval.evaluate(sample=29, deviations=3, population=767, tolerable_rate=0.10).conclusion
    {'tolerable_rate': 0.1, 'below_tolerable': False}
    """
    spec = _given(
        sample=sample,
        deviations=deviations,
        population=population,
        tolerable_rate=tolerable_rate,
        confidence=confidence,
        method=method,
    )
    return Evaluation(json.loads(_urval.evaluate(json.dumps(spec))))


def allocate(
    strata: PathLike | pl.DataFrame,
    *,
    total: int | None = None,
    margin: float | None = None,
    method: str | None = None,
    min: int | None = None,
    max: int | None = None,
    confidence: float | None = None,
    proportion: float | None = None,
) -> Allocation:
    """``urval allocate``: spread ``total`` records (or the records a ``margin`` needs) over
    strata by ``method`` (proportional, neyman, optimal, equal or domain).

    ``method`` is proportional, ``confidence`` 0.95 and ``proportion`` 0.5 unless given, as
    the command's. ``strata``: the command's strata CSV (``stratum,population[,proportion][,cost]``), or a Polars
    DataFrame with those columns.
    """
    spec = _given(
        total=total,
        margin=margin,
        method=method,
        min=min,
        max=max,
        confidence=confidence,
        proportion=proportion,
    )
    if isinstance(strata, pl.DataFrame):
        spec["strata"] = strata.to_dicts()
    else:
        spec["strata_file"] = os.fspath(strata)
    return Allocation(json.loads(_urval.allocate(json.dumps(spec))))


class Plan:
    """A plan (plan.json): what :func:`plan` wrote or :meth:`Plan.read` read.

    ``text`` is the file as urval wrote it; ``data`` the same parsed; ``strata`` one row per
    stratum (its values, population ``N`` and records ``n``). :meth:`save` writes the file.
    """

    def __init__(self, text: str, path: Path | None = None, allocation: Allocation | None = None,
                 quarantine_file: str | None = None, quarantine: pl.DataFrame | None = None):
        self.text = text
        self.data: dict[str, Any] = json.loads(text)
        self.path = path
        self.allocation = allocation
        self.quarantine_file = quarantine_file
        #: The quarantined rows (source file, row, reason, raw row), None when none were.
        self.quarantine = quarantine

    @classmethod
    def read(cls, path: PathLike) -> "Plan":
        """The plan in a plan.json file."""
        p = Path(path)
        return cls(p.read_text(encoding="utf-8"), p)

    def save(self, path: PathLike) -> Path:
        """Write plan.json, byte for byte as urval wrote it; the plan then lives there."""
        p = Path(path)
        p.write_text(self.text, encoding="utf-8", newline="")
        self.path = p
        return p

    @property
    def total_n(self) -> int:
        """The records to draw."""
        return int(self.data["total_n"])

    @property
    def total_population(self) -> int:
        """The records in the population."""
        return int(self.data["total_population"])

    @property
    def strata(self) -> pl.DataFrame:
        """One row per stratum: its values under the strata columns, ``population`` and ``n``."""
        cols = self.data["strata_columns"]
        rows = [
            {**{c: s["values"][c] for c in cols}, "population": s["population"], "n": s["n"]}
            for s in self.data["strata"]
        ]
        return pl.DataFrame(rows, schema={**{c: pl.String for c in cols}, "population": pl.UInt64, "n": pl.UInt64})

    def __repr__(self) -> str:
        return f"Plan(strata={len(self.data['strata'])}, total_n={self.total_n}, path={self.path})"


class _Scratch:
    """A temporary directory for outputs nobody asked to keep."""

    def __enter__(self) -> Path:
        self.dir = tempfile.mkdtemp(prefix="urval-")
        return Path(self.dir)

    def __exit__(self, *exc: Any) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


def _quarantine(q: str | None, scratch: Path) -> tuple[str | None, pl.DataFrame | None]:
    """The quarantined rows as a data frame (source file, row, reason, the raw row with its
    personal columns masked), and the file's path when it outlives the call (not in
    ``scratch``)."""
    if q is None or not Path(q).is_file():
        return None, None
    rows = pl.read_csv(q, infer_schema=False)
    kept = None if Path(q).resolve().is_relative_to(scratch.resolve()) else q
    return kept, rows


def plan(
    source: Source,
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
    **reading: Any,
) -> Plan:
    """``urval plan``: count the population per stratum of ``source``, size and allocate the
    request, and return the plan (written to ``output`` when given, as ``urval plan -o``).

    Keywords are the command's flags (``where`` is ``--where``, ``check`` ``--check``): the key
    and strata columns, then a target (``margin``, ``total``, ``tolerable_rate`` or
    ``purposes``) and the design (``allocation``: proportional, neyman, optimal, equal or
    domain; ``min``, ``max``, ``proportion``, ``confidence``, ``stages``…). An option left as
    ``None`` takes the command's default: ``confidence`` 0.95, ``allocation`` proportional,
    ``proportion`` 0.5, ``max_quarantine`` 0.01 (at most 1 % of the rows read quarantined).
    Rows that cannot be used are quarantined to a file beside the plan.

    >>> p = urval.plan("sample-data/journals-767.csv", key="case_id",
    ...                strata="municipality_code", margin=0.05)
    >>> p.total_n
    257
    """
    src, name, opts = _source(source, reading)
    req = _plan_request(locals())
    if output is not None:
        req["output"] = os.fspath(output)
        text, alloc, q = _urval.plan(src, name, opts, json.dumps(req))
        return Plan(text, Path(output), Allocation(json.loads(alloc)), q)
    with _Scratch() as d:
        req["output"] = str(d / "plan.json")
        text, alloc, q = _urval.plan(src, name, opts, json.dumps(req))
        return Plan(text, None, Allocation(json.loads(alloc)), *_quarantine(q, d))


_PLAN_KEYS = (
    "key", "strata", "where", "check", "margin", "total", "confidence", "allocation", "min",
    "max", "proportion", "pages_column", "requested", "allow_duplicate_keys", "stages",
    "first_fraction", "first_margin", "tolerable_rate", "expected_rate", "max_first",
    "purposes", "cost", "pages_per_record", "minutes_per_record", "hours_per_day", "personal",
    "max_quarantine",
)


def _plan_request(given: Mapping[str, Any]) -> dict[str, Any]:
    """The plan step's keys of ``urval.plan``'s (or ``urval.spark.plan``'s) arguments (names as
    lists, a single check as a list); the library's defaults fill the rest."""
    kw = {k: given.get(k) for k in _PLAN_KEYS}
    kw["strata"] = _names(kw["strata"])
    kw["personal"] = _names(kw["personal"])
    if isinstance(kw["check"], str):
        kw["check"] = [kw["check"]]
    return _given(**kw)


def _plan_path(plan: Plan | PathLike, scratch: Path) -> str:
    """Where the plan's file is: its path, or (a plan never saved) a copy in ``scratch``."""
    if isinstance(plan, Plan):
        if plan.path is not None and Path(plan.path).is_file():
            return str(plan.path)
        return str(plan.save(scratch / "plan.json"))
    return os.fspath(plan)


def _read_manifest(path: Path) -> pl.DataFrame:
    """A manifest urval wrote, as a data frame: Parquet as typed, CSV as text with the
    numbers (``prn``, ``inclusion_probability``, ``weight``) as floats."""
    if path.suffix.lower() == ".parquet":
        return pl.read_parquet(path)
    if path.suffix.lower() == ".csv":
        df = pl.read_csv(path, infer_schema=False, encoding="utf8-lossy")
        nums = [c for c in ("prn", "inclusion_probability", "weight") if c in df.columns]
        return df.with_columns(pl.col(nums).cast(pl.Float64))
    raise UrvalError(f"{path}: read the .xlsx manifest with a spreadsheet reader")


@dataclass(repr=False)
class Draw:
    """A draw: the ``manifest`` (key, strata, ``prn``, ``inclusion_probability``, ``weight`` and
    the included columns, in stratum and key order), its ``sidecar`` (seed, start, counts, the
    plan's checksum), where the manifest was written (``path``, None when not asked for) and
    the quarantine file, if any (``quarantine``: its rows, kept even when no file is)."""

    manifest: pl.DataFrame
    sidecar: dict[str, Any]
    path: Path | None = None
    quarantine_file: str | None = None
    quarantine: pl.DataFrame | None = None

    @property
    def selected(self) -> int:
        """Records drawn."""
        return int(self.sidecar["selected"])

    def __repr__(self) -> str:
        s = self.sidecar
        return (
            f"Draw(selected={self.selected}, seed={s.get('seed')}, strata={len(s.get('strata', []))}, "
            f"rows_read={s.get('rows_read')}, rows_quarantined={s.get('rows_quarantined')}, path={self.path})"
        )


def draw(
    source: Source,
    plan: Plan | PathLike,
    *,
    seed: int,
    start: float | None = None,
    only: str | None = None,
    include: str | Sequence[str] | None = None,
    output: PathLike | None = None,
    csv_dialect: str | None = None,
    lang: str | None = None,
    pseudonymize: str | None = None,
    secret_file: PathLike | None = None,
    stage: int | None = None,
    previous: PathLike | None = None,
    personal: str | Sequence[str] | None = None,
    max_quarantine: float | None = None,
    **reading: Any,
) -> Draw:
    """``urval draw``: the plan's records from ``source`` by permanent random numbers with
    ``seed`` (and ``start``), the same records whatever the row order, the split into files,
    the format or the data frame they come in.

    With ``output`` (``.csv``, ``.parquet`` or ``.xlsx``) the manifest and its sidecar are
    written byte for byte as ``urval draw -o`` writes them; the manifest is returned as a
    Polars DataFrame either way. ``only="COL=VALUE"`` draws one part (a municipality's);
    ``include`` copies further columns into the manifest. ``start`` is 0 and
    ``max_quarantine`` 0.01 (1 % of the rows read) unless given, as the command's.

    >>> d = urval.draw("sample-data/journals-767.csv", p, seed=20261123)
    >>> d.manifest.height
    257
    """
    src, name, opts = _source(source, reading)
    job = _given(
        seed=seed,
        start=start,
        only=only,
        include=_names(include),
        csv_dialect=csv_dialect,
        lang=lang,
        pseudonymize=pseudonymize,
        secret_file=secret_file,
        stage=stage,
        previous=previous,
        personal=_names(personal),
        max_quarantine=max_quarantine,
    )
    with _Scratch() as d:
        job["plan"] = _plan_path(plan, d)
        out = Path(output) if output is not None else d / "manifest.parquet"
        job["output"] = str(out)
        sidecar, q = _urval.draw(src, name, opts, json.dumps(job))
        manifest = _read_manifest(out)
        kept, rows = _quarantine(q, d)
    return Draw(manifest, json.loads(sidecar), Path(output) if output is not None else None, kept, rows)


class Verified(_Result):
    """A verification: ``identical`` (the manifest is exactly the draw), ``expected``, the
    records ``missing`` from and ``extra`` in the manifest, and ``text`` as the command prints."""

    def __bool__(self) -> bool:
        return bool(self._data["identical"])


def verify(
    source: Source,
    plan: Plan | PathLike,
    manifest: PathLike,
    *,
    seed: int | None = None,
    start: float | None = None,
    only: str | None = None,
    secret_file: PathLike | None = None,
    personal: str | Sequence[str] | None = None,
    **reading: Any,
) -> Verified:
    """``urval verify``: recompute the draw on ``source`` (the seed and start from the
    manifest's sidecar unless given) and compare it with ``manifest``."""
    src, name, opts = _source(source, reading)
    req = _given(
        manifest=manifest,
        seed=seed,
        start=start,
        only=only,
        secret_file=secret_file,
        personal=_names(personal),
    )
    with _Scratch() as d:
        p = _plan_path(plan, d)
        return Verified(json.loads(_urval.verify(src, name, opts, p, json.dumps(req))))


@dataclass(repr=False)
class Indicators:
    """An indicator table: ``table`` (one row per indicator and group, as ``urval indicators``
    writes it), its ``metadata``, the rows read, used, excluded and quarantined, where it was
    written (``path``) and the quarantine file, if any (``quarantine``: its rows, kept even when
    no file is)."""

    table: pl.DataFrame
    metadata: dict[str, Any]
    rows: dict[str, int] = field(default_factory=dict)
    path: Path | None = None
    quarantine_file: str | None = None
    quarantine: pl.DataFrame | None = None

    def __repr__(self) -> str:
        return f"Indicators(rows={self.table.height}, read={self.rows}, path={self.path})"


def indicators(
    source: Source,
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
    **reading: Any,
) -> Indicators:
    """``urval indicators``: the indicators of ``spec`` (TOML) over ``source`` per group of
    ``by``, a census, or with ``manifest`` design-weighted estimates from the drawn sample.
    ``small_area`` (one of ``by``) adds model-based estimates per area beside the direct
    ones (``small_area_covariates``: a CSV of area covariates for the Fay–Herriot model).
    With ``output`` (``.parquet``, ``.csv``, ``.json`` or ``.xlsx``) the table and its metadata
    are written as ``urval indicators -o`` writes them. An option left as ``None`` takes the
    command's default (``confidence`` 0.95, ``suppress_below`` 5, ``max_quarantine`` 0.01)."""
    src, name, opts = _source(source, reading)
    job = _indicators_job(locals())
    with _Scratch() as d:
        out = Path(output) if output is not None else d / "indicators.parquet"
        job["output"] = str(out)
        meta, q, counts = _urval.indicators(src, name, opts, json.dumps(job))
        metadata = json.loads(Path(meta).read_text(encoding="utf-8"))
        if out.suffix.lower() == ".parquet":
            table = pl.read_parquet(out)
        elif out.suffix.lower() == ".csv" and (csv_dialect in (None, "standard")):
            table = pl.read_csv(out, infer_schema_length=None)
        else:
            with _Scratch() as d2:
                job["output"] = str(d2 / "indicators.parquet")
                _urval.indicators(src, name, opts, json.dumps(job))
                table = pl.read_parquet(d2 / "indicators.parquet")
        kept, quarantined = _quarantine(q, d)
    rows = dict(zip(("read", "used", "excluded", "quarantined"), counts))
    return Indicators(table, metadata, rows, Path(output) if output is not None else None, kept, quarantined)


_INDICATORS_KEYS = (
    "spec", "by", "manifest", "where", "check", "ci", "confidence", "age_bands", "age", "key",
    "nonresponse", "allow_empty", "suppress_below", "max_groups", "small_area",
    "small_area_covariates", "secret_file", "csv_dialect", "lang", "personal", "max_quarantine",
)


def _indicators_job(given: Mapping[str, Any]) -> dict[str, Any]:
    """The indicators step's keys of ``urval.indicators``' (or ``urval.spark.indicators``')
    arguments (names as lists, a single check as a list); the library's defaults fill the
    rest."""
    kw = {k: given.get(k) for k in _INDICATORS_KEYS}
    kw["by"] = _names(kw["by"])
    kw["personal"] = _names(kw["personal"])
    if isinstance(kw["check"], str):
        kw["check"] = [kw["check"]]
    return _given(**kw)


def prn(expr: pl.Expr | str, *, seed: int) -> pl.Expr:
    """The permanent random number u in [0, 1) of each key, as PRN specification v1 defines
    it: u = (XXH3_64(key as UTF-8 text, seed) >> 11) / 2^53; integers as their decimal text,
    categories as their text, bytes as they are; null for a null key (any other type: cast it
    to ``pl.String`` first).
    A compiled Polars expression plugin, elementwise, so it works in lazy and streaming
    queries; unlike ``Expr.hash`` its values never change with a Polars version.

    >>> pl.DataFrame({"key": ["1", "2"]}).select(urval.prn(pl.col("key"), seed=1))
    """
    if isinstance(expr, str):
        expr = pl.col(expr)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**64:
        raise UrvalError(f"seed must be an unsigned 64-bit integer, got {seed!r}")
    return register_plugin_function(
        plugin_path=Path(_urval.__file__),
        function_name="prn",
        args=expr,
        kwargs={"seed": str(seed)},
        is_elementwise=True,
    )


# The stratified draw as a lazy Polars query (it uses the names above).
from .frame import sample  # noqa: E402
