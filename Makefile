# The two set-up commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Every Python 3.10-3.13 that pyenv has, for tox.
INTERPRETERS := $(wildcard $(HOME)/.pyenv/versions/3.1[0-3].*/bin/python3)

.PHONY: venv test bench demo load lint package tox clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test,dev]'
	touch $@

venv: $(BIN)/.installed

# Every test, with branch coverage of the package and its floor (pyproject's [tool.coverage]).
test: venv
	$(BIN)/coverage run -m pytest
	$(BIN)/coverage report

bench: venv
	$(BIN)/python testproject/bench.py

load: venv
	$(BIN)/python testproject/load.py

demo: venv
	$(BIN)/python testproject/demo.py

lint: venv
	$(BIN)/ruff check .
	$(BIN)/mypy

package: venv
	rm -rf dist
	$(BIN)/python -m build --outdir dist . >/dev/null
	$(BIN)/twine check --strict dist/*

# The matrix without the real-server tests, which `make test` runs once.
tox: venv
	$(BIN)/tox run-parallel --parallel 2 --parallel-no-spinner $(if $(INTERPRETERS),--discover $(INTERPRETERS)) -- -q -m "not servers"

clean:
	rm -rf $(VENV) build dist *.egg-info .tox
