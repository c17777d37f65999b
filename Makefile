# Two commands on a fresh machine with only python3: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install install-dev migrate demo bench mutate lint check-deploy clean

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/activate
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(VENV)/bin/activate
	$(PIP) install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# A development checkout gets a git-ignored .env with DEBUG on, so plain manage.py commands work too.
.env:
	printf '# Development settings (git-ignored). See .env.example for every variable.\nDEBUG=true\n' > .env

## Serve the dashboard with demo data on SQLite at http://127.0.0.1:8000
run: install .env
	DEBUG=true $(PY) manage.py migrate --noinput
	DEBUG=true $(PY) manage.py seed_demo
	DEBUG=true $(PY) manage.py runserver $(HOST):$(PORT)

## Run the whole test suite (SQLite unless DATABASE_URL says otherwise)
test: install-dev
	$(VENV)/bin/pytest $(PYTEST_ARGS)

## Throughput of the public validate endpoint against a trivial endpoint (see README)
bench: install-dev
	$(PY) bench/run.py

## Mutation testing of the core modules on SQLite (slow: run before changing a core rule; see README)
mutate: install-dev
	env -u DATABASE_URL nice -n 10 $(PY) tools/mutate.py

lint: install-dev
	$(VENV)/bin/ruff check .

check-deploy: install
	DEBUG=false SECRET_KEY=$$($(PY) -c 'import secrets;print(secrets.token_urlsafe(50))') \
	ALLOWED_HOSTS=keyward.example.com SECURE_HSTS_SECONDS=31536000 SECURE_HSTS_PRELOAD=true \
	SIGNING_KEY=$$($(PY) -c 'import base64,os;print(base64.b64encode(os.urandom(32)).decode())') \
	$(PY) manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
