# The README's two commands are `make demo` and `make test`; both start with `make setup`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
SOHOA := $(VENV)/bin/sohoa

.PHONY: setup demo test test-fast bench bench-intake lint clean

setup:
	@bash scripts/setup.sh

demo: setup
	$(SOHOA) demo

test: setup
	@bash scripts/services.sh
	$(VENV)/bin/pytest -q

test-fast: setup
	$(VENV)/bin/pytest -q -m "not slow"

bench: setup
	$(PY) bench/run.py

bench-intake: setup
	$(PY) bench/intake.py

lint: setup
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

clean:
	rm -rf sohoa-data bench-out .pytest_cache
