# Two commands matter: `make run` and `make test`. Both build .venv from nothing on first use.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test tools lint bench fuzz-api clean

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# The example province, offline (espeak), served on http://127.0.0.1:8080 until Ctrl-C.
run: $(STAMP)
	BROADCASTER_ENGINES=espeak $(BIN)/broadcaster demo
	BROADCASTER_ENGINES=espeak $(BIN)/broadcaster serve

test: $(STAMP) tools
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Programs the tests drive that no wheel ships: a real player (mpv) for the M3U8 test.
# Installed from Debian when running as root (CI); otherwise named in a clear error.
TOOLS := mpv chromium
tools:
	@for tool in $(TOOLS); do command -v $$tool >/dev/null && continue; \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing $$tool (Debian package) for the tests"; \
	    export DEBIAN_FRONTEND=noninteractive; apt-get install -y -q $$tool >/dev/null \
	      || { apt-get update -q >/dev/null && apt-get install -y -q $$tool >/dev/null; } \
	      || exit 1; \
	  else echo "make test needs $$tool: run 'sudo apt-get install $$tool'"; exit 1; fi; done

lint: $(STAMP)
	$(BIN)/ruff check broadcaster tests benchmarks audio
	$(BIN)/mypy broadcaster

# Speech pipeline, then the station pull (serve vs nginx; fetches nginx and wrk with apt-get
# download into benchmarks/.cache if needed) and the emergency announcement; a few minutes.
# Quicker: make bench PULL_ARGS="--stations 2000" ANNOUNCE_ARGS="--stations 2000 --clients 200"
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_tts.py
	$(BIN)/python benchmarks/bench_publish.py
	$(BIN)/python benchmarks/bench_pull.py $(PULL_ARGS)
	$(BIN)/python benchmarks/bench_announce.py $(ANNOUNCE_ARGS)
	$(BIN)/python benchmarks/bench_signin.py $(SIGNIN_ARGS)

# The station API fuzzed by schemathesis against a real serve of the demo province: about 7
# minutes (demo set-up, then 300 s of fuzzing); fails on any 500, failure or crash.
# Shorter: make fuzz-api FUZZ_ARGS="--seconds 60"
fuzz-api: $(STAMP)
	$(BIN)/python benchmarks/fuzz_api.py $(FUZZ_ARGS)

clean:
	rm -rf $(VENV) var build *.egg-info
