# urval — the README's commands. `make demo` and `make test` do all set-up on a fresh machine.
SHELL := /bin/bash
CARGO ?= cargo
URVAL := target/release/urval
DEMO_OUT ?= out/demo

.PHONY: all build test demo bench bench-peers fmt clean

all: build

build:
	$(CARGO) build --release --bin urval

# Formatting, lints (warnings are errors) and every test in the workspace.
test:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) test --workspace

# A real sizing session on sample-data/: the seed case, an audit size, an evaluation and
# an allocation over the sample strata; outputs land in $(DEMO_OUT).
demo: build
	@mkdir -p $(DEMO_OUT)
	@echo "== urval size: ±5 points at 95 % on 767 elderly-care journals, against a request of all 767"
	$(URVAL) size --margin 0.05 --confidence 0.95 --population 767 --requested 767
	@echo
	@echo "== urval size: show a deviation rate below 10 % with 95 % confidence (no deviation expected)"
	$(URVAL) size --tolerable-rate 0.10 --expected-deviations 0 --confidence 0.95 --population 767
	@echo
	@echo "== urval evaluate: 3 deviations found in 29 reviewed journals"
	$(URVAL) evaluate --sample 29 --deviations 3 --population 767 --tolerable-rate 0.10
	@echo
	@echo "== urval allocate: Neyman allocation of 600 records over sample-data/strata.csv, at least 30 each"
	$(URVAL) allocate --strata sample-data/strata.csv --total 600 --method neyman --min 30 --requested 2000
	$(URVAL) allocate --strata sample-data/strata.csv --margin 0.05 --method domain --format json > $(DEMO_OUT)/allocation-domain.json
	$(URVAL) size --margin 0.05 --population 767 --requested 767 --format json > $(DEMO_OUT)/size-767.json
	@echo
	@echo "demo outputs: $(DEMO_OUT)/allocation-domain.json $(DEMO_OUT)/size-767.json"

bench:
	$(CARGO) bench -p urval-benches

fmt:
	$(CARGO) fmt --all

clean:
	$(CARGO) clean
	rm -rf out bench-out
