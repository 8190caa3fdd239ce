# Two commands matter: `make run` and `make test`. Both build .venv from nothing on first use.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test test-fast test-hours check-install tools lint bench fuzz-api fuzz-inputs clean

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[server,test]'
	touch $(STAMP)

# The example province, offline (espeak), served on http://127.0.0.1:8080 until Ctrl-C.
run: $(STAMP)
	BROADCASTER_ENGINES=espeak $(BIN)/broadcaster demo
	BROADCASTER_ENGINES=espeak $(BIN)/broadcaster serve

test: $(STAMP) tools
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The loop while developing: everything but the tests marked slow (browsers, `serve` processes,
# fuzzers, long renders; see SLOW_PATHS in tests/conftest.py), stopping at the first failure.
# `make test` (and CI) still runs everything.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow" -x $(PYTEST_ARGS)

# The suite again under a fake clock (libfaketime) starting at four local hours
# (Asia/Ho_Chi_Minh), to prove that no test depends on the hour: SQLite only (the hour does not
# depend on the database, and the PostgreSQL server's clock cannot be faked), without the
# browser tests (Chromium loads no page under libfaketime) and without the text, speech and
# media stages, which never read the clock (tests/test_run_at_hours.py checks that they do
# not). See tests/run_at_hours.py.
HOURS ?= 00:30 06:59 16:30 23:59
HOURS_ARGS ?= -q -p no:cacheprovider --ignore=tests/ui --ignore=tests/text \
  --ignore=tests/speech --ignore=tests/media --ignore=tests/test_audio_assets.py
test-hours: $(STAMP) tools
	BROADCASTER_TEST_DATABASES=sqlite $(BIN)/python tests/run_at_hours.py \
	  $(addprefix --at ,$(HOURS)) -- $(HOURS_ARGS) $(PYTEST_ARGS)

# The install a user gets, without this repository (a CI step, not part of make test): the
# wheel built from a `git archive HEAD` copy, installed into empty venvs outside the checkout.
# broadcaster[server] runs the demo and an announcement; the plain wheel (a station's slim
# install) has no server library and its agent plays what that serve publishes. Prints the
# sizes and the agents' peak memory quoted in docs/agent.md. Needs the package index; fails,
# never skips. See tests/install_check.py.
check-install: $(STAMP)
	$(BIN)/python tests/install_check.py $(CHECK_INSTALL_ARGS)

# Programs the tests drive that no wheel ships, as command:Debian package: a real player (mpv)
# for the M3U8 test, chromium for the web UI, the XMLTV project's validator, and libfaketime
# for test-hours. Installed from Debian when running as root (CI); otherwise named in an error.
TOOLS := mpv:mpv chromium:chromium tv_validate_file:xmltv-util faketime:faketime
tools:
	@for pair in $(TOOLS); do tool=$${pair%%:*}; pkg=$${pair#*:}; \
	  command -v $$tool >/dev/null && continue; \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing $$pkg (Debian package) for the tests"; \
	    export DEBIAN_FRONTEND=noninteractive; apt-get install -y -q $$pkg >/dev/null \
	      || { apt-get update -q >/dev/null && apt-get install -y -q $$pkg >/dev/null; } \
	      || exit 1; \
	  else echo "make test needs $$tool: run 'sudo apt-get install $$pkg'"; exit 1; fi; done

lint: $(STAMP)
	$(BIN)/ruff check broadcaster tests benchmarks audio
	$(BIN)/mypy broadcaster tests

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

# The YAML schedule reader and the document decoders (.txt/.md, .docx) fuzzed by atheris
# (coverage-guided, libFuzzer), FUZZ_SECONDS per target; prints executions, exec/s, coverage and
# crashes; a new crash is written to tests/fuzz/crashes/ and fails the run. See docs/fuzzing.md.
FUZZ_SECONDS ?= 60
fuzz-inputs: $(STAMP)
	$(BIN)/python tests/fuzz/run.py --seconds $(FUZZ_SECONDS)

clean:
	rm -rf $(VENV) var build *.egg-info
