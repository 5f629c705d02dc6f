# urval — the README's commands. `make demo` and `make test` do all set-up on a fresh machine.
SHELL := /bin/bash
CARGO ?= cargo
TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)
URVAL := $(TARGET_DIR)/release/urval
DEMO_OUT ?= out/demo

.PHONY: all build test test-python demo bench bench-peers bench-python dup-memory fmt clean ensure-chromium

all: build

build:
	$(CARGO) build --release --bin urval

# Formatting, every declared dependency used where it is declared, lints (warnings are
# errors) and every test in the workspace, the report's
# browser test included (it needs Chromium: installed from Debian's packages if missing).
test: ensure-chromium
	$(CARGO) fmt --all --check
	scripts/check-deps.sh
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) test --workspace
	$(MAKE) test-python

# urval for Python (crates/python): a fresh virtual environment with the pinned packages of
# crates/python/requirements-test.txt from PyPI, the package built into it by maturin, and
# its tests (against the urval binary of the same build) and the Python guide's examples.
PYENV := $(abspath $(TARGET_DIR))/python-env
test-python:
	rm -rf $(PYENV)
	python3 -m venv $(PYENV)
	$(PYENV)/bin/pip install --quiet -r crates/python/requirements-test.txt
	$(CARGO) build --bin urval
	cd crates/python && VIRTUAL_ENV=$(PYENV) PATH=$(PYENV)/bin:$$PATH maturin develop --quiet
	URVAL=$(abspath $(TARGET_DIR))/debug/urval $(PYENV)/bin/pytest -q crates/python/tests

# The duplicate-key check's memory budget: 30 M rows, every key twice, under 1 GB resident.
dup-memory: build
	URVAL=$(URVAL) scripts/dup-memory.sh 30000000 1024

# The main job on sample-data/: size the seed case, then plan, draw and verify a request
# for elderly-care journals from the 20,000-case sample extract; outputs land in $(DEMO_OUT).
demo: build
	@mkdir -p $(DEMO_OUT)
	@echo "== urval size: ±5 points at 95 % on 767 elderly-care journals, against a request of all 767"
	$(URVAL) size --margin 0.05 --confidence 0.95 --population 767 --requested 767
	@echo
	@echo "== urval size: show a deviation rate below 10 % with 95 % confidence (no deviation expected)"
	$(URVAL) size --tolerable-rate 0.10 --expected-deviations 0 --confidence 0.95 --population 767
	@echo
	@echo "== urval evaluate: 3 deviations found in 29 reviewed journals"
	$(URVAL) evaluate --sample 29 --deviations 3 --population 767 --tolerable-rate 0.10 || [ $$? -eq 1 ]
	@echo "(exit 1: a data finding, the rate cannot be shown to be below 10 %)"
	@echo
	@echo "== urval allocate: Neyman allocation of 600 records over sample-data/strata.csv, at least 30 each"
	$(URVAL) allocate --strata sample-data/strata.csv --total 600 --method neyman --min 30 --requested 2000
	@echo
	@echo "== urval plan: elderly care, ±3 points nationally (proportional over municipalities), against a request of 2,000 journals"
	$(URVAL) plan --extract sample-data/cases.parquet --key case_id --strata municipality_code \
	  --where "area = 'aldre'" --margin 0.03 --allocation proportional --min 2 --pages-column pages \
	  --requested 2000 -o $(DEMO_OUT)/plan.json
	@echo
	@echo "== urval draw: the plan's records, reproducibly (seed 20261123)"
	$(URVAL) draw --extract sample-data/cases.parquet --plan $(DEMO_OUT)/plan.json --seed 20261123 \
	  --include sex,opened_date,pages -o $(DEMO_OUT)/manifest.csv
	@echo
	@echo "== urval verify: the other side recomputes the draw from its CSV copy of the extract"
	$(URVAL) verify --extract sample-data/cases.csv --plan $(DEMO_OUT)/plan.json --manifest $(DEMO_OUT)/manifest.csv
	@echo
	@echo "== urval draw --only: Stockholm (0180) draws its own part on its own extract"
	$(URVAL) draw --extract sample-data/cases.csv --plan $(DEMO_OUT)/plan.json --seed 20261123 \
	  --only municipality_code=0180 -o $(DEMO_OUT)/manifest-0180.csv
	@echo
	@echo "== urval report: the seed's case, 767 elderly-care journals, ±5 points at 95 %"
	$(URVAL) plan --extract sample-data/journals-767.csv --key case_id --strata municipality_code \
	  --margin 0.05 --pages-column pages --requested 767 -o $(DEMO_OUT)/plan-767.json
	$(URVAL) draw --extract sample-data/journals-767.csv --plan $(DEMO_OUT)/plan-767.json --seed 20261123 \
	  -o $(DEMO_OUT)/manifest-767.csv
	$(URVAL) report --plan $(DEMO_OUT)/plan-767.json --manifest $(DEMO_OUT)/manifest-767.csv -o $(DEMO_OUT)/report-767.html
	$(URVAL) report --plan $(DEMO_OUT)/plan-767.json --manifest $(DEMO_OUT)/manifest-767.csv --lang en -o $(DEMO_OUT)/report-767.md
	@echo
	@echo "== urval run: the nightly batch (plan → draw → verify → indicators, census and sample → report sv/en)"
	$(URVAL) run pipeline/nightly.toml --outputs $(DEMO_OUT)/nightly
	@echo
	@echo "demo outputs in $(DEMO_OUT):"
	@echo "  plan.json, manifest.csv (+ manifest.csv.draw.json), manifest-0180.csv"
	@echo "  report-767.html (sv), report-767.md (en): the seed's case"
	@echo "  nightly/: plan, manifest, verify.txt, indicators-census.parquet, indicators-sex-age.csv,"
	@echo "           indicators-sample.parquet, report-sv.html, report-en.html, report-en.md, run-manifest.json"

ensure-chromium:
	@{ command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; } && command -v pdftoppm >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium and poppler-utils for the report's browser and print tests"; \
	  SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium poppler-utils >/dev/null; }

bench:
	$(CARGO) bench -p urval-benches

# urval vs DuckDB and Polars (Python), one run, as a matrix: plan, draw and two indicator
# specs over a 20 M-row Parquet file, a 2 M-row CSV and the same CSV in 8 files; the peers'
# numbers are checked against urval's first; urval's peak RSS, and a 100 M-row run
# (BENCH_BIG_ROWS=0 leaves it out). Installs its own venv (.venv) from PyPI.
bench-peers:
	./scripts/bench-peers.sh

# urval from Python and on Spark against the command (docs/performance.md): the draw of the
# 20 M-row Parquet file from its path and from a Polars DataFrame, the Polars PRN expression
# against Polars' hash(), and the Spark draw (local[2]) against the command on 2 M rows; every
# manifest checked byte-identical first. Installs its own venv (.venv-python) from PyPI.
bench-python:
	./scripts/bench-python.sh

fmt:
	$(CARGO) fmt --all

clean:
	$(CARGO) clean
	rm -rf out bench-out
