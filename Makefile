# Two commands set everything up on a fresh machine:
#   make eval   create/reuse .venv, install, run the gold set through the reference engine
#   make test   create/reuse .venv, install with test extras, run the tests
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
EXTRAS ?= dev,hf,judges,mlflow,review

export DEEPEVAL_TELEMETRY_OPT_OUT := 1
export DEEPEVAL_DISABLE_DOTENV := 1
export RAGAS_DO_NOT_TRACK := true
export HF_HUB_OFFLINE := 1
export MPLBACKEND := Agg

.PHONY: eval test install lint clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-core: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e ".[$(EXTRAS)]"
	touch $@

install: $(VENV)/.installed-core

eval: $(VENV)/.installed-core
	$(BIN)/navis-eval run --engine evals/engines/reference.yaml --label reference

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest -n 2 -q

lint: $(VENV)/.installed-test
	$(BIN)/ruff check navis_eval tests
	$(BIN)/mypy navis_eval

bench: $(VENV)/.installed-test
	$(BIN)/python -m benchmarks.bench_startup
	$(BIN)/python -m benchmarks.bench_engine_run
	$(BIN)/python benchmarks/bench_checks.py --answers 300
	$(BIN)/python -m benchmarks.bench_scoring --counts 1000 20000
	$(BIN)/python -m benchmarks.bench_vs_ragas

clean:
	rm -rf $(VENV) .navis-cache reports/runs
