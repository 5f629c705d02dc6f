#!/usr/bin/env python3
"""urval against DuckDB and Polars (Python) on the same files, in one run: a matrix.

Usage: scripts/bench_peers.py URVAL WORKDIR PARQUET CSV CSV_DIR [BIG_PARQUET]

Jobs (rows) x inputs (columns: a Parquet file, one large `;` CSV, the same CSV rows split
over the files of CSV_DIR), each cell urval, DuckDB and Polars, best of BENCH_REPEAT runs:

  * plan: the population of every municipality x area stratum and the duplicate-key check
    (`urval plan --total 60000`; the peers: a group-by count and count(distinct case_id));
  * draw: the plan's 60,000 records (`urval draw`; the peers: the rank of a hash of the key
    within each stratum, up to n_h);
  * indicators, plain: five indicators (three shares, one with a where, a share of a
    comparison, a mean) by municipality x area;
  * indicators, shipped: pipeline/indicators.toml (nine, with a median and ADD_MONTHS).

Before a time is printed the peers' numbers are checked against urval's: N_h and the
distinct keys, n_h of the sample, and every indicator's n, successes and estimate per group
(exactly; means and medians to 1e-12); and every manifest row's prn is recomputed from the
PRN specification with Python's xxhash. Peak RSS of every urval run is recorded, and of
`urval plan`, `draw` and `indicators` over BIG_PARQUET (100 M rows) when given.
A second, independent workload (B) is generated here with DuckDB, not by urval: a
Swedish-named extract of elderly and social care (`ärende_id` keys of 20 characters,
`län`, `enhet` with 2,000 units and names of 9 to 40 characters, `kategori`), booleans with
15 % and 30 % NULLs, dates with 25 % NULLs, and a five-indicator spec grouped once by `län`
(21 groups) and once by `enhet` (2,000 groups); plan and draw are stratified by
`län` × `kategori` (126 strata). Its rows: BENCH_B_ROWS (Parquet, default 20 M) and
BENCH_B_CSV_ROWS (CSV, default 2 M).

Prints the matrix of both workloads, worst ratio first; writes WORKDIR/bench-peers.json.
"""
import json
import os
import subprocess
import sys
import time

import duckdb
import polars as pl
import xxhash

REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))
STRATA = ["municipality_code", "area"]
HERE = os.path.dirname(os.path.abspath(__file__))
SHIPPED = os.path.join(HERE, "..", "pipeline", "indicators.toml")

PLAIN_SPEC = """
[[indicator]]
name = "child_heard"
kind = "share"
expr = "child_heard"
where = "area = 'barn_unga'"

[[indicator]]
name = "decision_communicated"
kind = "share"
expr = "decision_communicated"

[[indicator]]
name = "individual_plan"
kind = "share"
expr = "individual_plan"
where = "area = 'missbruk'"

[[indicator]]
name = "decided_in_120_days"
kind = "share"
expr = "decided_date <= opened_date + 120"
where = "decided_date IS NOT NULL"

[[indicator]]
name = "pages_per_record"
kind = "mean"
expr = "pages"
"""

PLAIN = [("child_heard", "share"), ("decision_communicated", "share"),
         ("individual_plan", "share"), ("decided_in_120_days", "share"),
         ("pages_per_record", "mean")]
SHIPPED_LIST = [
    ("investigation_within_4_months", "share"), ("assessment_within_14_days", "share"),
    ("child_heard", "share"), ("decision_communicated", "share"), ("individual_plan", "share"),
    ("executed_within_3_months", "share"), ("median_processing_days", "median"),
    ("open_past_deadline", "count"), ("pages_per_record", "mean"),
]

DUCK_PLAIN = """
select municipality_code::varchar as municipality_code, area::varchar as area,
  count(child_heard) filter (where area = 'barn_unga') as n_child_heard,
  count(*) filter (where area = 'barn_unga' and child_heard) as s_child_heard,
  count(decision_communicated) as n_decision_communicated,
  count(*) filter (where decision_communicated) as s_decision_communicated,
  count(individual_plan) filter (where area = 'missbruk') as n_individual_plan,
  count(*) filter (where area = 'missbruk' and individual_plan) as s_individual_plan,
  count(*) filter (where decided_date is not null) as n_decided_in_120_days,
  count(*) filter (where decided_date is not null and decided_date <= opened_date + 120) as s_decided_in_120_days,
  count(pages) as n_pages_per_record,
  avg(pages) as v_pages_per_record
from {src} group by all
"""

DUCK_SHIPPED = """
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
from {src} group by all
"""


def polars_plain(lf):
    c = pl.col
    barn, miss, decided = c("area") == "barn_unga", c("area") == "missbruk", c("decided_date").is_not_null()
    days = (c("decided_date") - c("opened_date")).dt.total_days()
    return lf.group_by(STRATA).agg(
        (barn & c("child_heard").is_not_null()).sum().alias("n_child_heard"),
        (barn & c("child_heard")).sum().alias("s_child_heard"),
        c("decision_communicated").is_not_null().sum().alias("n_decision_communicated"),
        c("decision_communicated").sum().alias("s_decision_communicated"),
        (miss & c("individual_plan").is_not_null()).sum().alias("n_individual_plan"),
        (miss & c("individual_plan")).sum().alias("s_individual_plan"),
        decided.sum().alias("n_decided_in_120_days"),
        (decided & (days <= 120)).sum().alias("s_decided_in_120_days"),
        c("pages").count().alias("n_pages_per_record"),
        c("pages").mean().alias("v_pages_per_record"),
    )


def polars_shipped(lf):
    c = pl.col
    barn, decided = c("area") == "barn_unga", c("decided_date").is_not_null()
    days = (c("decided_date") - c("opened_date")).dt.total_days()
    late_ok = c("granted") & (c("decided_date") <= c("extract_date").dt.offset_by("-3mo"))
    return lf.group_by(STRATA).agg(
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
    )


B_SPEC = """
[[indicator]]
name = "dokumenterad_barn"
kind = "share"
expr = "dokumenterad"
where = "kategori = 'IFO barn'"

[[indicator]]
name = "beslut_meddelat"
kind = "share"
expr = "beslut_meddelat"

[[indicator]]
name = "dokumenterad_lss"
kind = "share"
expr = "dokumenterad"
where = "kategori = 'LSS'"

[[indicator]]
name = "klar_inom_90"
kind = "share"
expr = "avslutad <= inkom + 90"
where = "avslutad IS NOT NULL"

[[indicator]]
name = "minuter"
kind = "mean"
expr = "minuter"
"""

B_LIST = [("dokumenterad_barn", "share"), ("beslut_meddelat", "share"), ("dokumenterad_lss", "share"),
          ("klar_inom_90", "share"), ("minuter", "mean")]

B_STRATA = ["län", "kategori"]

# Workload B's extract, from the row number alone (DuckDB's hash of it, salted per column):
# the same rows whatever the threads. Written once per row count and kept in WORKDIR.
B_ROWS_SQL = """
select
  'VÅRD-' || lpad(i::varchar, 10, '0') || '-' || lpad((hash(i, 'k') % 97)::varchar, 2, '0') as "ärende_id",
  ['01','03','04','05','06','07','08','09','10','12','13','14','17','18','19','20','21','22','23','24','25']
    [1 + (hash(i, 'l') % 21)::int] as "län",
  ['Hemtjänst ', 'Särskilt boende Åsen ', 'Daglig verksamhet ', 'Boendestöd öster ',
   'Korttidsvistelse för barn och unga ']
    [1 + ((hash(i, 'e') % 2000) % 5)::int] || lpad((hash(i, 'e') % 2000)::varchar, 4, '0') as enhet,
  ['hemtjänst', 'särskilt boende', 'LSS', 'IFO barn', 'IFO vuxna', 'socialpsykiatri']
    [1 + (hash(i, 'c') % 6)::int] as kategori,
  case when hash(i, 'd') % 100 < 30 then null else hash(i, 'd2') % 100 < 78 end as dokumenterad,
  case when hash(i, 'b') % 100 < 15 then null else hash(i, 'b2') % 100 < 88 end as beslut_meddelat,
  date '2023-01-01' + (hash(i, 'i') % 700)::int as inkom,
  case when hash(i, 'a') % 100 < 25 then null
       else date '2023-01-01' + (hash(i, 'i') % 700)::int + (hash(i, 'a2') % 200)::int end as avslutad,
  case when hash(i, 'm') % 100 < 10 then null else (hash(i, 'm2') % 2400)::int end as minuter
from range({rows}) t(i)
"""


def b_extract(con, work, rows, fmt):
    path = os.path.join(work, f"vard-{rows}.{fmt}")
    if not os.path.exists(path):
        print(f"generating workload B, {rows:,} rows → {path}", flush=True)
        opts = "(format parquet, row_group_size 131072)" if fmt == "parquet" else "(header, delimiter ';')"
        con.execute(f"copy ({B_ROWS_SQL.format(rows=rows)}) to '{path}.tmp' {opts}")
        os.replace(f"{path}.tmp", path)
    return path


def b_duck(by):
    g = ", ".join(f'"{c}"' for c in by)
    return f"""
select {g},
  count(dokumenterad) filter (where kategori = 'IFO barn') as n_dokumenterad_barn,
  count(*) filter (where kategori = 'IFO barn' and dokumenterad) as s_dokumenterad_barn,
  count(beslut_meddelat) as n_beslut_meddelat,
  count(*) filter (where beslut_meddelat) as s_beslut_meddelat,
  count(dokumenterad) filter (where kategori = 'LSS') as n_dokumenterad_lss,
  count(*) filter (where kategori = 'LSS' and dokumenterad) as s_dokumenterad_lss,
  count(*) filter (where avslutad is not null) as n_klar_inom_90,
  count(*) filter (where avslutad is not null and avslutad <= inkom + 90) as s_klar_inom_90,
  count(minuter) as n_minuter,
  avg(minuter) as v_minuter
from {{src}} group by all
"""


def b_polars(by):
    def agg(lf):
        c = pl.col
        barn, lss, done = c("kategori") == "IFO barn", c("kategori") == "LSS", c("avslutad").is_not_null()
        return lf.group_by(by).agg(
            (barn & c("dokumenterad").is_not_null()).sum().alias("n_dokumenterad_barn"),
            (barn & c("dokumenterad")).sum().alias("s_dokumenterad_barn"),
            c("beslut_meddelat").is_not_null().sum().alias("n_beslut_meddelat"),
            c("beslut_meddelat").sum().alias("s_beslut_meddelat"),
            (lss & c("dokumenterad").is_not_null()).sum().alias("n_dokumenterad_lss"),
            (lss & c("dokumenterad")).sum().alias("s_dokumenterad_lss"),
            done.sum().alias("n_klar_inom_90"),
            (done & ((c("avslutad") - c("inkom")).dt.total_days() <= 90)).sum().alias("s_klar_inom_90"),
            c("minuter").count().alias("n_minuter"),
            c("minuter").mean().alias("v_minuter"),
        )
    return agg


def workload_b(urval, work, con):
    """Workload B (module doc): its cells and its draw's decode floors."""
    rows_pq = int(os.environ.get("BENCH_B_ROWS", "20000000"))
    rows_csv = int(os.environ.get("BENCH_B_CSV_ROWS", "2000000"))
    spec = os.path.join(work, "vard.toml")
    open(spec, "w").write(B_SPEC)
    pq = b_extract(con, work, rows_pq, "parquet")
    csv = b_extract(con, work, rows_csv, "csv")
    inputs = {
        "Parquet B": (pq, f"read_parquet('{pq}')", lambda: pl.scan_parquet(pq)),
        "CSV B": (csv, f"read_csv('{csv}', delim=';', header=true, types={{'län': 'VARCHAR'}})",
                  lambda: pl.scan_csv(csv, separator=";", schema_overrides={"län": pl.Utf8}, try_parse_dates=True)),
    }
    cells, floors = [], []
    for label, (path, duck_src, scan) in inputs.items():
        ext = ["--extract", path]
        tag = lambda job: f"{job} · {label}"
        plan = os.path.join(work, f"plan-{os.path.basename(path)}.json")
        manifest = plan.replace(".json", ".manifest.csv")
        t_u, _ = best(lambda: urval_run(tag("plan"), [urval, "plan", *ext, "--key", "ärende_id", "--strata",
                                                     ",".join(B_STRATA), "--total", "60000", "-o", plan]))
        p = json.load(open(plan))
        want_N = {tuple(s["values"][c] for c in B_STRATA): s["population"] for s in p["strata"]}
        t_d, (dn, dd) = best(lambda: (con.sql(f'select "län", kategori, count(*) N from {duck_src} group by all').pl(),
                                      con.sql(f'select count(distinct "ärende_id") from {duck_src}').fetchall()[0][0]))
        t_p, (pn, pd) = best(lambda: (scan().group_by(B_STRATA).agg(pl.len().alias("N")).collect(),
                                      scan().select(pl.col("ärende_id").n_unique()).collect().item()))
        for name, df in [("DuckDB", dn), ("Polars", pn)]:
            assert {(r["län"], r["kategori"]): r["N"] for r in df.iter_rows(named=True)} == want_N, f"{label}: {name} N_h"
        assert dd == pd == p["rows_used"] and p["duplicate_keys"] == 0, f"{label}: distinct keys"
        cells.append(("plan", label, t_u, t_d, t_p))

        quotas = pl.DataFrame({"län": [k[0] for k in want_N], "kategori": [k[1] for k in want_N],
                               "quota": [next(s["n"] for s in p["strata"] if tuple(s["values"][c] for c in B_STRATA) == k)
                                         for k in want_N]})
        con.register("quotas_b", quotas.to_arrow())
        t_u, _ = best(lambda: urval_run(tag("draw"), [urval, "draw", *ext, "--plan", plan, "--seed", "20261207",
                                                     "-o", manifest]))
        t_d, ds = best(lambda: con.sql(f"""
            select s."län", s.kategori from (
              select "ärende_id", "län", kategori,
                     row_number() over (partition by "län", kategori order by hash("ärende_id")) as rn
              from {duck_src}) s
            join quotas_b q using ("län", kategori) where s.rn <= q.quota""").pl())
        t_p, ps = best(lambda: (
            scan().select("ärende_id", *B_STRATA)
            .with_columns(pl.col("ärende_id").hash(20261207).rank("ordinal").over(B_STRATA).alias("rn"))
            .join(quotas.lazy().with_columns(pl.col("quota").cast(pl.UInt32)), on=B_STRATA)
            .filter(pl.col("rn") <= pl.col("quota")).select(B_STRATA).collect()))
        want_n = {(a, b): q for a, b, q in quotas.iter_rows() if q > 0}
        for name, df in [("DuckDB", ds), ("Polars", ps)]:
            got = {(r["län"], r["kategori"]): r["n"] for r in df.group_by(B_STRATA).agg(pl.len().alias("n")).iter_rows(named=True)}
            assert got == want_n, f"{label}: {name}'s n_h differ from the plan's"
        m = pl.read_csv(manifest, schema_overrides={"län": pl.Utf8})
        assert m.height == p["total_n"], f"{label}: manifest rows"
        for key, u in zip(m["ärende_id"], m["prn"]):
            want = (xxhash.xxh3_64_intdigest(key.encode(), seed=20261207) >> 11) / 2.0**53
            assert u == want, f"{label}: prn of {key}: {u} != {want}"
        cells.append(("draw", label, t_u, t_d, t_p))
        cols = ["ärende_id"] + B_STRATA
        t_fd, fd = best(lambda: con.sql(f'select count(*), sum(strlen("ärende_id") + strlen("län") + strlen(kategori))'
                                        f" from {duck_src}").fetchall()[0])
        t_fp, fp = best(lambda: scan().select(pl.len(), sum(pl.col(c).str.len_bytes().cast(pl.Int64) for c in cols)
                                              .sum()).collect().row(0))
        assert fd[0] == fp[0] == p["rows_used"] and fd[1] == fp[1], f"{label}: the floor scans differ: {fd} {fp}"
        floors.append((label, t_u, t_fd, t_fp))

        for by, groups in [(["län"], "21"), (["enhet"], "2,000")]:
            job = f"indicators B by {by[0]} ({groups} groups)"
            out = os.path.join(work, f"ind-b-{by[0]}-{os.path.basename(path)}.parquet")
            t_u, _ = best(lambda: urval_run(tag(job), [urval, "indicators", *ext, "--spec", spec,
                                                       "--by", ",".join(by), "-o", out]))
            t_d, dres = best(lambda: con.sql(b_duck(by).format(src=duck_src)).pl())
            t_p, pres = best(lambda: b_polars(by)(scan()).collect())
            check_indicators(out, dres, B_LIST, f"{label} DuckDB {job}", by=by, minimum=20)
            check_indicators(out, pres, B_LIST, f"{label} Polars {job}", by=by, minimum=20)
            cells.append((job, label, t_u, t_d, t_p))
    return cells, floors


def best(fn):
    times, out = [], None
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


RSS = {}


def urval_run(tag, cmd):
    """Run urval under /usr/bin/time; keep the largest peak RSS of the tag (MB)."""
    r = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, capture_output=True, text=True)
    if r.returncode not in (0, 1):
        sys.exit(f"failed: {' '.join(cmd)}\n{r.stderr}")
    kb = int(r.stderr.strip().splitlines()[-1])
    RSS[tag] = max(RSS.get(tag, 0), kb / 1024)
    return r.stdout


def check_indicators(urval_out, peer, listing, name, by=STRATA, minimum=1000):
    u = pl.read_parquet(urval_out).filter(pl.col("level") == "group")
    got = {(r["indicator"], *(r[c] for c in by)): r for r in u.iter_rows(named=True)}
    checked = 0
    for r in peer.iter_rows(named=True):
        g = tuple(r[c] for c in by)
        for ind, kind in listing:
            n = r[f"n_{ind}"] or 0
            row = got.get((ind,) + g)
            if n == 0 and kind != "count":
                assert row is None or row["n"] == 0, f"{name}: {ind} {g}: urval has a row, the peer n = 0"
                continue
            assert row is not None, f"{name}: {ind} {g}: no urval row (peer n = {n})"
            if row.get("suppressed"):
                # A cell urval withholds by default (--suppress-below 5: a count of 1 to 4
                # people, or a cell that would give one away): nothing published to compare.
                continue
            assert row["n"] == n, f"{name}: {ind} {g}: n {row['n']} != {n}"
            if kind == "share":
                assert row["successes"] == r[f"s_{ind}"], f"{name}: {ind} {g}: successes differ"
                assert row["estimate"] == r[f"s_{ind}"] / n, f"{name}: {ind} {g}: estimate differs"
            elif kind in ("mean", "median"):
                v = float(r[f"v_{ind}"])
                assert abs(row["estimate"] - v) <= 1e-12 * max(1.0, abs(v)), f"{name}: {ind} {g}: {row['estimate']} != {v}"
            checked += 1
    assert checked > minimum, f"{name}: only {checked} indicator groups compared"


def main():
    urval, work, parquet, csv, csv_dir = sys.argv[1:6]
    big = sys.argv[6] if len(sys.argv) > 6 else None
    os.makedirs(work, exist_ok=True)
    plain_spec = os.path.join(work, "plain.toml")
    open(plain_spec, "w").write(PLAIN_SPEC)
    threads = os.cpu_count()
    con = duckdb.connect()
    con.execute(f"PRAGMA threads={threads}")
    csv_files = sorted(os.path.join(csv_dir, f) for f in os.listdir(csv_dir) if f.endswith(".csv"))
    types = "{'municipality_code': 'VARCHAR', 'case_id': 'VARCHAR'}"
    inputs = {
        "Parquet": ([parquet], f"read_parquet('{parquet}')", lambda: pl.scan_parquet(parquet)),
        "CSV": ([csv], f"read_csv('{csv}', delim=';', header=true, types={types})",
                lambda: pl.scan_csv(csv, separator=";", schema_overrides={"municipality_code": pl.Utf8},
                                    try_parse_dates=True)),
        "CSV × 8": (csv_files, f"read_csv('{csv_dir}/*.csv', delim=';', header=true, types={types})",
                    lambda: pl.scan_csv(f"{csv_dir}/*.csv", separator=";",
                                        schema_overrides={"municipality_code": pl.Utf8}, try_parse_dates=True)),
    }
    cells = []
    floors = []
    for label, (files, duck_src, scan) in inputs.items():
        ext = ["--extract"] + files
        plan = os.path.join(work, f"plan-{len(files)}-{os.path.basename(files[0])}.json")
        manifest = plan.replace(".json", ".manifest.csv")
        tag = lambda job: f"{job} · {label}"

        # plan
        t_u, _ = best(lambda: urval_run(tag("plan"), [urval, "plan", *ext, "--key", "case_id", "--strata",
                                                     ",".join(STRATA), "--total", "60000", "-o", plan]))
        p = json.load(open(plan))
        want_N = {(s["values"]["municipality_code"], s["values"]["area"]): s["population"] for s in p["strata"]}
        t_d, (dn, dd) = best(lambda: (con.sql(f"select municipality_code::varchar m, area::varchar a, count(*) N from {duck_src} group by all").pl(),
                                      con.sql(f"select count(distinct case_id) from {duck_src}").fetchall()[0][0]))
        t_p, (pn, pd) = best(lambda: (scan().group_by(STRATA).agg(pl.len().alias("N")).collect(),
                                      scan().select(pl.col("case_id").n_unique()).collect().item()))
        assert {(r["m"], r["a"]): r["N"] for r in dn.iter_rows(named=True)} == want_N, f"{label}: DuckDB N_h"
        assert {(r["municipality_code"], r["area"]): r["N"] for r in pn.iter_rows(named=True)} == want_N, f"{label}: Polars N_h"
        assert dd == pd == p["rows_used"] and p["duplicate_keys"] == 0, f"{label}: distinct keys"
        cells.append(("plan", label, t_u, t_d, t_p))

        # draw
        quotas = pl.DataFrame({"municipality_code": [k[0] for k in want_N], "area": [k[1] for k in want_N],
                               "quota": [next(s["n"] for s in p["strata"] if (s["values"]["municipality_code"], s["values"]["area"]) == k) for k in want_N]})
        con.register("quotas", quotas.to_arrow())
        t_u, _ = best(lambda: urval_run(tag("draw"), [urval, "draw", *ext, "--plan", plan, "--seed", "20261123", "-o", manifest]))
        t_d, ds = best(lambda: con.sql(f"""
            select s.municipality_code, s.area from (
              select case_id, municipality_code::varchar municipality_code, area::varchar area,
                     row_number() over (partition by municipality_code, area order by hash(case_id)) as rn
              from {duck_src}) s
            join quotas q using (municipality_code, area) where s.rn <= q.quota""").pl())
        t_p, ps = best(lambda: (
            scan().select([pl.col("case_id")] + [pl.col(c).cast(pl.Utf8) for c in STRATA])
            .with_columns(pl.col("case_id").hash(20261123).rank("ordinal").over(STRATA).alias("rn"))
            .join(quotas.lazy().with_columns(pl.col("quota").cast(pl.UInt32)), on=STRATA)
            .filter(pl.col("rn") <= pl.col("quota")).select(STRATA).collect()))
        want_n = {k: v for k, v in zip(zip(quotas["municipality_code"], quotas["area"]), quotas["quota"]) if v > 0}
        for name, df in [("DuckDB", ds), ("Polars", ps)]:
            got = {(r["municipality_code"], r["area"]): r["n"] for r in df.group_by(STRATA).agg(pl.len().alias("n")).iter_rows(named=True)}
            assert got == want_n, f"{label}: {name}'s n_h differ from the plan's"
        m = pl.read_csv(manifest, schema_overrides={"municipality_code": pl.Utf8})
        assert m.height == p["total_n"], f"{label}: manifest rows"
        # The PRN specification (docs/reference/prn.md), recomputed here: u = (XXH3_64(key, seed) >> 11) / 2^53,
        # printed in shortest round-trip form, so it must read back as the same double.
        for key, u in zip(m["case_id"], m["prn"]):
            want = (xxhash.xxh3_64_intdigest(key.encode(), seed=20261123) >> 11) / 2.0**53
            assert u == want, f"{label}: prn of {key}: {u} != {want}"
        cells.append(("draw", label, t_u, t_d, t_p))
        # The decode floor: the fastest peer reading the draw's columns and nothing else.
        cols = ["case_id"] + STRATA
        # (Every value's bytes are summed: Parquet statistics answer a count or a max
        # without decoding a page.)
        t_fd, fd = best(lambda: con.sql(f"select count(*), sum(strlen(case_id) + strlen(municipality_code::varchar)"
                                        f" + strlen(area::varchar)) from {duck_src}").fetchall()[0])
        t_fp, fp = best(lambda: scan().select(pl.len(), sum(pl.col(c).cast(pl.Utf8).str.len_bytes().cast(pl.Int64)
                                                            for c in cols).sum()).collect().row(0))
        assert fd[0] == fp[0] == p["rows_used"] and fd[1] == fp[1], f"{label}: the floor scans differ: {fd} {fp}"
        floors.append((label, t_u, t_fd, t_fp))

        # indicators
        for job, spec, duck_q, pol, listing in [
            ("indicators, plain (5)", plain_spec, DUCK_PLAIN, polars_plain, PLAIN),
            ("indicators, shipped (9)", SHIPPED, DUCK_SHIPPED, polars_shipped, SHIPPED_LIST),
        ]:
            out = os.path.join(work, f"ind-{len(files)}-{os.path.basename(files[0])}-{len(listing)}.parquet")
            t_u, _ = best(lambda: urval_run(tag(job), [urval, "indicators", *ext, "--spec", spec,
                                                       "--by", ",".join(STRATA), "-o", out]))
            t_d, dres = best(lambda: con.sql(duck_q.format(src=duck_src)).pl())
            t_p, pres = best(lambda: pol(scan().with_columns(pl.col("municipality_code").cast(pl.Utf8),
                                                              pl.col("area").cast(pl.Utf8))).collect())
            check_indicators(out, dres, listing, f"{label} DuckDB {job}")
            check_indicators(out, pres, listing, f"{label} Polars {job}")
            cells.append((job, label, t_u, t_d, t_p))

    b_cells, b_floors = workload_b(urval, work, con)
    cells += b_cells
    floors += b_floors

    big_rss = {}
    if big:
        bplan = os.path.join(work, "plan-big.json")
        for job, cmd in [
            ("plan", [urval, "plan", "--extract", big, "--key", "case_id", "--strata", ",".join(STRATA),
                      "--total", "60000", "-o", bplan]),
            ("draw", [urval, "draw", "--extract", big, "--plan", bplan, "--seed", "1", "-o",
                      os.path.join(work, "manifest-big.csv")]),
            ("indicators, plain (5)", [urval, "indicators", "--extract", big, "--spec", plain_spec, "--by",
                                      ",".join(STRATA), "-o", os.path.join(work, "ind-big.parquet")]),
            ("indicators, shipped (9)", [urval, "indicators", "--extract", big, "--spec", SHIPPED, "--by",
                                        ",".join(STRATA), "-o", os.path.join(work, "ind-big9.parquet")]),
        ]:
            t0 = time.perf_counter()
            urval_run(f"{job} · 100 M", cmd)
            big_rss[job] = (time.perf_counter() - t0, RSS[f"{job} · 100 M"])

    rows = []
    for job, label, t_u, t_d, t_p in cells:
        peer = min(t_d, t_p)
        rows.append({"job": job, "input": label, "urval_s": t_u, "duckdb_s": t_d, "polars_s": t_p,
                     "urval_over_faster_peer": t_u / peer, "urval_peak_rss_mb": RSS.get(f"{job} · {label}")})
    worst = max(rows, key=lambda r: r["urval_over_faster_peer"])
    bestc = min(rows, key=lambda r: r["urval_over_faster_peer"])
    prow = pl.read_parquet(parquet, columns=["case_id"]).height
    crow = sum(1 for _ in open(csv, "rb")) - 1
    print(f"urval vs DuckDB {duckdb.__version__} and Polars {pl.__version__}, {threads} threads, best of {REPEAT};"
          f" Parquet {prow:,} rows, CSV {crow:,} rows ({os.path.getsize(csv) / 1e6:.0f} MB; and in {len(csv_files)} files)")
    print(f"worst: urval takes {worst['urval_over_faster_peer']:.2f}× the faster peer's time on {worst['job']} · {worst['input']};"
          f" best: {bestc['urval_over_faster_peer']:.2f}× on {bestc['job']} · {bestc['input']}")
    print()
    print("| job | input | urval | DuckDB | Polars | urval ÷ faster peer | urval peak RSS |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for r in sorted(rows, key=lambda r: -r["urval_over_faster_peer"]):
        print(f"| {r['job']} | {r['input']} | {r['urval_s']:.2f} s | {r['duckdb_s']:.2f} s | {r['polars_s']:.2f} s"
              f" | {r['urval_over_faster_peer']:.2f} | {r['urval_peak_rss_mb']:.0f} MB |")
    print()
    print("| draw against the fastest scan of its columns (key and strata) | urval draw | DuckDB scan | Polars scan | draw ÷ fastest scan |")
    print("|---|---:|---:|---:|---:|")
    for label, t_u, t_fd, t_fp in floors:
        print(f"| {label} | {t_u:.2f} s | {t_fd:.2f} s | {t_fp:.2f} s | {t_u / min(t_fd, t_fp):.2f} |")
    if big_rss:
        print()
        print("| urval over 100 M rows (Parquet) | time | peak RSS |")
        print("|---|---:|---:|")
        for job, (t, mb) in big_rss.items():
            print(f"| {job} | {t:.1f} s | {mb:.0f} MB |")
    print()
    print("checks passed: the peers' N_h, distinct keys, n_h and every indicator per group equal urval's;"
          " every manifest prn equals the PRN specification's (Python xxhash)")
    json.dump({"threads": threads, "duckdb": duckdb.__version__, "polars": pl.__version__, "repeat": REPEAT,
               "cells": rows,
               "draw_floor": [{"input": l, "urval_draw_s": a, "duckdb_scan_s": b, "polars_scan_s": c} for l, a, b, c in floors],
               "big": {k: {"seconds": v[0], "peak_rss_mb": v[1]} for k, v in big_rss.items()}},
              open(os.path.join(work, "bench-peers.json"), "w"), indent=2)


if __name__ == "__main__":
    main()
