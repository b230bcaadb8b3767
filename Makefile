# The two commands of the README's Quick start: `make run` and `make test`.
# Everything else here is a step they share, but `make up`, the production shape
# (README, "Operating the portal").

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Reinstalled only when requirements.txt is newer than the last install.
INSTALLED := $(VENV)/.requirements-installed
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# The embedded default: SQLite and in-process tasks, with development settings.
DEV_ENV := DEBUG=1

.DEFAULT_GOAL := help
.PHONY: help run test install lint migrations-check pytest browser seed xmlsec up

help:
	@echo "make run   - set up, migrate, seed the demo company and start the portal on http://$(HOST):$(PORT)/"
	@echo "make test  - set up and run the linters, the migrations check and the whole test suite"
	@echo "make up    - the production shape (Procfile: gunicorn, Celery worker and beat) on DATABASE_URL and REDIS_URL"

$(PY):
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

install: $(INSTALLED)

seed: $(INSTALLED) xmlsec
	$(DEV_ENV) $(PY) manage.py migrate --noinput
	$(DEV_ENV) $(PY) manage.py seed_demo
	$(DEV_ENV) $(PY) manage.py collectstatic --noinput --verbosity 0

run: seed
	@echo
	@echo "  Travel portal:   http://$(HOST):$(PORT)/"
	@echo "  Demo logins (company: demo):"
	@echo "    admin          admin@demo.example / demo-admin-pass          (Company Settings: /company/)"
	@echo "    manager        sofia.marsh@demo.example / demo-manager-pass  (her queue: /approvals/queue/)"
	@echo "    traveller      tom.berg@demo.example / demo-traveller-pass"
	@echo "  SCIM base URL:   http://$(HOST):$(PORT)/scim/v2/"
	@echo "  Support admin:   http://$(HOST):$(PORT)/admin/   (create a staff login with: $(DEV_ENV) $(PY) manage.py createsuperuser)"
	@echo
	$(DEV_ENV) $(PY) manage.py runserver $(HOST):$(PORT)

# Browser tests drive Debian's Chromium. Install it when it is missing and apt can be
# used (as root); otherwise those tests skip, saying why.
browser:
	@if [ -x /usr/bin/chromium ]; then \
		echo "Chromium: /usr/bin/chromium"; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing Debian's chromium for the browser tests"; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 || \
		{ apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; } || \
		echo "Could not install chromium; browser tests will skip."; \
	else \
		echo "No /usr/bin/chromium and not root: browser tests will skip."; \
	fi

# SAML single sign-on (pysaml2) signs and verifies with Debian's xmlsec1. Installed when
# missing and apt can be used (as root); otherwise SSO sign-in fails and its tests fail in
# CI (and skip elsewhere), saying why.
xmlsec:
	@if command -v xmlsec1 >/dev/null 2>&1; then \
		echo "xmlsec1: $$(command -v xmlsec1)"; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing Debian's xmlsec1 for SAML single sign-on"; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q xmlsec1 >/dev/null 2>&1 || \
		{ apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q xmlsec1 >/dev/null; } || \
		echo "Could not install xmlsec1; SAML single sign-on will not work."; \
	else \
		echo "No xmlsec1 and not root: SAML single sign-on will not work (apt-get install -y xmlsec1)."; \
	fi

lint: $(INSTALLED)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

migrations-check: $(INSTALLED)
	$(DEV_ENV) $(PY) manage.py makemigrations --check --dry-run

pytest: $(INSTALLED)
	$(VENV)/bin/pytest $(PYTEST_ARGS)

test: $(INSTALLED) browser xmlsec lint migrations-check pytest

# The production shape (README, "Operating the portal"): the Procfile's web, worker and
# beat under honcho, against the PostgreSQL and Redis of the environment, DEBUG off.
# Metrics of every process add up in one directory, emptied at each start.
METRICS_DIR := $(CURDIR)/var/prometheus

up: $(INSTALLED)
	@test -n "$$DATABASE_URL" || { echo "make up needs DATABASE_URL, e.g. postgres://postgres@127.0.0.1:5432/travelportal"; exit 1; }
	@test -n "$$REDIS_URL" || { echo "make up needs REDIS_URL, e.g. redis://127.0.0.1:6379/0"; exit 1; }
	@test -n "$$SECRET_KEY" || { echo "make up needs SECRET_KEY (DEBUG is off), e.g. export SECRET_KEY=\$$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')"; exit 1; }
	@test -n "$$FIELD_ENCRYPTION_KEYS" || { echo "make up needs FIELD_ENCRYPTION_KEYS (DEBUG is off), e.g. export FIELD_ENCRYPTION_KEYS=\$$(python3 -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())')"; exit 1; }
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	rm -rf $(METRICS_DIR) && mkdir -p $(METRICS_DIR)
	@echo
	@echo "  Travel portal:   http://$(HOST):$(PORT)/   (redirects to https unless SECURE_SSL_REDIRECT=0: put the TLS proxy in front)"
	@echo "  Health:          http://$(HOST):$(PORT)/health/   (probes: Accept: application/json; liveness: /health/live)"
	@echo "  Metrics:         http://$(HOST):$(PORT)/metrics   ($$(if [ -n "$$METRICS_TOKEN" ]; then echo 'Authorization: Bearer $$METRICS_TOKEN'; elif [ -n "$$METRICS_ALLOWED_IPS" ]; then echo "from $$METRICS_ALLOWED_IPS"; else echo 'off: set METRICS_TOKEN'; fi))"
	@echo "  SCIM base URL:   http://$(HOST):$(PORT)/scim/v2/"
	@echo "  Support admin:   http://$(HOST):$(PORT)/admin/"
	@echo "  Database:        $$(echo "$$DATABASE_URL" | sed -E 's#//([^:@/]*):[^@/]*@#//\1:***@#')"
	@echo "  Redis:           $$(echo "$$REDIS_URL" | sed -E 's#//([^:@/]*):[^@/]*@#//\1:***@#')"
	@echo
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" PROMETHEUS_MULTIPROC_DIR=$(METRICS_DIR) HOST=$(HOST) \
		$(VENV)/bin/honcho start --procfile Procfile --port $(PORT)
