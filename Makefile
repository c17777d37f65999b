# Two commands on a fresh machine with only python3: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install install-dev axe migrate demo bench mutate lint bandit lock check-deploy clean

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# Dependencies come from the hash-locked requirements files (`make lock` writes them from pyproject.toml);
# Keyward itself is then installed without resolving anything again.
$(VENV)/.installed: requirements.txt pyproject.toml | $(VENV)/bin/activate
	$(PIP) install --quiet --require-hashes -r requirements.txt
	$(PIP) install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt pyproject.toml | $(VENV)/bin/activate
	$(PIP) install --quiet --require-hashes -r requirements-dev.txt
	$(PIP) install --quiet --no-deps -e .
	touch $@ $(VENV)/.installed

## Regenerate the hash-locked requirements after changing dependencies in pyproject.toml
LOCK := $(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url
lock: | $(VENV)/bin/activate
	$(PIP) install --quiet "pip-tools>=7.4,<8"
	$(LOCK) -o requirements.txt pyproject.toml
	$(LOCK) --extra dev -o requirements-dev.txt pyproject.toml

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# A development checkout gets a git-ignored .env with DEBUG on, so plain manage.py commands work too.
.env:
	printf '# Development settings (git-ignored). See .env.example for every variable.\nDEBUG=true\n' > .env

## Serve the dashboard with demo data on SQLite at http://127.0.0.1:8000, with a task worker and the
## scheduler beside it (Procfile); Ctrl-C stops all three. Links in e-mails follow HOST and PORT.
run: install .env
	DEBUG=true $(PY) manage.py migrate --noinput
	DEBUG=true $(PY) manage.py seed_demo
	DEBUG=true SITE_URL=$${SITE_URL:-http://$(HOST):$(PORT)} PATH="$(CURDIR)/$(VENV)/bin:$$PATH" RUN_ADDRESS=$(HOST):$(PORT) $(VENV)/bin/honcho start -f Procfile

# axe-core for the accessibility browser tests: a test-only npm package, pinned by its lock file.
AXE := tests/browser/node_modules/axe-core/axe.min.js
$(AXE): tests/browser/package-lock.json
	cd tests/browser && npm ci --no-audit --no-fund --silent
	touch $@
axe: $(AXE)

## Run the whole test suite (SQLite unless DATABASE_URL says otherwise)
test: install-dev axe
	$(VENV)/bin/pytest $(PYTEST_ARGS)

## The client hot path (validate, token activation, client info) against a trivial endpoint, in one table (see README)
bench: install-dev
	$(PY) bench/run.py

## Mutation testing of the core modules on SQLite (slow: run before changing a core rule; see README)
mutate: install-dev
	env -u DATABASE_URL nice -n 10 $(PY) tools/mutate.py

lint: install-dev
	$(VENV)/bin/ruff check .

## Security linter over the app packages: fails on a high-severity finding
bandit: install-dev
	$(VENV)/bin/bandit -q -r project accounts authtokens licensing parameters webhooks -x '*/migrations/*' --severity-level high

## `check --deploy` with the README's production file (deploy/keyward.env) and fresh secrets: must be silent
check-deploy: install
	KEYWARD_ENV_FILE=deploy/keyward.env \
	SECRET_KEY=$$($(PY) -c 'import secrets;print(secrets.token_urlsafe(50))') \
	SIGNING_KEY=$$($(PY) -c 'import base64,os;print(base64.b64encode(os.urandom(32)).decode())') \
	PARAMETER_KEYS=$$($(PY) -c 'from cryptography.fernet import Fernet;print(Fernet.generate_key().decode())') \
	$(PY) manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) staticfiles .pytest_cache tests/browser/node_modules
