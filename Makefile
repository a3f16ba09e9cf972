# The two set-up commands of the README: `make serve` and `make test`.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8080

.PHONY: serve test install browser bench fuzz coverage clean

$(STAMP): pyproject.toml setup.py
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

serve: $(STAMP)
	$(BIN)/osemock serve --host $(HOST) --port $(PORT)

# The portal's browser tests drive Debian's chromium (Playwright cannot download its own here).
# Installed once when missing and root (as in CI); otherwise those tests skip and say why.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium) \
	      || echo "make: chromium could not be installed; the browser tests will be skipped"; \
	  else echo "make: no chromium and not root; the browser tests will be skipped"; fi; }

test: $(STAMP) browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The property-based tests (marker fuzz) with 50 times their examples, or OSEMOCK_FUZZ_FACTOR's.
fuzz: $(STAMP)
	OSEMOCK_FUZZ_FACTOR=$${OSEMOCK_FUZZ_FACTOR:-50} $(BIN)/python -m pytest -q -m fuzz tests

bench: $(STAMP)
	$(BIN)/python bench/sendbill_load.py --requests 3000 --concurrency 16 --workers 2 --mix --runs 5
	$(BIN)/python bench/sendbill_load.py --rate 150 --seconds 10 --workers 2 --mix --runs 3
	$(BIN)/python bench/sendbill_load.py --requests 100 --workers 2 --big 2000
	$(BIN)/python bench/validate_speed.py

clean:
	rm -rf $(VENV) *.egg-info build dist var
