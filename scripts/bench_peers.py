#!/usr/bin/env python3
"""Time urval against DuckDB and Polars on the same generated extract, in one run.

Usage: scripts/bench_peers.py URVAL EXTRACT.parquet WORKDIR

Steps, each timed (best of --repeat runs) on the same file:
  * population counts per municipality x area: `urval plan` vs DuckDB / Polars group-by count;
  * the stratified draw of the plan (total 60,000, proportional): `urval draw` vs DuckDB
    `row_number() over (partition by strata order by hash(key)) <= n_h` and Polars
    `hash().rank().over(strata) <= n_h`;
  * a scan-only pass over the same three columns (Polars collecting them; DuckDB summing
    length() of each, which must decode every value: min/max/count come from metadata).
  * the shipped indicators (pipeline/indicators.toml: 9 indicators, shares, a median, a
    count and a mean) per municipality x area over the whole extract: `urval indicators`
    vs one DuckDB query and one Polars group-by computing the same numbers.
Then checks: the peers' per-stratum counts equal the plan's N_h and n_h, Python's xxhash
reproduces urval's permanent random numbers from the documented spec, and urval's census
indicators equal DuckDB's exactly (n and successes; means and medians to 1e-12).
Prints times and ratios; writes WORKDIR/bench-peers.json.
"""
import json
import os
import resource
import subprocess
import sys
import time

import duckdb
import polars as pl
import xxhash

REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))


def best(fn, repeat=REPEAT):
    times = []
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{r.stderr}")
    return r.stdout


def peak_rss_kb(cmd):
    r = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, capture_output=True, text=True)
    if r.returncode != 0:
        return None
    return int(r.stderr.strip().splitlines()[-1])


# The shipped indicators, as (name, kind): DUCK_INDICATORS and polars_indicators compute,
# per municipality x area, n_<name> and s_<name> (shares), v_<name> (mean or median).
INDICATORS = [
    ("investigation_within_4_months", "share"), ("assessment_within_14_days", "share"),
    ("child_heard", "share"), ("decision_communicated", "share"), ("individual_plan", "share"),
    ("executed_within_3_months", "share"), ("median_processing_days", "median"),
    ("open_past_deadline", "count"), ("pages_per_record", "mean"),
]

DUCK_INDICATORS = """
select municipality_code::varchar as municipality_code, area::varchar as area,
  count(*) filter (where area = 'barn_unga' and decided_date is not null) as n_investigation_within_4_months,
  count(*) filter (where area = 'barn_unga' and decided_date is not null
                   and decided_date <= opened_date + interval 4 month) as s_investigation_within_4_months,
  count(received_date) filter (where area = 'barn_unga') as n_assessment_within_14_days,
  count(*) filter (where area = 'barn_unga' and opened_date - received_date <= 14) as s_assessment_within_14_days,
  count(child_heard) filter (where area = 'barn_unga') as n_child_heard,
  count(*) filter (where area = 'barn_unga' and child_heard) as s_child_heard,
  count(decision_communicated) filter (where decided_date is not null) as n_decision_communicated,
  count(*) filter (where decided_date is not null and decision_communicated) as s_decision_communicated,
  count(*) filter (where area = 'missbruk') as n_individual_plan,
  count(*) filter (where area = 'missbruk' and individual_plan) as s_individual_plan,
  count(*) filter (where granted and decided_date <= extract_date - interval 3 month) as n_executed_within_3_months,
  count(*) filter (where granted and decided_date <= extract_date - interval 3 month
                   and executed_date <= decided_date + interval 3 month) as s_executed_within_3_months,
  count(*) filter (where decided_date is not null) as n_median_processing_days,
  median(decided_date - opened_date) filter (where decided_date is not null) as v_median_processing_days,
  count(*) filter (where area = 'barn_unga' and decided_date is null
                   and extract_date > opened_date + interval 4 month) as n_open_past_deadline,
  count(pages) as n_pages_per_record,
  avg(pages) as v_pages_per_record
from read_parquet('{extract}') group by all
"""


def polars_indicators(extract):
    c = pl.col
    barn, decided = c("area") == "barn_unga", c("decided_date").is_not_null()
    days = (c("decided_date") - c("opened_date")).dt.total_days()
    late_ok = c("granted") & (c("decided_date") <= c("extract_date").dt.offset_by("-3mo"))
    return (pl.scan_parquet(extract)
            .with_columns(c("municipality_code").cast(pl.Utf8), c("area").cast(pl.Utf8))
            .group_by(["municipality_code", "area"])
            .agg(
                (barn & decided).sum().alias("n_investigation_within_4_months"),
                (barn & decided & (c("decided_date") <= c("opened_date").dt.offset_by("4mo"))).sum()
                .alias("s_investigation_within_4_months"),
                (barn & c("received_date").is_not_null()).sum().alias("n_assessment_within_14_days"),
                (barn & ((c("opened_date") - c("received_date")).dt.total_days() <= 14)).sum()
                .alias("s_assessment_within_14_days"),
                (barn & c("child_heard").is_not_null()).sum().alias("n_child_heard"),
                (barn & c("child_heard")).sum().alias("s_child_heard"),
                (decided & c("decision_communicated").is_not_null()).sum().alias("n_decision_communicated"),
                (decided & c("decision_communicated")).sum().alias("s_decision_communicated"),
                (c("area") == "missbruk").sum().alias("n_individual_plan"),
                ((c("area") == "missbruk") & c("individual_plan")).sum().alias("s_individual_plan"),
                late_ok.sum().alias("n_executed_within_3_months"),
                (late_ok & (c("executed_date") <= c("decided_date").dt.offset_by("3mo"))).sum()
                .alias("s_executed_within_3_months"),
                decided.sum().alias("n_median_processing_days"),
                days.filter(decided).median().alias("v_median_processing_days"),
                (barn & c("decided_date").is_null()
                 & (c("extract_date") > c("opened_date").dt.offset_by("4mo"))).sum().alias("n_open_past_deadline"),
                c("pages").count().alias("n_pages_per_record"),
                c("pages").mean().alias("v_pages_per_record"),
            ))


def check_indicators(urval_out, peer, name):
    """urval's census rows per municipality x area equal the peer's numbers."""
    u = pl.read_parquet(urval_out).filter(pl.col("level") == "group")
    got = {(r["indicator"], r["municipality_code"], r["area"]): r for r in u.iter_rows(named=True)}
    checked = 0
    for r in peer.iter_rows(named=True):
        g = (r["municipality_code"], r["area"])
        for ind, kind in INDICATORS:
            n = r[f"n_{ind}"] or 0
            row = got.get((ind,) + g)
            if n == 0 and kind != "count":
                assert row is None or row["n"] == 0, f"{name}: {ind} {g}: urval has a row, the peer n = 0"
                continue
            assert row is not None, f"{name}: {ind} {g}: no urval row (peer n = {n})"
            assert row["n"] == n, f"{name}: {ind} {g}: n {row['n']} != {n}"
            if kind == "share":
                assert row["successes"] == r[f"s_{ind}"], f"{name}: {ind} {g}: successes differ"
                assert row["estimate"] == r[f"s_{ind}"] / n, f"{name}: {ind} {g}: estimate differs"
            elif kind in ("mean", "median"):
                v = float(r[f"v_{ind}"])
                assert abs(row["estimate"] - v) <= 1e-12 * max(1.0, abs(v)), f"{name}: {ind} {g}: {row['estimate']} != {v}"
            checked += 1
    assert checked > 1000, f"{name}: only {checked} indicator groups compared"


def main():
    urval, extract, work = sys.argv[1], sys.argv[2], sys.argv[3]
    os.makedirs(work, exist_ok=True)
    plan = os.path.join(work, "plan.json")
    manifest = os.path.join(work, "manifest.csv")
    strata = ["municipality_code", "area"]
    threads = os.cpu_count()
    con = duckdb.connect()
    con.execute(f"PRAGMA threads={threads}")
    results = {"rows": None, "threads": threads}

    t_plan, _ = best(lambda: run([urval, "plan", "--extract", extract, "--key", "case_id",
                                   "--strata", ",".join(strata), "--total", "60000",
                                   "--allocation", "proportional", "-o", plan]))
    p = json.load(open(plan))
    results["rows"] = p["rows_read"]
    quotas = pl.DataFrame({
        "municipality_code": [s["values"]["municipality_code"] for s in p["strata"]],
        "area": [s["values"]["area"] for s in p["strata"]],
        "population": [s["population"] for s in p["strata"]],
        "quota": [s["n"] for s in p["strata"]],
    })
    con.register("quotas", quotas.to_arrow())

    t_duck_count, duck_counts = best(lambda: con.sql(
        f"select municipality_code, area, count(*) as N from read_parquet('{extract}') group by all").pl())
    t_polars_count, polars_counts = best(lambda: pl.scan_parquet(extract).group_by(strata)
                                         .agg(pl.len().alias("N")).collect())

    t_draw, _ = best(lambda: run([urval, "draw", "--extract", extract, "--plan", plan,
                                   "--seed", "20261123", "-o", manifest]))
    t_duck_draw, duck_sample = best(lambda: con.sql(f"""
        select s.case_id, s.municipality_code, s.area from (
          select case_id, municipality_code, area,
                 row_number() over (partition by municipality_code, area order by hash(case_id)) as rn
          from read_parquet('{extract}')) s
        join quotas q using (municipality_code, area) where s.rn <= q.quota""").pl())
    t_polars_draw, polars_sample = best(lambda: (
        pl.scan_parquet(extract).select([pl.col("case_id")] + [pl.col(c).cast(pl.Utf8) for c in strata])
        .with_columns(pl.col("case_id").hash(20261123).rank("ordinal").over(strata).alias("rn"))
        .join(quotas.lazy().with_columns(pl.col("quota").cast(pl.UInt32)), on=strata)
        .filter(pl.col("rn") <= pl.col("quota")).select(["case_id"] + strata).collect()))

    t_scan_polars, _ = best(lambda: pl.scan_parquet(extract).select(["case_id"] + strata).collect())
    t_scan_duck, _ = best(lambda: con.sql(
        f"select sum(length(case_id)), sum(length(municipality_code)), sum(length(area)) from read_parquet('{extract}')").fetchall())

    spec = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pipeline", "indicators.toml")
    ind_out = os.path.join(work, "indicators.parquet")
    # A census reads no key column unless --key asks it to check keys (DuckDB reads none).
    t_ind, _ = best(lambda: run([urval, "indicators", "--extract", extract,
                                  "--spec", spec, "--by", ",".join(strata), "-o", ind_out]))
    t_ind_key, _ = best(lambda: run([urval, "indicators", "--extract", extract, "--key", "case_id",
                                      "--spec", spec, "--by", ",".join(strata), "-o", ind_out]))
    t_duck_ind, duck_ind = best(lambda: con.sql(DUCK_INDICATORS.format(extract=extract)).pl())
    t_polars_ind, polars_ind = best(lambda: polars_indicators(extract).collect())
    check_indicators(ind_out, duck_ind, "DuckDB")
    check_indicators(ind_out, polars_ind, "Polars")

    rss_kb = peak_rss_kb([urval, "draw", "--extract", extract, "--plan", plan, "--seed", "20261123",
                          "-o", os.path.join(work, "manifest-rss.csv")])

    # Checks: populations and sample sizes agree; the PRN spec reproduces urval's prn column.
    want_N = {(r["municipality_code"], r["area"]): r["population"] for r in quotas.iter_rows(named=True)}
    want_n = {(r["municipality_code"], r["area"]): r["quota"] for r in quotas.iter_rows(named=True)}
    got_N = {(r["municipality_code"], r["area"]): r["N"] for r in duck_counts.iter_rows(named=True)}
    assert got_N == want_N, "DuckDB's group-by counts differ from urval plan's N_h"
    got_N = {(r["municipality_code"], r["area"]): r["N"] for r in polars_counts.iter_rows(named=True)}
    assert got_N == want_N, "Polars' group-by counts differ from urval plan's N_h"
    for name, df in [("DuckDB", duck_sample), ("Polars", polars_sample)]:
        got = {}
        for r in df.group_by(strata).agg(pl.len().alias("n")).iter_rows(named=True):
            got[(r["municipality_code"], r["area"])] = r["n"]
        want = {k: v for k, v in want_n.items() if v > 0}
        diff = {k: (got.get(k), want.get(k)) for k in set(got) | set(want) if got.get(k) != want.get(k)}
        assert not diff, f"{name}'s sample sizes differ from the plan's n_h: {list(diff.items())[:5]}"
    m = pl.read_csv(manifest, schema_overrides={"municipality_code": pl.Utf8})
    assert m.height == p["total_n"]
    for key, prn in m.select(["case_id", "prn"]).head(1000).iter_rows():
        u = (xxhash.xxh3_64_intdigest(key.encode(), seed=20261123) >> 11) / 2**53
        assert u == prn, f"PRN spec mismatch for {key}: {u} != {prn}"

    results.update({
        "urval_plan_s": t_plan, "duckdb_count_s": t_duck_count, "polars_count_s": t_polars_count,
        "urval_draw_s": t_draw, "duckdb_draw_s": t_duck_draw, "polars_draw_s": t_polars_draw,
        "urval_indicators_s": t_ind, "urval_indicators_key_s": t_ind_key, "duckdb_indicators_s": t_duck_ind, "polars_indicators_s": t_polars_ind,
        "scan_polars_s": t_scan_polars, "scan_duckdb_s": t_scan_duck, "urval_draw_peak_rss_kb": rss_kb,
        "duckdb": duckdb.__version__, "polars": pl.__version__,
    })
    json.dump(results, open(os.path.join(work, "bench-peers.json"), "w"), indent=2)
    scan = min(t_scan_polars, t_scan_duck)
    print(f"extract: {extract} ({results['rows']:,} rows, {len(p['strata'])} strata), {threads} threads, best of {REPEAT}")
    print(f"  population counts: urval plan {t_plan:.2f} s | DuckDB {t_duck_count:.2f} s | Polars {t_polars_count:.2f} s"
          f"  → urval/DuckDB {t_plan / t_duck_count:.2f}")
    print(f"  stratified draw:   urval draw {t_draw:.2f} s | DuckDB {t_duck_draw:.2f} s | Polars {t_polars_draw:.2f} s"
          f"  → DuckDB/urval {t_duck_draw / t_draw:.1f}×, Polars/urval {t_polars_draw / t_draw:.1f}×")
    print(f"  scan only:         Polars {t_scan_polars:.2f} s | DuckDB {t_scan_duck:.2f} s"
          f"  → urval draw / fastest scan {t_draw / scan:.2f}")
    print(f"  indicators (9):    urval {t_ind:.2f} s ({t_ind_key:.2f} s with --key checks) | DuckDB {t_duck_ind:.2f} s"
          f" | Polars {t_polars_ind:.2f} s  → urval/DuckDB {t_ind / t_duck_ind:.2f}"
          f" ({t_ind_key / t_duck_ind:.2f} with --key), urval/Polars {t_ind / t_polars_ind:.2f}")
    if rss_kb:
        print(f"  urval draw peak RSS: {rss_kb / 1024:.0f} MB")
    print("  checks: peers' N_h and n_h equal the plan's; xxhash reproduces urval's prn (1,000 keys);"
          " census indicators equal DuckDB's and Polars' exactly")


if __name__ == "__main__":
    main()
