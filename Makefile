# The two commands a new user needs: `make run` and `make test`.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)

.PHONY: all deps configure build run test bench screenshots clean check-sanitize fuzz

all: build

deps:
	@scripts/install-deps.sh

$(BUILD_DIR)/build.ninja: | deps
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

configure: $(BUILD_DIR)/build.ninja

build: deps configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	@scripts/run-console.sh $(BUILD_DIR)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 600

# The pictures in README.md, from the real binaries (docs/images/).
screenshots: build
	scripts/gui-screenshot.sh $(BUILD_DIR)
	scripts/gui-screenshot.sh $(BUILD_DIR) docs/images/gui-tasks.png light global.tasks
	scripts/gui-screenshot.sh $(BUILD_DIR) docs/images/gui-migrate.png light global.migrate
	scripts/conflict-screenshot.sh $(BUILD_DIR)
	scripts/registry-screenshot.sh $(BUILD_DIR)

bench: build
	bench/run-all.sh $(BUILD_DIR)

# AddressSanitizer + UndefinedBehaviorSanitizer: the whole project in its own
# folder, then the whole suite. Slow (about 3x); run it before resolving
# anything that touches core/. See docs/hardening.md.
ASAN_DIR ?= build-asan
check-sanitize: deps
	@scripts/check-sanitize.sh $(ASAN_DIR) $(JOBS)

# libFuzzer targets (clang): each runs FUZZ_SECONDS; findings land in
# tests/fuzz/corpus/<target>/, which `make test` replays. FUZZ_TARGETS picks some.
FUZZ_SECONDS ?= 60
fuzz:
	@FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_JOBS=$(JOBS) scripts/fuzz.sh $(FUZZ_TARGETS)

clean:
	rm -rf $(BUILD_DIR)
