# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
TORCH ?= torch==2.13.0
RUN_DIR ?= runs/smoke-$(shell date +%Y%m%d-%H%M%S)

.PHONY: setup demo test test-slow lint clean bench-api bench-sweep

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# torch first, pinned: its CPU wheel here; anything looser resolved later pulls CUDA.
	$(BIN)/python -m pip install --quiet $(TORCH)
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(BIN)/debate eval --preset smoke --out $(RUN_DIR)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/pytest -q

test-slow: setup
	$(BIN)/pytest -q -m slow

bench-api: setup
	$(BIN)/python benchmarks/api_bench.py

bench-sweep: setup
	$(BIN)/python benchmarks/sweep_bench.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
