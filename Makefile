# qualcore — build, test, demo and benchmarks.  Only Rust and Python >= 3.11 are assumed:
# everything else is installed into .venv from the package registries.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
DEPS := $(VENV)/.deps-installed
BENCH_DEPS := $(VENV)/.bench-deps-installed
export PYO3_PYTHON := $(abspath $(PY))
export VIRTUAL_ENV := $(abspath $(VENV))

.PHONY: all build demo test test-rust test-python lint bench bench-full clean chromium

all: build

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(DEPS): requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# The extension, built in release mode and installed editable into .venv.
build: $(DEPS)
	$(VENV)/bin/maturin develop --release --quiet

demo: build
	$(PY) -m qualcore.demo --out demo-output

lint: $(DEPS)
	cargo fmt --all --check
	cargo clippy --all-targets -- -D warnings
	cargo clippy --all-targets --features python -- -D warnings

test-rust:
	cargo test --quiet

# Debian's chromium for the report's browser tests (~15 s, 124 MB); when it cannot be installed
# (not root, no apt-get) the browser tests skip and say why.
chromium:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  timeout 600 apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -q --no-install-recommends chromium >/dev/null; } \
	  || echo "chromium not installed: the browser tests will be skipped"

test-python: build chromium
	$(PY) -m mypy.stubtest qualcore._native --allowlist stubtest-allowlist.txt
	$(PY) -m pytest -q

test: lint test-rust test-python

$(BENCH_DEPS): requirements-bench.txt $(DEPS)
	$(PY) -m pip install --quiet -r requirements-bench.txt
	touch $@

# Quick benchmarks (16 MB Gutenberg); `make bench-full` runs the 256 MB set.
bench: build $(BENCH_DEPS)
	$(PY) benchmarks/run.py --size 16mb
	$(PY) benchmarks/refi.py
	$(PY) benchmarks/reading.py --size 16mb
	$(PY) benchmarks/cooc.py --size 16mb
	$(PY) benchmarks/cli_bench.py --size 16mb

bench-full: build $(BENCH_DEPS)
	$(PY) benchmarks/run.py --size 256mb
	$(PY) benchmarks/refi.py
	$(PY) benchmarks/reading.py --size 256mb
	$(PY) benchmarks/cooc.py --size 256mb
	$(PY) benchmarks/cli_bench.py --size 256mb
	$(PY) benchmarks/dask_bench.py

clean:
	cargo clean
	rm -rf $(VENV) demo-output
