# The two commands a new machine needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: run test install install-test install-ray browser bench bench-runs

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

# The tests start a real Ray cluster on loopback, so they need the scale-out set too.
$(VENV)/.installed-test: $(VENV)/.installed requirements-dev.txt requirements-ray.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt -r requirements-ray.txt
	touch $@

$(VENV)/.installed-ray: $(VENV)/.installed requirements-ray.txt
	$(PY) -m pip install --quiet -r requirements-ray.txt
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test
install-ray: $(VENV)/.installed-ray

# Debian's Chromium drives the browser tests; Playwright never downloads a browser here.
browser:
	@test -x /usr/bin/chromium || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium fonts-dejavu-core; }

run: $(VENV)/.installed
	$(PY) -m core init
	$(PY) -m streamlit run streamlit_app.py --server.port $(PORT)

test: $(VENV)/.installed-test browser
	$(PY) -m pytest

bench: $(VENV)/.installed
	$(PY) bench/ingest.py
	$(PY) bench/scoring.py
	$(PY) bench/fairness.py
	$(PY) bench/drift.py
	$(PY) bench/serve.py

bench-runs: $(VENV)/.installed bench/requirements.txt
	$(PY) -m pip install --quiet -r bench/requirements.txt
	$(PY) bench/runs.py
