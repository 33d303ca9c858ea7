# Governance — every target works on a fresh Debian machine with Python 3.11.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

i18n-extract: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _ -k gettext:2 -k ngettext:1,2 -k N_ -o lib/locale/messages.pot ex_app lib/services lib/core_messages.py lib/core/wording.py lib/core/request_checks.py lib/core/orgfile.py lib/core/orgfile_places.py lib/core/adopt.py templates
	$(BIN)/pybabel update --no-fuzzy-matching -i lib/locale/messages.pot -d lib/locale -D messages

.PHONY: i18n-extract install run demo-reset test test-fast lint bench prove register verify-audit translations clean

$(STAMP): requirements.txt requirements-dev.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP) translations

translations: $(STAMP)
	$(BIN)/pybabel compile -d lib/locale -D messages

## make run: with no NEXTCLOUD_URL, the app + the Nextcloud stand-in + a demo organisation.
run: install
	$(BIN)/python -m ex_app.dev

## make demo-reset: the demo from scratch (its database in .data/ removed, the demo organisation stored again).
demo-reset: install
	$(BIN)/python -m ex_app.dev --fresh

## make test: the whole suite (unit, HTTP against the stand-in, contract, browser).
test: install
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

test-fast: install
	$(BIN)/python -m pytest -q -m "not browser" $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy lib ex_app
	$(BIN)/lint-imports

bench: install
	$(BIN)/python -m bench

## make prove: the security figures of issue 13 added to bench-results.json (schemathesis_cases, schemathesis_5xx;
## fault_runs*: bench/faults.py; resume_seconds_after_kill: bench/kills.py; concurrent_decisions_*:
## bench/concurrent_decisions.py; requests_stuck: all three). The last two run the app in uvicorn processes on
## PostgreSQL: GOVERNANCE_TEST_POSTGRES_URL, else a throw-away cluster of /usr/lib/postgresql. Some 25 minutes.
prove: install
	GOVERNANCE_PROVE_OUT=$(CURDIR)/bench-results.json $(BIN)/python -m pytest -q -s -p no:randomly tests/http/test_api_schema.py
	$(BIN)/python -m bench faults

## make register: print (or run, with OCC=...) the AppAPI registration for a manual-install daemon.
register: install
	$(BIN)/python -m ex_app.register $(if $(OCC),--occ "$(OCC)",)

verify-audit: install
	$(BIN)/python -m lib.store.audit_check

clean:
	rm -rf $(VENV) .pytest_cache bench-results.json
