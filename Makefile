# Makefile - berth's front door. The build itself is Meson + ninja.
#
#   make          build build/berth and build/berth-sim
#   make check    every test suite, then the unit suite again under ASan+UBSan
#   make demo     the seed's whole chain, end to end, on loopback
#   make bench    the benchmark; writes bench/results.md
#   make fuzz     longer fuzzing runs (clang, libFuzzer)
#
# Each target installs missing Debian packages first (scripts/deps.sh).

BUILD      ?= build
ASAN_BUILD ?= build-asan
MESON_OPTS ?= --buildtype=debugoptimized -Dwerror=true

.PHONY: all deps build check check-unit demo bench fuzz install clean

all: build

deps:
	@scripts/deps.sh

$(BUILD)/build.ninja: | deps
	CC=gcc meson setup $(BUILD) $(MESON_OPTS) >/dev/null

$(ASAN_BUILD)/build.ninja: | deps
	CC=clang meson setup $(ASAN_BUILD) $(MESON_OPTS) -Db_sanitize=address,undefined -Db_lundef=false >/dev/null

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

check: deps $(BUILD)/build.ninja $(ASAN_BUILD)/build.ninja
	@scripts/check.sh $(BUILD) $(ASAN_BUILD)

demo: build
	@scripts/demo.sh $(BUILD)

bench: deps
	@bench/run.sh

fuzz: deps
	@scripts/fuzz.sh

install: build
	meson install -C $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-fuzz build-bench
