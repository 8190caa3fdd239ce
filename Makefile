# Two commands matter: `make run` and `make test`. Both build .venv from nothing on first use.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench clean

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/broadcaster demo

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check broadcaster tests benchmarks audio
	$(BIN)/mypy broadcaster

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_tts.py

clean:
	rm -rf $(VENV) var build *.egg-info
