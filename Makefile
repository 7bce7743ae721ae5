# ScamWise: `make run` starts the bot, `make test` runs the suite. Both set up .venv first.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# PyTorch is only needed to build the index (it exports the model to ONNX and embeds with it);
# the bot answers with ONNX Runtime. Its CPU build is installed before anything else, so that
# no requirement pulls the several-GB CUDA wheels: from PyTorch's CPU wheel index where it can
# be reached, otherwise from the package index (the `+cpu` build, or on macOS, where PyPI's
# wheel is the CPU build, the plain one). A CUDA package (nvidia-*) in the venv stops the
# install with an error.
TORCH_VERSION ?= 2.13.0
TORCH_CPU_INDEX ?= https://download.pytorch.org/whl/cpu
PIP_QUICK := --quiet --timeout 20 --retries 1

.PHONY: run test install install-dev index check eval lint clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.torch: | $(PY)
	$(PY) -m pip install $(PIP_QUICK) --index-url $(TORCH_CPU_INDEX) "torch==$(TORCH_VERSION)" \
	|| $(PY) -m pip install --quiet "torch==$(TORCH_VERSION)+cpu" \
	|| { [ "$$(uname -s)" = Darwin ] && $(PY) -m pip install --quiet "torch==$(TORCH_VERSION)"; }
	@if $(PY) -m pip list 2>/dev/null | grep -qi '^nvidia-'; then \
		echo "error: CUDA packages (nvidia-*) are in $(VENV); remove it and run make again" >&2; \
		exit 1; fi
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
