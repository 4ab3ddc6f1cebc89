# The two commands of the README: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export PORT

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
run: static migrate
	$(PY) manage.py bootstrap --port $(PORT)
	$(VENV)/bin/honcho start -f Procfile

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
