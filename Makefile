# Each target bootstraps .venv when it is missing (torch's CPU pin first, then the project).
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PYTHON ?= $(shell command -v python3.11 || command -v python3)
DATA   ?= data
export DAGSTER_HOME := $(abspath $(DATA))/dagster_home
export MEDIA_PIPELINE_DATA_DIR := $(abspath $(DATA))

.PHONY: demo test ui bench lint clean web

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[dev,piper]'
	# The speaker encoder's weights (resemblyzer, Apache-2.0) without its pins: they would pull
	# webrtcvad (we use webrtcvad-wheels) and the py2 'typing' backport.
	$(PY) -m pip install -q --no-deps resemblyzer==0.1.4
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/media-pipeline process data/samples --data-dir $(DATA)
	@echo "Subtitles are listed above (SRT path per file); every format sits beside it."
	@echo "Library: $(DATA)/library.duckdb  ·  lineage: make ui"

lint: $(STAMP)
	$(VENV)/bin/ruff check media_pipeline media_pipeline_tests benchmarks
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	cd $(CURDIR) && $(VENV)/bin/dg check defs

test: lint
	$(VENV)/bin/pytest -q -p no:cacheprovider --durations=15

ui: $(STAMP)
	mkdir -p $(DAGSTER_HOME)
	$(PY) -c "from media_pipeline.jobs.instance import ensure_instance_home as e; from pathlib import Path; e(Path('$(DAGSTER_HOME)'))"
	$(VENV)/bin/dagster dev -w workspace.yaml

bench: $(STAMP)
	$(PY) -m benchmarks.throughput
	$(PY) -m benchmarks.accuracy
	$(PY) -m benchmarks.music
	test ! -f benchmarks/bulk.py || $(PY) -m benchmarks.bulk

# The browser page's bundle (committed in media_pipeline/web/static; needs Node 20 and npm).
web:
	cd web && npm ci && npm run build

clean:
	rm -rf $(VENV)
