# The two set-up commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The MCP SDK 2.x client of the MCP end to end (django-mcp-server needs mcp<2 in $(VENV)).
MCP_CLIENT_VENV ?= .venv-mcp-client
# Every Python 3.10-3.13 that pyenv has, for tox.
INTERPRETERS := $(wildcard $(HOME)/.pyenv/versions/3.1[0-3].*/bin/python3)

.PHONY: venv test bench demo load faults lint package tox clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test,dev]'
	touch $@

$(MCP_CLIENT_VENV)/bin/.installed: testproject/mcp-client-requirements.txt
	$(PYTHON) -m venv $(MCP_CLIENT_VENV)
	$(MCP_CLIENT_VENV)/bin/pip install -q --upgrade pip
	$(MCP_CLIENT_VENV)/bin/pip install -q -r testproject/mcp-client-requirements.txt
	touch $@

venv: $(BIN)/.installed $(MCP_CLIENT_VENV)/bin/.installed

# Every test, with branch coverage of the package and its floor (pyproject's [tool.coverage]).
test: venv
	$(BIN)/coverage run -m pytest
	$(BIN)/coverage report

bench: venv
	$(BIN)/python testproject/bench.py

load: venv
	$(BIN)/python testproject/load.py

faults: venv
	$(BIN)/python testproject/faults.py

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
	rm -rf $(VENV) $(MCP_CLIENT_VENV) build dist *.egg-info .tox
