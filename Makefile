# The two commands of the README: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# Local only by default (DEBUG is on in `make run`); HOST=0.0.0.0 to reach it from other machines.
HOST ?= 127.0.0.1
export PORT HOST

.PHONY: run test install static migrate bootstrap lint bench clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed node_modules/.installed

static: install
	$(PY) manage.py collectstatic --noinput --verbosity 0

migrate: install
	$(PY) manage.py migrate --noinput

# Local run: DEBUG on and plain-HTTP cookies unless the environment says otherwise.
run: export DJANGO_DEBUG ?= true
run: export SITE_URL ?= http://$(if $(filter 0.0.0.0 ::,$(HOST)),127.0.0.1,$(HOST)):$(PORT)
run: static migrate
	$(PY) manage.py bootstrap --host $(HOST) --port $(PORT)
	$(PY) -m monitoring_site.run --procfile Procfile --port $(PORT)

test: export VAR_DIR ?= $(CURDIR)/var/test
test: install static
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: install
	$(PY) -m bench

clean:
	rm -rf $(VENV) node_modules staticfiles var .pytest_cache
