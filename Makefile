# dcams — the two commands are `make demo` and `make test`; the rest are parts.
#
#   make demo     build, start the local sandbox, upsert from C then Python, read back
#   make test     every test: Rust (unit, integration, sandbox, header drift), C (plain,
#                 Valgrind, ASan/UBSan), Python
#   make header   regenerate include/dcams.h after changing the C API
#   make clean

CARGO  ?= cargo
PYTHON ?= python3
RELEASE_DIR := target/release
LIB := $(RELEASE_DIR)/libdcams.so
SANDBOX := $(RELEASE_DIR)/dcams-sandbox

.PHONY: all build demo test test-rust test-c test-python test-demo test-readme python-deps header clean

all: build

build:
	$(CARGO) build --release --workspace
	$(MAKE) -C bindings/c all DCAMS_LIBDIR=$(CURDIR)/$(RELEASE_DIR)

demo: build
	scripts/demo.sh

test: test-rust build test-c test-python test-demo test-readme
	@echo "make test: all suites passed"

test-rust:
	$(CARGO) test --workspace

# The C suite runs three times: plain, under Valgrind, and built with ASan/UBSan.
test-c: build
	$(MAKE) -C bindings/c test valgrind asan DCAMS_LIBDIR=$(CURDIR)/$(RELEASE_DIR) SANDBOX=$(CURDIR)/$(SANDBOX)

python-deps:
	@$(PYTHON) -c "import pytest" 2>/dev/null || $(PYTHON) -m pip install --quiet "pytest>=7"

test-python: build python-deps
	DCAMS_LIB=$(CURDIR)/$(LIB) DCAMS_SANDBOX_BIN=$(CURDIR)/$(SANDBOX) \
	  $(PYTHON) -m pytest -q bindings/python/tests

test-demo: build
	scripts/check-demo.sh

# The README's C and Python examples, compiled and run as written.
test-readme: build
	$(PYTHON) scripts/check-readme.py

header:
	$(CARGO) build
	cp "$$(ls -t target/debug/build/dcams-*/out/dcams.h | head -n 1)" include/dcams.h

clean:
	$(CARGO) clean
	$(MAKE) -C bindings/c clean

# make bench: W1-W5 against the sandbox and an nginx sink; prints the table, writes BENCHMARKS.md
.PHONY: bench
bench:
	bench/run.sh
