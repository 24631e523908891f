# Screen Genius. `make demo` and `make test` each set up what they need on a
# fresh machine; everything else here supports them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Re-install when any requirement file changes.
VENV_STAMP := $(VENV)/.installed
REQUIREMENTS := requirements/dev.txt requirements/training.txt requirements/keras2.txt \
                requirements/constraints.txt requirements/install_torch.py \
                functions/requirements.txt pyproject.toml

DATASET ?= movielens-sample
DATA_DIR ?= data/$(DATASET)
REPORTS_DIR ?= reports

export HF_HUB_OFFLINE := 1
export TF_CPP_MIN_LOG_LEVEL := 2

.PHONY: help setup demo test test-python bench lock clean

help:
	@echo "make demo   train on the bundled dataset and serve it (see README)"
	@echo "make test   set up and run every test suite"
	@echo "make bench  run the benchmarks, results in reports/bench/"

# ---- set-up ---------------------------------------------------------------
setup: $(VENV_STAMP)

$(VENV_STAMP): $(REQUIREMENTS)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
# torch first, the CPU build from PyTorch's CPU index where it answers (the script says what it does otherwise).
	$(PY) requirements/install_torch.py
	$(PY) -m pip install --quiet -r requirements/dev.txt -c requirements/constraints.txt
# Keras 2 beside, not inside, the environment: see requirements/keras2.txt.
	$(PY) -m pip install --quiet --no-deps --upgrade --target $(VENV)/keras2 -r requirements/keras2.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $@

# Re-resolve every transitive version after changing a requirements file.
lock: $(VENV_STAMP)
	@{ sed -n '1,2p' requirements/constraints.txt; \
	   $(PY) -m pip freeze --all --exclude pip --exclude-editable | sed -E 's/^([^=]+==[^+]+)\+.*/\1/'; \
	 } > requirements/constraints.txt.new
	mv requirements/constraints.txt.new requirements/constraints.txt

# ---- the main job ---------------------------------------------------------
demo: $(VENV_STAMP) web-setup
	bash scripts/demo.sh

# ---- models (issue 3) -----------------------------------------------------
# Train, evaluate and export on $(DATASET) (after `ingest`); `run` does all of it plus publish.
MODELS_DIR ?= artifacts/models/$(DATASET)
ARTIFACTS_DIR ?= artifacts/$(DATASET)
.PHONY: models
models: $(VENV_STAMP)
	$(PY) -m training train --data $(DATA_DIR) --out $(MODELS_DIR)
	$(PY) -m training evaluate --data $(DATA_DIR) --models $(MODELS_DIR) --out $(REPORTS_DIR)/eval
	$(PY) -m training export --data $(DATA_DIR) --models $(MODELS_DIR) \
	    --metrics $(REPORTS_DIR)/eval/metrics.json --out $(ARTIFACTS_DIR)

# ---- serving (issue 4) ----------------------------------------------------
# The function on 127.0.0.1:$(FUNCTION_PORT) (default 8080) serving what `publish` wrote to MODEL_URI
# (gs://bucket/prefix, with STORAGE_EMULATOR_HOST for an emulator, or a directory).
MODEL_URI ?= artifacts/published
FUNCTION_PORT ?= 8080
ALLOWED_ORIGINS ?= http://localhost:5173,http://127.0.0.1:5173
.PHONY: serve
serve: $(VENV_STAMP)
	MODEL_URI="$(MODEL_URI)" ALLOWED_ORIGINS="$(ALLOWED_ORIGINS)" \
	  $(VENV)/bin/functions-framework --source functions/main.py --target recommend --host 127.0.0.1 --port $(FUNCTION_PORT)

# ---- website (issue 5) ----------------------------------------------------
# web-setup: npm ci (Vite, Vitest, firebase-tools; --ignore-scripts: no install script is
# needed, and re2's would try to download a binary, then compile), and Debian's chromium for the
# browser tests. test-web: ESLint, tsc --noEmit, component tests, production build, browser tests
# against the real function, Firebase Hosting emulator. site: the built site on
# 127.0.0.1:$(SITE_PORT), SPA fallback, /api proxied to the local function.
WEB_STAMP := frontend/node_modules/.installed
CHROMIUM ?= /usr/bin/chromium
WEB_SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
SITE_PORT ?= 5173
API_URL ?= http://127.0.0.1:8080

.PHONY: web-setup web-build test-web site

web-setup: $(WEB_STAMP) $(CHROMIUM)

$(WEB_STAMP): frontend/package.json frontend/package-lock.json
	npm --prefix frontend ci --ignore-scripts --no-audit --no-fund
	@touch $@

$(CHROMIUM):
	$(WEB_SUDO) apt-get update -qq
	$(WEB_SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

web-build: $(WEB_STAMP)
	npm --prefix frontend run build

test-web: $(VENV_STAMP) web-setup
	npm --prefix frontend run lint
	npm --prefix frontend run typecheck
	npm --prefix frontend test
	$(MAKE) web-build
	SCREEN_GENIUS_WEB_TESTS=1 $(PY) -m pytest tests/e2e -q

site: web-build
	@echo "Website: http://127.0.0.1:$(SITE_PORT)/   (/api -> $(API_URL); Ctrl-C stops it)"
	cd frontend && SCREEN_GENIUS_API_URL=$(API_URL) exec node node_modules/vite/bin/vite.js preview \
	    --host 127.0.0.1 --port $(SITE_PORT) --strictPort

# ---- tests ----------------------------------------------------------------
# Add each suite's target to `test`; every target sets itself up.
test: lint test-python test-web

test-python: $(VENV_STAMP)
	$(PY) -m pytest tests -q

# ---- lint (issue 11) -----------------------------------------------------
# ruff (lint and format check) on all Python, mypy --strict on the deployed function, mypy on
# training; configuration in pyproject.toml. Runs every check and fails if any failed.
# Not yet part of `make test` (the repository-wide clean-up comes first).
.PHONY: lint
lint: $(VENV_STAMP)
	@status=0; \
	$(VENV)/bin/ruff check --output-format concise . || status=1; \
	$(VENV)/bin/ruff format --check --output-format concise . || status=1; \
	$(VENV)/bin/mypy --strict functions || status=1; \
	$(VENV)/bin/mypy training || status=1; \
	exit $$status

# ---- benchmarks -----------------------------------------------------------
bench: $(VENV_STAMP) web-setup
	$(PY) -m tests.bench --out $(REPORTS_DIR)/bench

clean:
	rm -rf data reports artifacts build .pytest_cache
