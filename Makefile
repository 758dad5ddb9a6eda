# `make demo` and `make test` are the two commands a new user runs on a fresh machine.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3
STAMP := $(VENV)/.installed

.PHONY: install test lint typecheck imports docs demo bench clean

$(STAMP): setup.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,docs]'
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(PY) -m ruff check basecrm_like tests benchmarks examples

typecheck: $(STAMP)
	$(PY) -m mypy basecrm_like tests/typing_example.py

imports: $(STAMP)
	$(VENV)/bin/lint-imports

# Most tests wait on servers, child processes and sockets rather than the CPU, so four
# workers finish well inside five minutes on two cores.
TEST_WORKERS ?= 4

test: lint typecheck imports
	$(PY) -m pytest -n $(TEST_WORKERS)

docs: $(STAMP)
	$(PY) -m sphinx -W --keep-going -q -b html docs docs/_build/html

# the demo needs the client, the command line and the mock only: a quick, quiet install
DEMO_STAMP := $(VENV)/.installed-demo

$(DEMO_STAMP): setup.py
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "installing basecrm_like[cli,mock] into $(VENV) ..."
	@$(PY) -m pip install -q -e '.[cli,mock]' >$(VENV)/pip-demo.log 2>&1 \
		|| { cat $(VENV)/pip-demo.log; exit 1; }
	@touch $(DEMO_STAMP)

demo: $(DEMO_STAMP)
	@$(PY) examples/demo.py

bench: $(STAMP)
	@for b in benchmarks/[!_]*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) docs/_build build dist *.egg-info
