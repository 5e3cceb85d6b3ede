# Every target creates the virtual environment and installs what is missing, so a fresh machine
# needs nothing but Python 3.11 and this file.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test run lint format train evaluate bench clean browser

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# torch first and pinned: left to the resolver it would pull a CUDA build of several GB.
$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The browser test drives Debian's Chromium (never a downloaded one); installed when missing.
CHROMIUM ?= /usr/bin/chromium
$(CHROMIUM):
	apt-get install -y --no-install-recommends chromium >/dev/null || \
		{ apt-get update >/dev/null && apt-get install -y --no-install-recommends chromium >/dev/null; }

browser: $(CHROMIUM)

# Serves the app on http://127.0.0.1:5000 with demo data on SQLite in instance/ (passwords of the
# demo accounts are printed at the first start only).
run: $(STAMP)
	$(BIN)/trainer run

# pytest exits 5 when it collected no test: that is a failure, said out loud.
test: $(STAMP) $(CHROMIUM)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -W error || { status=$$?; \
		[ $$status -ne 5 ] || echo "pytest collected no tests" >&2; exit $$status; }

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

train: $(STAMP)
	$(BIN)/trainer train

evaluate: $(STAMP)
	for f in empathy validation solution; do \
		$(BIN)/trainer evaluate ../shared/eval/eval_$$f.jsonl || exit 1; done

bench: $(STAMP)
	$(BIN)/trainer bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
