# cnn-tutor: `make run` to learn, `make test` to check everything.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.setup-stamp

.PHONY: setup run test check bench lint lint-all snapshot-update clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

run: setup
	$(BIN)/cnn-tutor

test: setup
	$(BIN)/python -m pytest -q

# The edit loop: the core and the content, without the slow runs (about a minute).
check: setup
	$(BIN)/python -m pytest -q -m "not slow" tests/unit tests/content

bench: setup
	$(BIN)/python -m tutor.bench

lint: setup
	$(BIN)/ruff check tutor tests
	$(BIN)/ruff format --check tutor tests
	$(BIN)/mypy

# lint over the whole package and the tests: not yet clean; it becomes `lint` once it is.
lint-all: setup
	$(BIN)/ruff check tutor tests
	$(BIN)/ruff format --check tutor tests
	$(BIN)/mypy --explicit-package-bases tutor tests

snapshot-update: setup
	$(BIN)/python -m pytest -q tests/snapshots --snapshot-update

clean:
	rm -rf $(VENV) build dist *.egg-info
