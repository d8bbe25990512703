# dcams — the two commands are `make demo` and `make test`; the rest are parts.
#
#   make demo     build, start the local sandbox, upsert from C then Python, read back
#   make test     every test: Rust (unit, integration, sandbox, header drift), C (plain,
#                 Valgrind, ASan/UBSan), Python
#   make test-faults  only the fault matrix (nginx TLS, squid, misbehaving servers)
#   make bench    benchmarks against curl and Python requests; writes BENCHMARKS.md
#   make install  library, header and dcams.pc under PREFIX (default /usr/local)
#   make header   regenerate include/dcams.h after changing the C API
#   make clean

CARGO  ?= cargo
PYTHON ?= python3
RELEASE_DIR := target/release
LIB := $(RELEASE_DIR)/libdcams.so
SANDBOX := $(RELEASE_DIR)/dcams-sandbox

PREFIX ?= /usr/local
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)

.PHONY: install test-install
# Installs the library, header and a pkg-config file under $(PREFIX) (DESTDIR honoured).
install: build
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 0755 $(LIB) $(DESTDIR)$(PREFIX)/lib/libdcams.so
	install -m 0644 $(RELEASE_DIR)/libdcams.a $(DESTDIR)$(PREFIX)/lib/libdcams.a
	install -m 0644 include/dcams.h $(DESTDIR)$(PREFIX)/include/dcams.h
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' scripts/dcams.pc.in \
	  > $(DESTDIR)$(PREFIX)/lib/pkgconfig/dcams.pc

# Installs into a temporary prefix and builds the C sample against it with pkg-config.
test-install: build test-tools
	scripts/check-install.sh

.PHONY: all build demo test test-rust test-c test-python test-demo test-readme python-deps header clean

all: build

build:
	$(CARGO) build --release --workspace
	$(MAKE) -C bindings/c all DCAMS_LIBDIR=$(CURDIR)/$(RELEASE_DIR)

demo: build
	scripts/demo.sh

test: test-rust build test-c test-python test-demo test-readme test-install
	@echo "make test: all suites passed"

# Includes the fault matrix (tests/faults.rs), whose real servers are installed first.
test-rust: test-tools
	DCAMS_FAULTS_REQUIRE_TOOLS=1 $(CARGO) test --workspace

# The C suite runs three times: plain, under Valgrind, and built with ASan/UBSan.
test-c: build test-tools
	$(MAKE) -C bindings/c test valgrind asan DCAMS_LIBDIR=$(CURDIR)/$(RELEASE_DIR) SANDBOX=$(CURDIR)/$(SANDBOX)

# pytest from pip; where pip may not install into this Python (PEP 668), Debian's package.
python-deps:
	@$(PYTHON) -c "import pytest" 2>/dev/null || $(PYTHON) -m pip install --quiet "pytest>=7" \
	  || { sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; $$sudo apt-get install -y python3-pytest; }

test-python: build python-deps
	DCAMS_LIB=$(CURDIR)/$(LIB) DCAMS_SANDBOX_BIN=$(CURDIR)/$(SANDBOX) \
	  $(PYTHON) -m pytest -q bindings/python/tests

test-demo: build
	scripts/check-demo.sh

# The README's C and Python examples, compiled and run as written.
test-readme: build test-tools
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

# The programs the tests run beside the library: nginx (TLS with a private CA made at
# test time), squid (CONNECT proxy) and openssl for the fault matrix, valgrind for the
# C suite and the README check. Installed with apt-get (as root, or through sudo) when
# missing. DCAMS_FAULTS_REQUIRE_TOOLS=1 makes a missing tool a failure, not a skip.
TEST_TOOLS := nginx squid openssl valgrind pkg-config

.PHONY: test-faults test-tools
test-tools:
	@missing=""; for t in $(TEST_TOOLS); do \
	  command -v $$t >/dev/null 2>&1 || [ -x /usr/sbin/$$t ] || missing="$$missing $$t"; \
	done; \
	if [ -n "$$missing" ]; then \
	  sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  echo "test-tools: installing$$missing"; \
	  $$sudo apt-get update && \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing; \
	fi

test-faults: test-tools
	DCAMS_FAULTS_REQUIRE_TOOLS=1 $(CARGO) test --test faults -- --nocapture
