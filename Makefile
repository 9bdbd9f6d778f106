# seqlab: `make repro` sets up .venv from requirements.txt and runs the pipeline; `make test` runs the tests.
VENV ?= .venv
PY := $(VENV)/bin/python
# The stamp lives in the checkout: requirements.txt installs this checkout in editable mode,
# so a venv reused from elsewhere (CI caches one) is re-pointed here once.
STAMP := .venv-stamp
export MLFLOW_DISABLE_TELEMETRY := true
export PATH := $(abspath $(VENV))/bin:$(PATH)

.PHONY: repro test bench mlflow-ui

$(STAMP): requirements.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip==26.3
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

repro: $(STAMP)
	dvc repro

test: $(STAMP)
	$(PY) -m pytest -q -n auto --dist loadgroup

bench: $(STAMP)
	$(PY) benchmarks/bench_cells.py --out benchmarks/recorded/cells.json
	$(PY) benchmarks/bench_parallel.py --out benchmarks/results/parallel.json
	$(PY) benchmarks/bench_mnist.py --out benchmarks/results/mnist.json

mlflow-ui: $(STAMP)
	mlflow ui --backend-store-uri sqlite:///$(CURDIR)/mlflow.db --host 127.0.0.1 --port 5000
