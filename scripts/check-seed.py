#!/usr/bin/env python3
"""Check urval's commitment chain without urval (Python's standard library only):
   check-seed.py commitment.json plan.json RANDOMNESS [EXTRACT.csv MANIFEST.csv]
With the `xxhash` package and a plan without `where`, also redraw the sample from a
comma- or semicolon-separated extract and compare it with the manifest's keys."""
import csv, hashlib, json, sys

c = json.load(open(sys.argv[1], encoding="utf-8"))
plan_bytes = open(sys.argv[2], "rb").read()
text = "".join(f"{line}\n" for line in [
    "urval-commitment-v1", f"plan_sha256={c['plan_sha256']}",
    f"extract_fingerprint={c['extract_fingerprint']}", f"prn_spec_version={c['prn_spec_version']}",
    f"stage={c['stage']}", "previous=" + ",".join(p["sha256"] for p in c["previous"]),
    f"created={c['created']}"])
assert hashlib.sha256(text.encode()).hexdigest() == c["commitment"], "commitment altered"
assert hashlib.sha256(plan_bytes).hexdigest() == c["plan_sha256"], "not the plan committed to"
randomness = "".join(sys.argv[3].split())
digest = hashlib.sha256(f"urval-seed-v1:{c['commitment']}:{randomness}:{c['stage']}".encode())
seed = int.from_bytes(digest.digest()[:8], "big")
print(f"commitment {c['commitment']} holds; seed {seed}")
if len(sys.argv) > 5:
    import xxhash  # pip install xxhash
    plan = json.loads(plan_bytes)
    assert not plan["where"], "this script redraws plans without `where` only"
    rows = lambda f: csv.DictReader(open(f, encoding="utf-8-sig"), dialect=csv.Sniffer().sniff(open(f, encoding="utf-8-sig").readline(), ";,"))
    ranks = {}
    for r in rows(sys.argv[4]):
        u = (xxhash.xxh3_64_intdigest(r[plan["key"]].encode(), seed) >> 11) / 2**53
        ranks.setdefault(tuple(r[c] for c in plan["strata_columns"]), []).append((u % 1.0, r[plan["key"]]))
    drawn = {k for s in plan["strata"] for _, k in sorted(ranks[tuple(s["values"][c] for c in plan["strata_columns"])])[: s["n"]]}
    listed = {r[plan["key"]] for r in rows(sys.argv[5])}
    print("the draw is identical" if drawn == listed else f"{len(drawn ^ listed)} records differ")
