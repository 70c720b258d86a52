# Presence module suite for Kamailio: top-level build.
#   make          set up (Debian packages, Kamailio source tree) and build
#   make run      build, create the SQLite DB, run Kamailio with our modules
#   make check    build and run every test (unit + SIP end-to-end)
#   make bench    load benchmark (bench/workers.sh): ours, Debian's presence
#                 and the tm floor at 1, 4, 8 workers; bench-quick: a smoke;
#                 bench-engines: bench/run.sh, the DB engines comparison;
#                 bench-shareddb: bench/shareddb.sh, DB-only mode on a shared DB;
#                 bench-dmq: bench/dmq.sh, cost of subscription replication
#                 (enable_subs_dmq 0 vs 1) on a 2-node DMQ cluster
#   make soak     20-minute soak with DB restarts: memory and failed calls
#   make install  modules, schemas, sample configs, docs (PREFIX, DESTDIR)
#   make deb      the Debian package kamailio-presence, into build/deb/
# KAMAILIO_SRC=/path builds against another configured Kamailio tree.
KAMAILIO_SRC ?= $(CURDIR)/build/kamailio-5.6.3
export KAMAILIO_SRC
MODULES := presence presence_xml pua presence_b2b

all: modules

setup:
	bash scripts/setup.sh

lib: setup
	$(MAKE) -C lib/libpresence

modules: lib
	@for m in $(MODULES); do $(MAKE) -C modules/$$m || exit 1; done

layers:
	bash scripts/check-layers.sh

# every parameter, function, RPC and statistic a module registers is in its
# README (doc/<module>.md)
docs:
	bash scripts/check-docs.sh
	bash scripts/check-docs.sh --self-test
.PHONY: docs

# API layouts against the Kamailio tree's own headers (test/abi)
abi: setup
	$(MAKE) -C test/abi check

unit: setup
	$(MAKE) -C test/unit run

sip: modules
	bash test/sip/run.sh
	ENGINE=postgres bash test/sip/run.sh
	ENGINE=mysql bash test/sip/run.sh
	IMPL=reference bash test/sip/run.sh pua

# DB drivers against real PostgreSQL and MariaDB servers the test starts
dbtest: setup
	bash test/db/run.sh

# libFuzzer targets of every parser, a bounded time each
fuzz: setup
	FUZZ_SECONDS=$${FUZZ_SECONDS:-8} bash test/fuzz/run.sh

check: modules layers docs abi unit fuzz dbtest sip check-dmq

run: modules
	bash scripts/run.sh

bench: modules
	bash bench/workers.sh

bench-quick: modules
	BENCH_QUICK=1 bash bench/workers.sh

bench-engines: modules
	bash bench/run.sh

# shared database: two DB-only instances on one MariaDB, then PostgreSQL,
# under SUBSCRIBE load; failed calls, deadlocks, DB writes per request
bench-shareddb: modules
	bash bench/shareddb.sh

# DMQ: two nodes, SUBSCRIBE load at one, enable_subs_dmq 0 then 1: CPU per
# SUBSCRIBE at each node, KDMQ per SUBSCRIBE, fan-out across nodes
bench-dmq: modules
	bash bench/dmq.sh

# bounded soak: mixed load for SOAK_SECONDS (1200) with DB restarts,
# memory sampled (bench/soak.sh)
soak: modules
	bash bench/soak.sh

clean:
	$(MAKE) -C lib/libpresence clean
	$(MAKE) -C test/unit clean
	@for m in $(MODULES); do $(MAKE) -C modules/$$m clean >/dev/null || true; done

.PHONY: all setup lib modules layers abi unit fuzz dbtest sip check run bench bench-quick bench-engines bench-shareddb bench-dmq soak clean

# The DMQ cluster tests (enable_dmq; enable_subs_dmq): three Kamailio
# nodes with Debian's dmq module on 127.0.0.1, about 30 s each, run by
# check after the SIP suite; their output is in
# test/sip/out/dmq-cluster/ and test/sip/out/dmq-cluster-subs/.
check-dmq: modules
	bash test/dmq/cluster.sh
	bash test/dmq/cluster-subs.sh

.PHONY: check-dmq

# The SIP suite on SQLite against Kamailio 6.0 built from Debian 13's source
# package (about ten minutes; not part of check): see the script.
check-kamailio6:
	bash scripts/check-kamailio6.sh

.PHONY: check-kamailio6

# ---------------------------------------------------------------- install
# make install [PREFIX=/usr/local] [DESTDIR=/staging]: the modules into their
# own directory (never Kamailio's module dir, so Kamailio's own presence
# modules are not overwritten), the schemas, the sample configs (their MPATH
# default rewritten to our module dir, then Kamailio's) and the docs.
# make uninstall removes exactly those files. make deb builds the Debian
# package into build/deb/; make pkgtest builds, installs, runs and purges it.
PREFIX ?= /usr/local
DESTDIR ?=
LP_MULTIARCH := $(shell dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null)
LP_LIBDIR = $(PREFIX)/lib$(if $(LP_MULTIARCH),/$(LP_MULTIARCH))
LP_MODDIR = $(LP_LIBDIR)/kamailio-presence/modules
LP_DATADIR = $(PREFIX)/share/kamailio-presence
LP_DOCDIR = $(PREFIX)/share/doc/kamailio-presence
LP_EXAMPLESDIR = $(LP_DOCDIR)/examples
# Kamailio's own module dir (tm, sl, ...), second in the installed mpath
KAMAILIO_MODDIR ?= /usr/lib$(if $(LP_MULTIARCH),/$(LP_MULTIARCH))/kamailio/modules
LP_ENGINES := sqlite postgres mysql
LP_CFGS := $(notdir $(wildcard scripts/kamailio-*.cfg))
LP_DOCS := $(notdir $(wildcard doc/*.md))
LP_INSTALL_VARS = DESTDIR="$(DESTDIR)" MODDIR="$(LP_MODDIR)" \
	DATADIR="$(LP_DATADIR)" DOCDIR="$(LP_DOCDIR)" \
	EXAMPLESDIR="$(LP_EXAMPLESDIR)" KAMAILIO_MODDIR="$(KAMAILIO_MODDIR)" \
	MODULES="$(MODULES)" ENGINES="$(LP_ENGINES)" CFGS="$(LP_CFGS)" \
	DOCS="$(LP_DOCS)"

install: modules
	$(LP_INSTALL_VARS) bash scripts/install.sh install

# copy the already built modules (debian/rules builds them itself)
install-files:
	$(LP_INSTALL_VARS) bash scripts/install.sh install

uninstall:
	$(LP_INSTALL_VARS) bash scripts/install.sh uninstall

deb: setup
	bash scripts/build-deb.sh

pkgtest: setup
	bash test/pkg/run.sh

# make check runs the package test last, after all its other prerequisites
# (also under make -j: it installs and purges a package and builds for a
# while, so it never runs beside the SIP tests)
check:
	$(MAKE) --no-print-directory pkgtest

.PHONY: install install-files uninstall deb pkgtest
