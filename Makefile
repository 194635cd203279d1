# fiches: two commands do all the set-up. `make reports` builds every factsheet, `make test` runs the tests.
# The venv's interpreter: the distribution's python3 when it is 3.11 or newer and can make venvs.
# Debian and Ubuntu build it with profile-guided and link-time optimisation, into one static
# binary; WeasyPrint runs about a fifth faster in it than in an interpreter built from source
# without them (pyenv's default build, for one). Otherwise the first python3 on PATH.
# `make install PYTHON=...` chooses another; a venv made by another interpreter is made again.
SYSTEM_PYTHON := /usr/bin/python3
PYTHON ?= $(shell $(SYSTEM_PYTHON) -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 && echo $(SYSTEM_PYTHON) || echo python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# True (in a recipe) when the venv was made by another interpreter than $(PYTHON).
OTHER_INTERPRETER = [ "$$(cat $(VENV)/.python 2>/dev/null)" != "$(PYTHON)" ]
OUT    ?= out
DEP    ?= 12
JOBS   ?=
SOURCE ?= auto

.PHONY: install lock reports report test bench clean system-packages plotly-bundle

install:
	@if [ -f $(STAMP) ] && $(OTHER_INTERPRETER); then \
	  echo "$(VENV) was made by another interpreter: made again with $(PYTHON)"; rm -f $(STAMP); \
	fi
	@$(MAKE) --no-print-directory $(STAMP) PYTHON="$(PYTHON)"

# Debian's chromium for kaleido (never kaleido's own download) and, on Debian, its headless shell,
# which kaleido uses when present (same SVG, half the start-up; on GitHub's Ubuntu runners the browser
# comes from .github/scripts/runner-packages.sh), Pango for WeasyPrint, and poppler-utils for looking
# at PDFs.
# Without apt-get (macOS, Windows, other Linux), tools/system-packages.sh says what to install and stops.
system-packages:
	@bash tools/system-packages.sh

# The locked set (requirements/*.txt, with hashes), not whatever PyPI has today; `make lock` renews it.
$(STAMP): pyproject.toml requirements/dev.txt | system-packages
	@if [ -d $(VENV) ] && $(OTHER_INTERPRETER); then rm -rf $(VENV); fi
	$(PYTHON) -m venv $(VENV)
	@echo "$(PYTHON)" > $(VENV)/.python
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q --require-hashes -r requirements/dev.txt
	$(BIN)/pip install -q --no-deps -e .
	@touch $(STAMP)

# The locks, for Python 3.11 on Linux: runtime.txt (also shipped in the wheel, for the build key) and
# dev.txt (with the test and bench extras). Needs uv (`pip install uv`) and PyPI.
UV ?= uv
LOCK_FLAGS = --python-version 3.11 --python-platform linux --generate-hashes --quiet
lock:
	$(UV) pip compile pyproject.toml $(LOCK_FLAGS) -o requirements/runtime.txt
	$(UV) pip compile pyproject.toml --extra test --extra bench $(LOCK_FLAGS) -o requirements/dev.txt
	mkdir -p src/fiches/_requirements && cp requirements/runtime.txt src/fiches/_requirements/runtime.txt

reports: install
	$(BIN)/fiches build --all --regions --france --territoires --source $(SOURCE) --out $(OUT) $(if $(JOBS),--jobs $(JOBS))

report: install
	$(BIN)/fiches build $(DEP) --source $(SOURCE) --out $(OUT)

test: install
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python benchmarks/bench_ingest.py
	$(BIN)/python benchmarks/bench_build.py

# fiches's plotly.js (templates/plotly): the traces it draws, from the plotly.js pinned in
# tools/plotly-bundle. Only after changing that pin; needs Node.js and npm, which users never do.
plotly-bundle:
	cd tools/plotly-bundle && npm ci --no-audit --no-fund && node build.js

clean:
	rm -rf $(OUT) data/cache data/raw data/sample data/manifest.json .pytest_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
