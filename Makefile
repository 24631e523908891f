# Screen Genius. `make demo` and `make test` each set up what they need on a
# fresh machine; everything else here supports them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Re-install when any requirement file changes.
VENV_STAMP := $(VENV)/.installed
REQUIREMENTS := requirements/dev.txt requirements/training.txt requirements/constraints.txt \
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
	$(PY) -m pip install --quiet -r requirements/dev.txt -c requirements/constraints.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $@

# Re-resolve every transitive version after changing a requirements file.
lock: $(VENV_STAMP)
	@{ sed -n '1,2p' requirements/constraints.txt; \
	   $(PY) -m pip freeze --exclude-editable; } > requirements/constraints.txt.new
	mv requirements/constraints.txt.new requirements/constraints.txt

# ---- the main job ---------------------------------------------------------
demo: $(VENV_STAMP)
	$(PY) -m training ingest --dataset $(DATASET) --out $(DATA_DIR)
	$(PY) -m training report --data $(DATA_DIR) --out $(REPORTS_DIR)/eda
	@echo
	@echo "Ratings store: $(DATA_DIR)/  (ratings.parquet, movies.parquet, catalog.parquet, split.json, dataset.json)"
	@echo "EDA report:    $(REPORTS_DIR)/eda/index.html"

# ---- models (issue 3) -----------------------------------------------------

# ---- serving (issue 4) ----------------------------------------------------

# ---- website (issue 5) ----------------------------------------------------

# ---- tests ----------------------------------------------------------------
# Add each suite's target to `test`; every target sets itself up.
test: test-python

test-python: $(VENV_STAMP)
	$(PY) -m pytest tests -q

# ---- benchmarks -----------------------------------------------------------
bench: $(VENV_STAMP)
	$(PY) -m tests.bench --out $(REPORTS_DIR)/bench

clean:
	rm -rf data reports artifacts build .pytest_cache
