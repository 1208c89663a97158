# Klachtbeheer: `make run` to try it, `make test` to check it.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# The first Python >= 3.12 on this machine (Django 6 needs it); pyenv installs count too.
PYTHON ?= $(shell for p in python3.14 python3.13 python3.12 $$HOME/.pyenv/versions/3.1[2-9]*/bin/python3 /usr/local/bin/python3 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1 \
	&& { command -v $$p; break; }; done)

.PHONY: run test lint format migrate demo clean screenshots screenshots-intake bench bench-dashboard fuzz

$(BIN)/klachtbeheer: pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.12 or newer is needed (Django 6)." >&2; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

migrate: $(BIN)/klachtbeheer
	$(BIN)/klachtbeheer migrate --noinput

demo: migrate
	$(BIN)/klachtbeheer demo --if-empty

# The worker (outbox, reminders) runs beside the web server and stops with it.
run: demo
	@echo "Klachtbeheer on http://$(HOST):$(PORT)/ (another port: make run PORT=8001; stop with Ctrl-C)"
	@echo "  staff:           http://$(HOST):$(PORT)/inloggen/  (demo logins above, password demo-klacht-2026)"
	@echo "  complaint form:  http://$(HOST):$(PORT)/klacht/    procedure: http://$(HOST):$(PORT)/klachtenprocedure/"
	@echo "  data directory:  $(CURDIR)/var  (mail goes to var/mail unless EMAIL_HOST is set)"
	@$(BIN)/klachtbeheer worker & worker=$$!; \
	trap 'kill -TERM $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/klachtbeheer runserver $(HOST):$(PORT)

test: $(BIN)/klachtbeheer
	$(BIN)/ruff check src tests scripts
	$(BIN)/ruff format --check src tests scripts
	$(BIN)/klachtbeheer makemigrations --check --dry-run >/dev/null
	$(BIN)/lint-imports --no-cache
	$(BIN)/pytest -q $(PYTEST_ARGS)

lint format: $(BIN)/klachtbeheer
	$(BIN)/ruff check --fix src tests scripts
	$(BIN)/ruff format src tests scripts

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache

screenshots: $(BIN)/klachtbeheer
	$(BIN)/python scripts/screenshots.py

# Issue 15's figures at 100,000 and 1,000,000 complaints over HTTP, with the peer and the raw
# PostgreSQL commit rate, into docs/benchmarks.md (not part of make test; niced: it is heavy).
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/kb_perf_bench
bench: $(BIN)/klachtbeheer
	BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) nice $(BIN)/python scripts/bench.py

# The dashboard's selectors in-process on 100,000 complaints (the older, narrower benchmark).
bench-dashboard: $(BIN)/klachtbeheer
	BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python scripts/bench_reporting.py

# The public pages (form empty, with errors, done; status page) at phone and desktop size,
# from the browser tests, into ./screenshots/intake/.
screenshots-intake: $(BIN)/klachtbeheer
	INTAKE_SCREENSHOTS=screenshots/intake $(BIN)/pytest -q tests/intake/test_browser.py

# The long run of the property tests of every way in (issue 12): at least 10,000 generated
# e-mails through the intake and 10,000 API requests with schemathesis' checks; random, not
# derandomised. Figures go to var/fuzz-report.txt (and the README). About a quarter hour.
FUZZ_REPORT ?= var/fuzz-report.txt
fuzz: $(BIN)/klachtbeheer
	@mkdir -p $(dir $(FUZZ_REPORT)) && : > $(FUZZ_REPORT)
	@start=$$(date +%s); \
	FUZZ=1 FUZZ_REPORT=$(abspath $(FUZZ_REPORT)) $(BIN)/pytest -q -p no:cacheprovider \
		$(FUZZ_TESTS) $(PYTEST_ARGS); status=$$?; \
	echo "seconds $$(( $$(date +%s) - start ))" >> $(FUZZ_REPORT); cat $(FUZZ_REPORT); exit $$status
FUZZ_TESTS ?= tests/mailintake/test_fuzz.py tests/test_text_fuzz.py tests/letters/test_render_fuzz.py tests/api/test_schema.py
