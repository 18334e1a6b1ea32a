# The two commands a fresh machine needs (README):
#   make build   create .venv, install, build every report for every year in params.yaml
#   make test    create .venv, install with test extras, run the test suite
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: build test test-tools install hooks dvc-repro benchmark clean

build: $(STAMP)
	$(BIN)/finsam build

test: $(STAMP) test-tools
	$(BIN)/python -m pytest

# Debian's Chromium (reports at phone width, axe) and LibreOffice Writer (Word files printed to PDF) for
# the tests that look at the reports as a reader does. Installed when run as root with apt (CI, a fresh
# build machine); elsewhere those tests are skipped and say why.
test-tools:
	@if command -v chromium >/dev/null 2>&1 && command -v soffice >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing chromium and libreoffice-writer (Debian) for the reader tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    chromium libreoffice-writer >/dev/null; \
	else echo "chromium or soffice missing and not root: the browser and Word-to-PDF tests will be skipped"; fi

install: $(STAMP)

# Reinstall when the package metadata changes; the project is installed editable.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	# axe-core (npm) for the accessibility test at phone width (tests/reports/test_reader.py); without npm
	# that test is skipped and says why.
	if command -v npm >/dev/null 2>&1; then npm install --silent --no-audit --no-fund --prefix $(VENV)/axe axe-core@4; \
	else echo "npm not found: tests/reports/test_reader.py's browser checks will be skipped"; fi
	touch $(STAMP)

# For contributors: strip notebook outputs on commit.
hooks: $(STAMP)
	$(BIN)/nbstripout --install --attributes .gitattributes

# DVC's own runner over the same dvc.yaml and dvc.lock (one stage at a time).
dvc-repro: $(STAMP)
	$(BIN)/finsam sync
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/dvc repro

benchmark: $(STAMP)
	$(BIN)/python benchmarks/bench_build.py
	$(BIN)/python benchmarks/bench_register.py
	$(BIN)/python benchmarks/bench_kernels.py

clean:
	rm -rf reports/* data/processed/* .finsam dvc.lock
	touch reports/.gitkeep data/processed/.gitkeep
