# rel2rev: every target creates .venv and installs what it needs on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev

.PHONY: demo test lint unit package bench clean java

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "rel2rev needs Python 3.11 or newer")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/rel2rev demo --out out

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/cfn-lint template.yaml

unit: $(STAMP) java
	$(BIN)/pytest -q tests/unit

# The Spark engine's tests need a Java runtime: Debian's OpenJDK 17, installed only when missing.
java:
	@command -v java >/dev/null 2>&1 || { \
		echo "installing Java 17 (Debian openjdk-17-jre-headless) for the Spark tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq openjdk-17-jre-headless; }

test: lint java
	$(BIN)/pytest -q -n 2 --dist loadfile

package: $(STAMP)
	$(BIN)/python -m rel2rev.packaging

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python bench/attribution.py
	$(BIN)/python bench/survival.py
	$(BIN)/python bench/incremental.py
	$(BIN)/python bench/job.py

clean:
	rm -rf $(VENV) out .mypy_cache .ruff_cache .pytest_cache .hypothesis
