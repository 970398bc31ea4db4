# The two commands of the README: `make run` and `make test`. Everything is installed from nothing.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: install browser index run test test-fast bench clean

install: $(STAMP)

# torch first and pinned: its CPU wheel is on disk; an unpinned torch would pull the CUDA build.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e ".[dev]"
	touch $(STAMP)

# Debian's Chromium for the browser tests (Playwright's own browser download does not work here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

# Idempotent: writes nothing when the corpus has not changed.
index: install
	$(BIN)/assistant ingest

run: install index
	$(BIN)/assistant serve --host $(HOST) --port $(PORT)

test: install browser index
	$(BIN)/pytest
	$(BIN)/evals

test-fast: install index
	$(BIN)/pytest -m "not browser and not server and not slow"

bench: install index
	$(BIN)/python -m bench.run

clean:
	rm -rf data test-artifacts .pytest_cache
