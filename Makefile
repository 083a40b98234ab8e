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

# With TEST_DATABASE_URL set, the SQLite and PostgreSQL halves run at once (tests/conftest.py);
# each lists its 15 slowest tests, to keep both halves inside CI's time.
test: $(VENV)/.dev-deps translations
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
	  echo "make test: the SQLite and PostgreSQL halves run at once"; \
	  OLTWATCH_TEST_BACKEND=postgresql $(PY) -m pytest -q --durations=15 -p no:cacheprovider \
	    > .pytest-postgresql.log 2>&1 & pg=$$!; \
	  OLTWATCH_TEST_BACKEND=sqlite $(PY) -m pytest -q --durations=15; lite=$$?; \
	  wait $$pg; post=$$?; \
	  echo "--- the PostgreSQL half:"; cat .pytest-postgresql.log; \
	  echo "make test: SQLite half exit $$lite, PostgreSQL half exit $$post"; \
	  [ $$lite -eq 0 ] && [ $$post -eq 0 ]; \
	else \
	  $(PY) -m pytest -q --durations=15; \
	fi

lint: $(VENV)/.dev-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV) instance
