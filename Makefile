# Two commands: `make run` (the whole system, embedded defaults) and `make test` (every test).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test lint translations clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.run-deps: requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-deps: requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.run-deps

translations: $(VENV)/.run-deps
	$(VENV)/bin/pybabel -q compile -d webapp/translations

run: $(VENV)/.run-deps translations
	OLTWATCH_EMBEDDED=1 $(PY) manage_cli.py devstack

test: $(VENV)/.dev-deps translations
	$(PY) -m pytest -q

lint: $(VENV)/.dev-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV) instance
