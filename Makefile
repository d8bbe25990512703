# dcams — the two commands are `make demo` and `make test`; the rest are parts.
#
#   make demo       build, start the local sandbox, upsert from C then Python, read back
#   make test       every test: hygiene (fmt, clippy, rustdoc), Rust (unit, integration,
#                   fault matrix, C-ABI and header tests), fuzz targets (build), C (plain,
#                   Valgrind, ASan/UBSan), C++, Python (installed wheel, mypy), demo,
#                   README examples, install (make install and cargo cinstall)
#   make build      the release library, the sandbox and the C sample
#   make install    what `make build` made, under PREFIX (default /usr/local); runs no
#                   cargo, so `make build && sudo make install` works. DESTDIR honoured.
#   make uninstall  removes exactly what `make install` put there
#   make bench      benchmarks against curl and Python requests; writes BENCHMARKS.md
#   make header     regenerate include/dcams.h after changing the C API
#   make clean

CARGO   ?= cargo
PYTHON  ?= python3
RELEASE_DIR := target/release
LIB     := $(RELEASE_DIR)/libdcams.so
STATIC  := $(RELEASE_DIR)/libdcams.a
SANDBOX := $(RELEASE_DIR)/dcams-sandbox

# The version has one home: [workspace.package] in Cargo.toml.
VERSION := $(shell sed -n '/^\[workspace.package\]/,/^\[/ s/^version = "\(.*\)"/\1/p' Cargo.toml)
MAJOR   := $(firstword $(subst ., ,$(VERSION)))

PREFIX     ?= /usr/local
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
DATADIR    ?= $(PREFIX)/share
HEADERS    := include/dcams.h $(wildcard include/dcams.hpp)

.PHONY: all build demo test header clean install uninstall bench
all: build

build:
	$(CARGO) build --release --workspace
	@# The SONAME is libdcams.so.$(MAJOR): programs linked against the build tree need that name too.
	ln -sf libdcams.so $(RELEASE_DIR)/libdcams.so.$(MAJOR)
	$(MAKE) -C bindings/c all DCAMS_LIBDIR=$(CURDIR)/$(RELEASE_DIR)

demo: build
	scripts/demo.sh

header:
	$(CARGO) build -p dcams
	cp "$$(ls -t target/debug/build/dcams-*/out/dcams.h | head -n 1)" include/dcams.h

clean:
	$(CARGO) clean
	$(MAKE) -C bindings/c clean
	$(MAKE) -C bindings/python clean

# ---------------------------------------------------------------------------
# Install: copies only, no cargo.

INSTALLED := $(LIBDIR)/libdcams.so.$(VERSION) $(LIBDIR)/libdcams.so.$(MAJOR) $(LIBDIR)/libdcams.so \
             $(LIBDIR)/libdcams.a $(LIBDIR)/pkgconfig/dcams.pc \
             $(addprefix $(INCLUDEDIR)/,$(notdir $(HEADERS))) \
             $(DATADIR)/cmake/dcams/dcamsConfig.cmake $(DATADIR)/cmake/dcams/dcamsConfigVersion.cmake

install:
	@test -f $(LIB) -a -f $(STATIC) || { echo "make install: $(LIB) not found: run 'make build' first (as the user who has cargo)" >&2; exit 1; }
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(DATADIR)/cmake/dcams
	install -m 0755 $(LIB) $(DESTDIR)$(LIBDIR)/libdcams.so.$(VERSION)
	ln -sf libdcams.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libdcams.so.$(MAJOR)
	ln -sf libdcams.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libdcams.so
	install -m 0644 $(STATIC) $(DESTDIR)$(LIBDIR)/libdcams.a
	install -m 0644 $(HEADERS) $(DESTDIR)$(INCLUDEDIR)/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
	    -e 's|@VERSION@|$(VERSION)|' packaging/dcams.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/dcams.pc
	install -m 0644 packaging/dcamsConfig.cmake packaging/dcamsConfigVersion.cmake $(DESTDIR)$(DATADIR)/cmake/dcams/
	@echo "installed $(LIBDIR)/libdcams.so.$(VERSION): $$(stat -c %s $(DESTDIR)$(LIBDIR)/libdcams.so.$(VERSION)) bytes, stripped (release profile)"

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	-rmdir $(DESTDIR)$(DATADIR)/cmake/dcams 2>/dev/null

# ---------------------------------------------------------------------------
# Tests. CI starts nothing: what a test needs is installed here.

.PHONY: test-hygiene test-rust test-fuzz-build test-c test-cpp test-python test-demo test-readme \
        test-install test-tools test-faults cargo-c

test: test-hygiene test-rust test-fuzz-build build test-c test-cpp test-python test-demo test-readme test-install
	@echo "make test: all suites passed"

# Formatting (the committed rustfmt.toml), clippy with warnings denied, rustdoc with warnings
# denied; and the client crate knows nothing of C (no exports, C names or C types, no cbindgen).
test-hygiene:
	@if grep -rn 'no_mangle\|DCAMS_ERR_\|c_char' client/; then echo "test-hygiene: C vocabulary in the client crate" >&2; exit 1; fi
	@if $(CARGO) tree -p dcams-client -e normal,build | grep cbindgen; then echo "test-hygiene: dcams-client builds with cbindgen" >&2; exit 1; fi
	$(CARGO) fmt --all --check
	cd fuzz && $(CARGO) fmt --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --no-deps --workspace

# Includes the fault matrix (client/tests/faults.rs), whose real servers are installed first.
test-rust: test-tools
	DCAMS_FAULTS_REQUIRE_TOOLS=1 $(CARGO) test --workspace

# The cargo-fuzz targets, built (not run) against the ABI kit they share with tests/properties.rs.
test-fuzz-build:
	$(CARGO) build --manifest-path fuzz/Cargo.toml

# The C suite runs three times: plain, under Valgrind, and built with ASan/UBSan.
test-c: build test-tools
	$(MAKE) -C bindings/c test valgrind asan DCAMS_LIBDIR=$(CURDIR)/$(RELEASE_DIR) SANDBOX=$(CURDIR)/$(SANDBOX)

test-cpp: build test-tools
	@if [ -f bindings/cpp/Makefile ]; then \
	  $(MAKE) -C bindings/cpp test valgrind asan DCAMS_LIBDIR=$(CURDIR)/$(RELEASE_DIR) SANDBOX=$(CURDIR)/$(SANDBOX); \
	fi

# The Python package as a user gets it: a wheel installed into a venv under target/.
test-python: build
	$(MAKE) -C bindings/python test SANDBOX=$(CURDIR)/$(SANDBOX)

test-demo: build
	scripts/check-demo.sh

# The README's C, C++ and Python examples, compiled and run as written.
test-readme: build test-tools
	$(MAKE) -C bindings/python install
	$(PYTHON) scripts/check-readme.py

# make install and cargo cinstall into temporary prefixes; the C sample built from a
# separate directory with pkg-config (shared, static) and CMake, run against a sandbox.
test-install: build test-tools cargo-c
	scripts/check-install.sh

# cargo-c for `cargo cinstall`: 0.10.24 is the newest release that builds with this
# machine's rustc; built once (about 8 minutes on 2 cores), then cached in ~/.cargo/bin.
CARGO_C_VERSION := 0.10.24
cargo-c:
	@$(CARGO) cinstall --version 2>/dev/null | grep -q "$(CARGO_C_VERSION)" || \
	  $(CARGO) install --locked cargo-c --version $(CARGO_C_VERSION)

# The programs the tests run beside the library: nginx (TLS with a private CA made at
# test time), squid (CONNECT proxy) and openssl for the fault matrix, valgrind for the
# C suites and the README check, pkg-config and cmake for the install check, binutils
# (objdump) for ctypes' find_library. Installed with apt-get (as root, or through sudo)
# when missing. DCAMS_FAULTS_REQUIRE_TOOLS=1 makes a missing tool a failure, not a skip.
TEST_TOOLS := nginx squid openssl valgrind pkg-config cmake objdump:binutils
test-tools:
	@missing=""; for t in $(TEST_TOOLS); do \
	  cmd=$${t%%:*}; pkg=$${t#*:}; \
	  command -v $$cmd >/dev/null 2>&1 || [ -x /usr/sbin/$$cmd ] || missing="$$missing $$pkg"; \
	done; \
	if [ -n "$$missing" ]; then \
	  sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  echo "test-tools: installing$$missing"; \
	  $$sudo apt-get update && \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing; \
	fi

test-faults: test-tools
	DCAMS_FAULTS_REQUIRE_TOOLS=1 $(CARGO) test -p dcams-client --test faults -- --nocapture

# make bench: W1-W5 against the sandbox and an nginx sink; prints the table, writes BENCHMARKS.md
bench:
	bench/run.sh
