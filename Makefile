# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
TORCH ?= torch==2.13.0
RUN_DIR ?= runs/smoke-$(shell date +%Y%m%d-%H%M%S)

.PHONY: setup demo test test-slow lint clean bench-api bench-sweep bench-local bench-mnist bench-ray \
	bench-sdk bench-llamacpp bench-decode \
	mnist mysteries

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

bench-local: setup
	$(BIN)/debate prepare-model
	$(BIN)/python benchmarks/local_batching.py

# Issue 14: raw OpenAI SDK vs Model wrapper vs whole debates, interleaved.
bench-sdk: setup
	cd benchmarks && ../$(BIN)/python sdk_ratio.py

# Issue 14: the torch backend vs llama.cpp's server (LLAMA_SERVER=path/to/llama-server).
bench-llamacpp: setup
	$(BIN)/debate prepare-model
	$(BIN)/python benchmarks/local_vs_llamacpp.py

# Issue 14: one decoding step by number format, straight-line step vs transformers' layers.
bench-decode: setup
	$(BIN)/debate prepare-model
	$(BIN)/python benchmarks/decode_step.py

bench-ray: setup
	$(BIN)/python benchmarks/ray_bench.py

bench-mnist: setup
	$(BIN)/python benchmarks/mnist_bench.py

# Issue 5: Irving et al. 2018 sparse-pixel MNIST debate (trains and caches its judges once).
mnist: setup
	$(BIN)/debate eval --preset irving-mnist --out runs/irving-mnist-$(shell date +%Y%m%d-%H%M%S)

# Issue 6: hidden-passage debate with the local model (installs and prepares it once).
mysteries: setup
	$(BIN)/debate prepare-model
	$(BIN)/debate eval --preset mysteries-local --out runs/mysteries-local-$(shell date +%Y%m%d-%H%M%S)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
