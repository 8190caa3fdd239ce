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

# Speech pipeline, then the station pull (serve vs nginx; fetches nginx and wrk with apt-get
# download into benchmarks/.cache if needed) and the emergency announcement; a few minutes.
# Quicker: make bench PULL_ARGS="--stations 2000" ANNOUNCE_ARGS="--stations 2000 --clients 200"
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_tts.py
	$(BIN)/python benchmarks/bench_pull.py $(PULL_ARGS)
	$(BIN)/python benchmarks/bench_announce.py $(ANNOUNCE_ARGS)

clean:
	rm -rf $(VENV) var build *.egg-info
