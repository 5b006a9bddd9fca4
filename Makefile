# Two commands for a fresh machine (see README):
#   make serve   set up .venv and preview the example site at http://127.0.0.1:8000
#   make test    set up .venv and run every test
# Both install what they need; nothing has to be installed by hand first.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
ADDR   ?= 127.0.0.1:8000
STAMP  := $(VENV)/.installed

.PHONY: serve build test bench schema clean system-deps

$(STAMP): pyproject.toml
	@$(PYTHON) -m venv $(VENV) || { echo "python3 -m venv failed: install python3-venv (Debian/Ubuntu: apt-get install python3-venv)"; exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

serve: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve --dirty -a $(ADDR)

build: $(STAMP) system-deps
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

system-deps:
	@bash tools/install-system-deps.sh

test: $(STAMP) system-deps
	NO_MKDOCS_2_WARNING=1 $(BIN)/python -m pytest -q

bench: $(STAMP) system-deps
	$(BIN)/python benchmarks/bench_build.py

schema: $(STAMP)
	$(BIN)/grandrounds schema --out schema/case.schema.json

clean:
	rm -rf site rendered .pytest_cache
