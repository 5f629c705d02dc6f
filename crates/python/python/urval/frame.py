"""The stratified draw as a lazy Polars query: :func:`sample` gives the records ``urval draw``
selects, as a ``LazyFrame`` that Polars plans, streams and optimises with the rest of a
query.

It is the PRN specification (docs/reference/prn.md) written in Polars: the permanent random
number of every key (:func:`urval.prn`), its rank from the start point, and per stratum the
n_h rows of smallest rank, equal ranks ordered by key bytes. Order sampling needs no state,
so the rows are the command's whatever the row order or the partitioning of the frame.

What it does not do, where ``urval.draw`` does: it does not prove the frame is the planned
extract (every stratum's N and key fingerprint), nor quarantine a row for an unreadable value
of a ``where`` or a check. Run :func:`urval.verify` on the result, or use ``urval.draw``,
when that proof is wanted.
"""

from __future__ import annotations

import os
from typing import Union

import polars as pl

from . import Plan, UrvalError, prn

TWO_POW_53 = 2**53


def _text(c: str) -> pl.Expr:
    return pl.col(c).cast(pl.String)


def sample(
    frame: Union[pl.LazyFrame, pl.DataFrame],
    plan: Union[Plan, str, "os.PathLike[str]"],
    *,
    seed: int,
    start: float = 0.0,
) -> pl.LazyFrame:
    """The records ``urval draw --plan PLAN --seed SEED --start START`` selects from the same
    rows, as a lazy query over ``frame``: its columns, each selected row once, plus ``prn``
    (the row's permanent random number u) and ``rank`` (its rank, an integer below 2^53).

    The plan's ``where`` and checks are applied with Polars SQL (``pl.sql_expr``), which reads
    the expressions urval writes (comparisons, ``AND``/``OR``/``NOT``, ``IN``, ``IS NULL``) as
    urval does; rows with an empty key or stratum are left out, as the command quarantines
    them. Strata and key values are compared as text, as urval reads them.

    >>> lf = pl.scan_parquet("sample-data/cases.parquet")
    >>> urval.sample(lf, "plan.json", seed=20261123).collect().height
    """
    p = plan if isinstance(plan, Plan) else Plan.read(plan)
    data = p.data
    if not 0 <= seed < 2**64:
        raise UrvalError(f"seed must be an unsigned 64-bit integer, got {seed}")
    key: str = data["key"]
    cols: list[str] = list(data["strata_columns"])
    lf = frame.lazy() if isinstance(frame, pl.DataFrame) else frame
    if not isinstance(lf, pl.LazyFrame):
        raise TypeError(f"frame: give a Polars LazyFrame or DataFrame, not {type(frame).__name__}")
    names = lf.collect_schema().names()
    missing = [c for c in [key, *cols] if c not in names]
    if missing:
        raise UrvalError(
            f"column(s) {', '.join(repr(c) for c in missing)} of the plan are not in the frame "
            f"(it has {', '.join(names)})"
        )
    # The rows the command quarantines for an empty key or stratum.
    for c in [key, *cols]:
        lf = lf.filter(_text(c).is_not_null() & (_text(c).str.len_bytes() > 0))
    # A check keeps TRUE and NULL (SQL CHECK); the where keeps TRUE.
    for check in data.get("checks") or []:
        lf = lf.filter(pl.sql_expr(check).fill_null(True))
    if data.get("where"):
        lf = lf.filter(pl.sql_expr(data["where"]).fill_null(False))
    quotas = pl.LazyFrame(
        {
            **{c: [s["values"][c] for s in data["strata"]] for c in cols},
            "__urval_n": [int(s["n"]) for s in data["strata"]],
        },
        schema={**{c: pl.String for c in cols}, "__urval_n": pl.UInt64},
    ).filter(pl.col("__urval_n") > 0)
    s = start % 1.0
    s53 = int(s * TWO_POW_53) % TWO_POW_53
    # The rank (u − s) mod 1 in units of 2^-53, exactly: u · 2^53 is an integer below 2^53.
    rank = (
        (pl.col("prn") * float(TWO_POW_53)).cast(pl.UInt64)
        + pl.lit(TWO_POW_53 - s53, pl.UInt64)
    ) % pl.lit(TWO_POW_53, pl.UInt64)
    keyed = lf.with_columns(
        [_text(c).alias(f"__urval_s{i}") for i, c in enumerate(cols)]
        + [_text(key).alias("__urval_key"), prn(_text(key), seed=seed).alias("prn")]
    ).with_columns(rank.alias("rank"))
    on = [f"__urval_s{i}" for i in range(len(cols))]
    quotas = quotas.rename({c: f"__urval_s{i}" for i, c in enumerate(cols)})
    picked = (
        keyed.join(quotas, on=on, how="inner")
        .sort(["rank", "__urval_key"])
        .filter(pl.int_range(pl.len()).over(on) < pl.col("__urval_n"))
    )
    return picked.drop([*on, "__urval_key", "__urval_n"])
