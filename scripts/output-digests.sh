#!/usr/bin/env bash
# Digests of what urval writes on the sample data: every file of `make demo` (plan, draw,
# verify, reports, the nightly pipeline), the municipality's package and the review loop,
# and what each command printed. Two builds that print the same digests write the same
# bytes: run it before and after a change that must not alter outputs and diff the two.
#   scripts/output-digests.sh [URVAL-BINARY] > digests.txt
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$(realpath "${1:-$root/target/release/urval}")
work="$root/target/output-digests"   # a fixed path: outputs that name their directory compare
rm -rf "$work" && mkdir -p "$work"
export SOURCE_DATE_EPOCH=1764547200 NO_COLOR=1
cp -rp "$root/sample-data" "$root/pipeline" "$work/"   # -p: `urval run` dates its outputs by its inputs
cd "$work"
out=demo
log() { echo "\$ urval $*" >>"$work/printed.txt"; "$bin" "$@" >>"$work/printed.txt" 2>&1 || echo "exit $?" >>"$work/printed.txt"; }
mkdir -p $out
log size --margin 0.05 --confidence 0.95 --population 767 --requested 767
log size --tolerable-rate 0.10 --expected-deviations 0 --confidence 0.95 --population 767
log evaluate --sample 29 --deviations 3 --population 767 --tolerable-rate 0.10
log evaluate --sample 29 --deviations 3 --population 767 --tolerable-rate 0.10 --format json
log allocate --strata sample-data/strata.csv --total 600 --method neyman --min 30 --requested 2000
log plan --extract sample-data/cases.parquet --key case_id --strata municipality_code \
  --where "area = 'aldre'" --margin 0.03 --allocation proportional --min 2 --pages-column pages \
  --requested 2000 -o $out/plan.json
log draw --extract sample-data/cases.parquet --plan $out/plan.json --seed 20261123 \
  --include sex,opened_date,pages -o $out/manifest.csv
log draw --extract sample-data/cases.csv --plan $out/plan.json --seed 20261123 \
  --include sex,opened_date,pages -o $out/manifest-csv.parquet
log verify --extract sample-data/cases.csv --plan $out/plan.json --manifest $out/manifest.csv
log draw --extract sample-data/cases.csv --plan $out/plan.json --seed 20261123 \
  --only municipality_code=0180 -o $out/manifest-0180.csv
log plan --extract sample-data/journals-767.csv --key case_id --strata municipality_code \
  --margin 0.05 --pages-column pages --requested 767 -o $out/plan-767.json
log draw --extract sample-data/journals-767.csv --plan $out/plan-767.json --seed 20261123 \
  -o $out/manifest-767.csv
log report --plan $out/plan-767.json --manifest $out/manifest-767.csv -o $out/report-767.html
log report --plan $out/plan-767.json --manifest $out/manifest-767.csv --lang en -o $out/report-767.md
log plan --extract sample-data/cases.parquet --key case_id --strata area --purposes sample-data/purposes.toml \
  -o $out/plan-purposes.json
log draw --extract sample-data/cases.parquet --plan $out/plan-purposes.json --seed 7 \
  --include municipality_code --split-by municipality_code --out-dir $out/package -o $out/manifest-purposes.csv
log plan --extract sample-data/cases.parquet --key case_id --strata area --tolerable-rate 0.10 \
  --stages 2 -o $out/plan-staged.json
log draw --extract sample-data/cases.parquet --plan $out/plan-staged.json --seed 11 -o $out/manifest-staged.csv
log indicators --extract sample-data/cases.parquet --spec pipeline/indicators.toml --by area \
  -o $out/indicators.csv
log indicators --extract sample-data/cases.parquet --spec pipeline/indicators.toml --by area \
  --manifest $out/manifest.csv --key case_id -o $out/indicators-sample.csv
log validate --extract sample-data/kommun-export.csv --personnummer personnummer
log run pipeline/nightly.toml --outputs $out/nightly
# Every command the README and the guide show, each page in a directory of its own (the
# municipality's page continues the README's), as the documentation test runs them.
commands() {  # the `$ urval …` lines of a page's console blocks, continuations joined
  awk '/^```console/ {b=1; next}
       /^```/ {b=0; next}
       b && !c && /^\$ urval / {c=1; l=""}
       b && c {x=$0; more=(x ~ /\\$/); if (more) sub(/\\$/, "", x); l=l x; if (!more) {print substr(l, 3); c=0}}' "$1"
}
for page in "$root/README.md" "$root"/docs/guide/*.md; do
  name=$(basename "$page" .md)
  dir="$work/pages/$name"; [ "$name" = municipality ] && dir="$work/pages/README"
  mkdir -p "$dir" && cp -rnp "$root/sample-data" "$root/pipeline" "$dir/"
  while IFS= read -r cmd; do
    echo "\$ $cmd" >>"$work/printed.txt"
    (cd "$dir" && eval "\"\$bin\" ${cmd#urval }") >>"$work/printed.txt" 2>&1 || echo "exit $?" >>"$work/printed.txt"
  done < <(commands "$page")
done
# A run's clock times and durations are the only bytes that differ from run to run.
find "$work" -name 'run-manifest.json' -exec sed -i -E 's/"(seconds|elapsed[a-z_]*|duration[a-z_]*)": [0-9.e+-]+/"\1": 0/g; s/"(started|finished)": "[^"]*"/"\1": ""/g' {} +
sed -i -E 's/\([0-9]+\.[0-9]+ s\)/(… s)/g; s/[0-9]+\.[0-9]+ s\b/… s/g' "$work/printed.txt"
# The lock of `urval run` holds its process id.
cd "$work" && python3 - <<'PY'
import hashlib, os
for dirpath, dirs, files in os.walk("."):
    dirs[:] = [d for d in dirs if d not in ("sample-data", "pipeline")]
for path in sorted(os.path.join(d, f) for d, _, fs in os.walk(".") for f in fs
                   if "/sample-data/" not in d + "/" and "/pipeline/" not in d + "/" and f != "lock"):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    print(h.hexdigest(), path)
PY
