# Presence module suite for Kamailio: top-level build.
#   make          set up (Debian packages, Kamailio source tree) and build
#   make run      build, create the SQLite DB, run Kamailio with our modules
#   make check    build and run every test (unit + SIP end-to-end)
#   make bench    load benchmark, ours beside Debian's presence modules
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

check: modules layers unit fuzz dbtest sip

run: modules
	bash scripts/run.sh

bench: modules
	bash bench/run.sh

clean:
	$(MAKE) -C lib/libpresence clean
	$(MAKE) -C test/unit clean
	@for m in $(MODULES); do $(MAKE) -C modules/$$m clean >/dev/null || true; done

.PHONY: all setup lib modules layers unit fuzz dbtest sip check run bench clean
