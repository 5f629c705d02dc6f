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
Then checks: the peers' per-stratum counts equal the plan's N_h and n_h, and Python's
xxhash reproduces urval's permanent random numbers from the documented spec.
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
    if rss_kb:
        print(f"  urval draw peak RSS: {rss_kb / 1024:.0f} MB")
    print("  checks: peers' N_h and n_h equal the plan's; xxhash reproduces urval's prn (1,000 keys)")


if __name__ == "__main__":
    main()
