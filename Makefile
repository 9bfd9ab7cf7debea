# Two commands on a fresh machine: `make demo` (set up, then the main job) and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: setup demo test lint bench clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# the CPU wheel on this machine's disk; installed first so nothing pulls a CUDA build
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(VENV)/bin/c2kd-analyze run

lint: setup
	$(PY) -m ruff check c2kd_analyze tests benchmarks
	$(PY) -m ruff format --check c2kd_analyze tests benchmarks
	$(PY) -m mypy

# everything: the fast set and the slow tests (pytest alone runs the fast set)
test: setup lint
	# bytecode once (an editable install has none): the slow tests start hundreds of processes
	$(PY) -m compileall -q c2kd_analyze
	$(PY) -m pytest -q -m ""

bench: setup
	$(PY) benchmarks/run.py --quick

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
