# Two commands for a newcomer (see README):
#   make demo   install what is needed, build the 昭觉县 demo on SQLite and serve the web app
#   make test   install what is needed and run the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test check install clean pdf-deps browser-deps

install: $(STAMP)

$(STAMP): pyproject.toml package.json package-lock.json
	$(MAKE) pdf-deps
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	# Front-end assets (htmx, ECharts, Pico CSS) from npm, served as static files.
	npm ci --silent
	touch $(STAMP)

# Debian packages, installed only when missing (with sudo when not root):
# - for the notice PDFs: WeasyPrint needs Pango; fonts-noto-cjk is the embedded CJK font;
#   poppler-utils reads PDFs back in the tests (ADR 0006);
# - for the browser tests: Debian's chromium (Playwright cannot download a browser here).
PDF_DEBS     := fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 poppler-utils
BROWSER_DEBS := chromium fonts-noto-cjk
APT_INSTALL  = SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq
pdf-deps:
	@if command -v apt-get >/dev/null && ! dpkg -s $(PDF_DEBS) >/dev/null 2>&1; then \
		$(APT_INSTALL) $(PDF_DEBS); fi
browser-deps:
	@if command -v apt-get >/dev/null && ! dpkg -s $(BROWSER_DEBS) >/dev/null 2>&1; then \
		$(APT_INSTALL) $(BROWSER_DEBS); fi

demo: $(STAMP)
	$(BIN)/fupin demo

test: $(STAMP) browser-deps
	$(BIN)/pytest -q -n 2 --dist loadgroup

# Static checks CI runs besides the tests.
check: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports
	FUPIN_HOME=$$(mktemp -d) $(BIN)/python manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV)
