# The two commands a newcomer needs: `make book` and `make test`.
# Everything else here is what they are made of.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := book

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
BUILD  := _build
# The Python environment is installed from hash-pinned lock files (every package, with the
# SHA-256 of its files), compiled from requirements*.txt by `make lock` (tools/lock.py,
# pip-tools): requirements.txt stays the list of direct pins (and what Binder installs).
LOCK      := requirements-lock.txt
DEV_LOCK  := requirements-dev-lock.txt
PIP       := $(BIN)/python -m pip install --quiet --disable-pip-version-check
# Stamps: the environment is (re)installed when a requirements or lock file changes.
STAMP     := $(VENV)/.stamp-requirements
DEV_STAMP := $(VENV)/.stamp-requirements-dev
JB_FLAGS  := -W -n --keep-going
# The npm packages of the build (plotly.js, served by the site; mathjax-full, which typesets
# the math at build time; Lighthouse), pinned in package-lock.json, reinstalled (`npm ci`)
# when it changes.
NPM_STAMP := node_modules/.stamp-package-lock

.PHONY: book test test-claims test-fast screenshots setup setup-dev chromium clean serve audit lock check-lock

setup: $(STAMP) $(NPM_STAMP)
setup-dev: $(DEV_STAMP) $(NPM_STAMP)

## make check-lock: do the lock files agree with requirements*.txt?
check-lock:
	@$(PYTHON) tools/lock.py --check

# Every package at the lock's version, each file checked against the lock's hashes (pip
# itself, setuptools and wheel too); then the book package, built with that setuptools.
$(STAMP): requirements.txt $(LOCK) pyproject.toml
	@$(PYTHON) tools/lock.py --check
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) --require-hashes --no-deps -r $(LOCK)
	$(PIP) --no-deps --no-build-isolation -e .
	$(BIN)/python -m pip check
	@# Build matplotlib's font cache now, so that its one-off notice on stderr
	@# never lands in a notebook (stderr in a page fails the build).
	$(BIN)/python -c "import matplotlib.pyplot" >/dev/null 2>&1
	@touch $@

# npm ci checks every package against package-lock.json's integrity hashes; npmcheck then
# records the files the build uses, which the build checks before it uses them.
$(NPM_STAMP): package.json package-lock.json book/site/npmcheck.py
	@command -v npm >/dev/null 2>&1 || { echo "npm is missing: install Node.js and npm (Debian: apt-get install npm)"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	$(PYTHON) book/site/npmcheck.py record
	@touch $@

$(DEV_STAMP): $(STAMP) requirements-dev.txt $(DEV_LOCK)
	@$(PYTHON) tools/lock.py --check
	$(PIP) --require-hashes --no-deps -r $(DEV_LOCK)
	$(BIN)/python -m pip check
	@touch $@

## make lock: after editing requirements*.txt, compile the lock files (UPGRADE=1: newest releases)
lock:
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python tools/lock.py $(if $(UPGRADE),--upgrade,)

## make book: set up the environment and build the HTML site into _build/html
book: $(STAMP) $(NPM_STAMP)
	@mkdir -p $(BUILD)
	@if ! $(BIN)/jupyter-book build . $(JB_FLAGS) 2>&1 | tee $(BUILD)/build.log; then \
	  echo ""; \
	  echo "The build failed. Execution reports of failing notebooks: $(BUILD)/html/reports/"; \
	  echo "Full build log: $(BUILD)/build.log"; \
	  exit 1; \
	fi

## make test: set up (with test tools and Chromium) and run every test but the claims tier:
## unit tests, one cold build, the tests of the built site, the browser and Live Code tests
test: $(DEV_STAMP) $(NPM_STAMP) chromium
	$(BIN)/python -m pytest -m "not claims" --durations=30

## make test-claims: the second tier: robustness checks of the chapters' claims (other seeds and
## learning rates, the serial-versus-parallel rebuild; minutes of training each) and of the build
## (small books built with bad quiz files and failing cells, a build from the execution cache)
test-claims: $(DEV_STAMP) $(NPM_STAMP) chromium
	$(BIN)/python -m pytest -m claims --durations=30

## make screenshots: build (or update) the site, then take a full-page screenshot of every page
## (desktop; phone in light and dark mode), the explorer and a quiz, into _build/screenshots/
screenshots: $(DEV_STAMP) book chromium
	BOOK_REUSE_BUILD=1 BOOK_SCREENSHOTS=1 $(BIN)/python -m pytest -m "browser and not claims" \
	  tests/test_browser.py tests/test_phone.py tests/test_explorer_browser.py tests/test_quiz_browser.py \
	  -k "screenshot or sideways"
	@echo "Screenshots: $(BUILD)/screenshots/"

## make test-fast: only the fast unit tests (no build, no browser)
test-fast: $(DEV_STAMP)
	$(BIN)/python -m pytest -m "not slow and not browser and not claims"

# Browser tests drive Debian's Chromium (CHROME_PATH, default /usr/bin/chromium; never a
# downloaded browser); install it when missing and we are root.
chromium:
	@if [ -n "$${CHROME_PATH:-}" ] && [ -x "$${CHROME_PATH:-}" ]; then exit 0; fi; \
	if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else \
	    echo "Chromium is missing: install Debian's 'chromium' package (sudo apt-get install chromium)"; exit 1; \
	  fi; \
	fi

## make clean: remove the build output and the execution cache (the fix for a corrupt cache)
clean:
	rm -rf $(BUILD)

## make serve: serve the built site on http://127.0.0.1:8000 (this machine only)
serve:
	@test -f $(BUILD)/html/index.html || { echo "No site yet: run 'make book' first"; exit 1; }
	$(BIN)/python -m http.server 8000 --bind 127.0.0.1 --directory $(BUILD)/html

## make audit: Lighthouse 12 (pinned in package.json; mobile preset, 3 runs per page, median)
## on every page of the built site, served gzip-compressed on 127.0.0.1; the table goes to
## _build/audit/audit.md. Scores depend on the machine's load: run it on an idle machine.
audit: $(STAMP) $(NPM_STAMP)
	@test -f $(BUILD)/html/index.html || { echo "No site yet: run 'make book' first"; exit 1; }
	CHROME_PATH=$${CHROME_PATH:-/usr/bin/chromium} $(BIN)/python -m book.site.audit --runs $${AUDIT_RUNS:-3}
