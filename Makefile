# Two commands for a newcomer (see README):
#   make demo   install what is needed, build the 昭觉县 demo on SQLite and serve the web app
#   make test   install what is needed and run the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test check install clean

install: $(STAMP)

$(STAMP): pyproject.toml package.json package-lock.json
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	# Front-end assets (htmx, ECharts, Pico CSS) from npm, served as static files.
	npm ci --silent
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/fupin demo

test: $(STAMP)
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
