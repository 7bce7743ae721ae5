# ScamWise: `make run` starts the bot, `make test` runs the suite. Both set up .venv first.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# The CPU build of PyTorch; installed before anything else so that no requirement pulls the
# several-GB CUDA wheels.
TORCH_SPEC ?= torch==2.13.0

.PHONY: run test install install-dev index check eval lint clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.torch: | $(PY)
	$(PY) -m pip install --quiet "$(TORCH_SPEC)"
	touch $@

$(VENV)/.installed: pyproject.toml $(VENV)/.torch
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.torch
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

## Build the search index when it is missing or stale (knowledge or model changed).
index: install
	$(PY) scripts/build_index.py --if-stale

## Validate the knowledge files only.
check: install
	$(PY) scripts/build_index.py --check

run: index
	$(PY) -m bot run

test: install-dev
	$(PY) -m pytest

eval: index
	$(PY) scripts/evaluate.py tests/data/dev_questions.yaml --mode all

lint: install-dev
	$(VENV)/bin/ruff check bot scripts tests
	$(VENV)/bin/ruff format --check bot scripts tests
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) knowledge/index .pytest_cache .mypy_cache .ruff_cache
