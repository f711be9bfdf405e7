# The set-up and the routine jobs. Only Python 3.11 and the package registries are needed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
RAW    ?= data/raw

.PHONY: help install build test bench lock schemas messages clean

help:  ## list the jobs
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required, found " + sys.version'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==25.3"
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install the pinned dependencies

build: $(STAMP)  ## run the yearly build on the cities under data/raw
	$(BIN)/iso37120 build $(RAW)

test: $(STAMP)  ## run the whole test suite
	$(BIN)/python -m pytest -q

bench: $(STAMP)  ## measure each stage at several scales (writes reports/bench/)
	$(BIN)/python -m benchmarks

schemas: $(STAMP)  ## regenerate the JSON Schemas in schemas/ from the models
	$(BIN)/iso37120 schemas

messages: $(STAMP)  ## extract the words to translate into pipeline/locale/messages.pot and update every catalogue
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k NC_:1c,2 -k Nn_:1,2 --no-location --sort-output \
		--project iso37120-pipeline --version 0.1.0 -o pipeline/locale/messages.pot .
	$(BIN)/pybabel update -i pipeline/locale/messages.pot -d pipeline/locale -D messages --ignore-obsolete -w 100

lock:  ## re-resolve requirements.in into requirements.lock (needs the network)
	$(BIN)/python -m pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe -o requirements.lock requirements.in
	sed -i '/^--extra-index-url/d;/^--find-links/d' requirements.lock

clean:  ## remove the virtual environment and build outputs (never data/raw)
	rm -rf $(VENV) data/out data/work data/templates reports/dossier-* reports/validation-report.json .pytest_cache
