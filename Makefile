# The two set-up commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: venv test bench demo load lint clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

venv: $(BIN)/.installed

test: venv
	$(BIN)/pytest

bench: venv
	$(BIN)/python testproject/bench.py

load: venv
	$(BIN)/python testproject/load.py

demo: venv
	$(BIN)/python testproject/demo.py

clean:
	rm -rf $(VENV) build dist *.egg-info
