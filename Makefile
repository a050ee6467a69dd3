# The two commands a newcomer needs: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app wsgi
export MOOC_ENV ?= development

.PHONY: run test test-faults install install-test lint format benchmarks clean translations

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# axe-core for the accessibility tests, from the npm registry; skipped (the tests say why)
# where npm is missing.
node_modules/axe-core/axe.min.js: package.json
	-npm install --no-audit --no-fund --silent && touch $@

instance/secret_key: | $(BIN)/python
	mkdir -p instance
	$(BIN)/python -c "import secrets; print(secrets.token_hex(32))" > $@
	chmod 600 $@

instance/credential_key: | $(VENV)/.installed
	mkdir -p instance
	$(BIN)/python -c "from mooc_portal.certificates.issuer import generate_key_pem as g; print(g(), end='')" > $@
	chmod 600 $@

# The demo's peer portal is a second `make run` on 127.0.0.1:5001: a private address, allowed
# only here (MOOC_ALLOW_PRIVATE_PEERS, see docs/security.md).
# The demo's mail (in the outbox) links to the same address the portal is served on.
run: export MOOC_PUBLIC_URL ?= http://127.0.0.1:$(PORT)
run: install instance/secret_key instance/credential_key
	$(FLASK) db upgrade
	$(FLASK) portal demo-data --if-empty
	MOOC_ALLOW_PRIVATE_PEERS=true $(FLASK) run --host 127.0.0.1 --port $(PORT)

test: install-test node_modules/axe-core/axe.min.js
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	MOOC_ENV=testing $(BIN)/python -m pytest $(PYTEST_ARGS)

# The fault suite (tests/faults, marked `faults`, left out of `make test`): private PostgreSQL
# clusters, a replica, Redis and SMTP servers started by the tests; needs root for
# `runuser -u postgres` and the PostgreSQL server binaries. A few minutes.
test-faults: install-test
	MOOC_ENV=testing $(BIN)/python -m pytest -m faults tests/faults $(PYTEST_ARGS)

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format:
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Re-extract the interface's strings, merge them into every catalog, compile the catalogs.
# New strings arrive untranslated: tests/test_i18n.py lists them until they are translated.
translations: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --no-wrap --sort-output \
		--project "ASEM MOOC Portal" -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-wrap \
		--ignore-pot-creation-date
	$(BIN)/pybabel compile -d translations --statistics

benchmarks: install-test
	$(BIN)/python -m benchmarks.catalog_search

clean:
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache dist build
