# The two commands of the README: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export PORT

.PHONY: run test install static migrate bootstrap lint bench fuzz clean

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

# Coverage-guided fuzzing (atheris) of the JSON parser and the ingest endpoints, FUZZ_SECONDS per
# target; not part of `make test` or CI. New interesting inputs go to var/fuzz/, the seeds stay in
# fuzz/corpus/. A crash leaves crash-* in the current directory and stops with its traceback.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= parser ai-logs metrics feedback
fuzz: install
	$(PY) -m pip install --quiet -r requirements-fuzz.txt
	set -e; for target in $(FUZZ_TARGETS); do \
		mkdir -p var/fuzz/corpus/$$target; \
		$(PY) fuzz/fuzz_api.py $$target var/fuzz/corpus/$$target fuzz/corpus/$$target \
			-max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=4096 -print_final_stats=1; \
	done

clean:
	rm -rf $(VENV) node_modules staticfiles var .pytest_cache
