# The two commands a newcomer needs: `make serve` and `make test`. Both create .venv and
# install what they need once (re-run only when pyproject.toml changes).

PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
PIP     = $(PY) -m pip
PORT   ?= 6379
PYTEST_ARGS ?=

.PHONY: serve test lint typecheck bench clean compiled serve-compiled test-compiled

$(VENV)/.stamp-all: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[all]'
	touch $@

$(VENV)/.stamp-dev: $(VENV)/.stamp-all
	$(PIP) install -q -e '.[all,dev]'
	$(PIP) install -q --no-deps 'redisai>=1.3'
	touch $@

serve: $(VENV)/.stamp-all
	$(VENV)/bin/pyredisai-server --bind 127.0.0.1 --port $(PORT)

test: $(VENV)/.stamp-dev
	$(PY) -m pytest $(PYTEST_ARGS)

# The compiled build (setup.py: the request path compiled with mypyc), installed into its
# own folder that PYTHONPATH puts ahead of the editable source install. Rebuilt whenever a
# source changes, so it never runs stale code.
COMPILED  = build/compiled
SOURCES  := $(shell find src -name '*.py') setup.py pyproject.toml
RUN_COMPILED = PYTHONPATH=$(CURDIR)/$(COMPILED)

$(COMPILED)/.stamp: $(VENV)/.stamp-dev $(SOURCES)
	rm -rf $(COMPILED) build/wheels build/lib* build/bdist*
	PYREDISAI_USE_MYPYC=1 $(PIP) wheel -q --no-deps --no-build-isolation -w build/wheels .
	$(PIP) install -q --no-deps --target $(COMPILED) build/wheels/pyredisai-*.whl
	touch $@

compiled: $(COMPILED)/.stamp

serve-compiled: $(COMPILED)/.stamp
	$(RUN_COMPILED) $(PY) -m pyredisai --bind 127.0.0.1 --port $(PORT)

test-compiled: $(COMPILED)/.stamp
	$(RUN_COMPILED) PYREDISAI_EXPECT_BUILD=mypyc $(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.stamp-dev
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks

typecheck: $(VENV)/.stamp-dev
	$(VENV)/bin/mypy

bench: $(COMPILED)/.stamp
	$(RUN_COMPILED) $(PY) -m benchmarks all

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
