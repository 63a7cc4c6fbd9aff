# Two entry points for a fresh machine: `make run` (the terminal referral chat) and `make test`.
# Each creates the virtual environment when it is missing or older than pyproject.toml.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint unit bench diagram rasa-venv rasa-e2e rasa-record clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/ke-intake chat --demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/pytest -q

unit: $(STAMP)
	$(BIN)/pytest -q tests/unit

bench: $(STAMP)
	$(BIN)/python -m bench

diagram: $(STAMP)
	$(BIN)/ke-intake diagram --out docs/FLOW.md --readme README.md

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache

# Rasa Open Source 3.6 needs Python 3.10; it runs in its own virtualenv beside ours.
RASA_PY ?= $(shell pyenv root 2>/dev/null || echo $(HOME)/.pyenv)/versions/3.10.13/bin/python
rasa-venv:
	test -x .venv-rasa/bin/python || $(RASA_PY) -m venv .venv-rasa
	.venv-rasa/bin/pip install --upgrade pip
	.venv-rasa/bin/pip install 'rasa==3.6.*'

# End-to-end test against a real Rasa 3.6 server (trains a model: takes minutes).
rasa-e2e: $(STAMP)
	KE_RUN_RASA_E2E=1 $(BIN)/pytest -q -m slow tests/e2e -k rasa

# The same, keeping the calls the real Rasa made: the fixture CI replays without Rasa.
rasa-record: $(STAMP)
	KE_RUN_RASA_E2E=1 KE_RASA_RECORD_TO=tests/fixtures/rasa/recorded_calls.json.gz \
		$(BIN)/pytest -q -m slow tests/e2e/test_rasa_e2e.py
