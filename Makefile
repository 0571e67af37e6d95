# locator — everything a fresh machine needs, from Python 3.11 and apt alone.
#   make run    set up, then serve the shipped Lanzhou data on http://127.0.0.1:5000
#   make test   set up, then ruff, mypy and pytest (browser tests in Debian's Chromium)
#   make bench  benchmarks that print side-by-side figures (see bench/README.md; bench-quick: minutes)

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PO     := $(wildcard locator/translations/*/LC_MESSAGES/messages.po)
MO     := $(PO:.po=.mo)
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run serve test lint typecheck pytest bench bench-quick browser postgis redis geodata vendor messages clean

$(STAMP): setup.cfg pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,analysis]'
	touch $@

%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -i $< -o $@

run: $(STAMP) $(MO)
	$(BIN)/flask --app locator run --host $(HOST) --port $(PORT)

# Production serving: gunicorn, one sync worker per core, each loading the registry once
# and swapping in new store versions in the background (locator/web/gunicorn_conf.py).
# Rate limits count per worker unless LOCATOR_API_RATE_LIMIT_STORAGE=redis://… is set: each
# worker says so loudly at start-up (SECURITY.md, "Configuration that matters in production").
serve: $(STAMP) $(MO)
	$(BIN)/gunicorn -c python:locator.web.gunicorn_conf --bind $(HOST):$(PORT) 'locator:create_app()'

browser:
	bash scripts/ensure-chromium.sh

postgis:
	bash scripts/ensure-postgis.sh

redis:
	bash scripts/ensure-redis.sh

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache --no-logo  # the layer contract in .importlinter

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP) $(MO) browser postgis redis
	$(BIN)/python -m pytest

test: lint typecheck pytest

# Every benchmark (bench/README.md), then bench/results/summary.md; bench-quick: a few minutes.
bench: $(STAMP) $(MO) browser postgis
	bash scripts/ensure-wrk.sh
	$(BIN)/python bench/run_all.py

bench-quick: $(STAMP) $(MO) browser postgis
	bash scripts/ensure-wrk.sh
	$(BIN)/python bench/run_all.py --quick

# Regenerate shipped data and vendored assets (need PyPI / npm; not part of run or test).
geodata: $(STAMP)
	$(BIN)/python scripts/build_geodata.py
	$(BIN)/python scripts/build_demo_registry.py

vendor:
	bash scripts/vendor_assets.sh

messages: $(STAMP)
	$(BIN)/pybabel extract --no-location --sort-output -F babel.cfg -k N_ -k _ -k lazy_gettext -o locator/translations/messages.pot .
	$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete -i locator/translations/messages.pot -d locator/translations

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .mypy_cache .ruff_cache test-artifacts $(MO)
