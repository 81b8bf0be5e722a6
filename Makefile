# One entry point for people and CI. `make run` and `make test` are the README's two commands:
# each builds everything it needs from a fresh clone (venv, Python deps, the Rust extension).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export VIRTUAL_ENV := $(CURDIR)/$(VENV)
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: setup run test test-rust test-python lint bench-smoke bench ci

$(VENV)/.deps: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "maturin>=1.5,<2"
	$(PY) -m pip install --quiet $$($(PY) scripts/list_deps.py)
	touch $@

# Builds the Rust extension (release, it is the hot path) into the venv.
setup: $(VENV)/.deps
	$(VENV)/bin/maturin develop --release --quiet
	$(PY) -c "import pyengine._core"

run: setup
	$(VENV)/bin/pyengine run

test: setup test-rust test-python

test-rust:
	cargo test --workspace --quiet

test-python:
	scripts/ensure_postgres.sh >/dev/null
	$(PY) -m pytest -q -p no:cacheprovider tests

lint: setup
	$(VENV)/bin/ruff format --check pyengine tests benches
	$(VENV)/bin/ruff check pyengine tests benches
	$(VENV)/bin/mypy --strict
	$(VENV)/bin/lint-imports --no-cache
	$(PY) -m mypy.stubtest pyengine._core --ignore-disjoint-bases --allowlist .ci/stubtest-allowlist.txt
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --quiet -- -D warnings

# Comparison baselines for the benchmarks only (never a runtime dependency).
$(VENV)/.bench-deps: $(VENV)/.deps
	$(PY) -m pip install --quiet "nautilus_trader>=1.200"
	touch $@

# Short benchmark run for CI: every benchmark once, ratios printed and asserted.
bench-smoke: setup $(VENV)/.bench-deps
	$(PY) -m pytest -q -p no:cacheprovider -s benches --benchmark-columns=min,median,max,ops

# The full variants: restart over 1M and 10M generated journal rows, 20 SIGKILLs in a row.
bench: setup $(VENV)/.bench-deps
	BENCH_RESTART_ROWS=1000000,10000000 $(PY) -m pytest benches --benchmark-columns=min,median,mean,max,ops
	PYENGINE_KILLS=20 $(PY) -m pytest -q -p no:cacheprovider -s tests/integration/test_kill_restart.py tests/integration/test_kill_hedger_process.py
	cargo bench --workspace

ci: test lint bench-smoke
