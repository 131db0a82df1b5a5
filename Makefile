# Auralis: the two commands are `make run` and `make test`.
#   make          builds build/auralis (optimised, with debug info)
#   make run      installs what is missing, builds, runs the main job
#   make test     installs what is missing, builds, runs every test (ctest),
#                 then the unit tests again under ASan+UBSan
#   make bench    prints the synthesis benchmark
#   make load     server load test (bench/), make soak: 30 minutes
#                 (LISTENERS=2000 PERSONAL=50 CODEC=opus: the issue-10 floor)
#   make bench-http  HTTP Opus listeners vs a local Icecast, the same client
#                 (HTTP_N=2000 HTTP_T=30 HTTP_RAMP=10 HTTP_WARMUP=12 RUNS=3)
#   make player-session  10 minutes of the player in headless Chromium
#                 (CODEC=opus|pcm16|auto, default auto: Opus where WebCodecs has it)
#   make fuzz     libFuzzer on what clients send (FUZZ_SECONDS per target)
#   make monitor  a local Prometheus scraping a running server (MONITOR_TARGET)
#   make format   clang-format every C file
#   make music-report  renders pieces, prints the music figures of issue 8,
#                 writes spectrograms and spectra into build/music/
#   make pieces-report  the same figures for every named piece in its own
#                 defaults (PIECES_ARGS), into build/pieces/
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)

.PHONY: all build deps deps-test node-deps run test test-unit test-asan bench \
        bench-http load soak player-session fuzz format clean monitor music-report \
        pieces-report

all: build

deps:
	@scripts/install-deps.sh build

deps-test:
	@scripts/install-deps.sh all

node-deps: deps-test
	@scripts/install-node-deps.sh

# hls.js (npm, pinned) is embedded in the binary: npm ci before configuring
build: deps
	@scripts/install-node-deps.sh
	@test -f $(BUILD)/CMakeCache.txt || scripts/configure.sh $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAU_WERROR=ON
	@cmake --build $(BUILD) -j $(JOBS)

run: build
	@scripts/run-main.sh $(BUILD)/auralis

# Both stages always run: a failing ctest entry does not hide what the
# sanitizers would say. The last lines name each stage's outcome and the
# failed tests (ctest lists them; each test's output names the assertion).
test: deps-test node-deps build
	@scripts/run-tests.sh $(BUILD) $(ASAN_BUILD) $(JOBS)

test-asan: deps-test
	@scripts/configure.sh $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DAU_WERROR=ON -DAU_SANITIZE=ON
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	@cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -L unit -j $(JOBS) --timeout 900

bench: build
	@$(BUILD)/auralis bench

# MUSIC_ARGS e.g. "--seeds 7,3,11 --minutes 10" (see scripts/music_report.py)
music-report: build
	@nice /usr/bin/python3 scripts/music_report.py --bin $(BUILD)/auralis \
	  --out $(BUILD)/music --json $(BUILD)/music/report.json $(MUSIC_ARGS)

# PIECES_ARGS e.g. "--pieces rooms,night --seeds 7,3 --minutes 10 --png"
# (see scripts/pieces_report.py)
pieces-report: build
	@nice /usr/bin/python3 scripts/pieces_report.py --bin $(BUILD)/auralis \
	  --out $(BUILD)/pieces --json $(BUILD)/pieces/report.json $(PIECES_ARGS)

# Server load (3 min) and soak (30 min) tests: see bench/README.md.
load: build
	@$(MAKE) --no-print-directory -C bench load AURALIS=$(abspath $(BUILD))/auralis

# bench/http-vs-icecast.sh: RUNS runs of each server, medians at the end
HTTP_N ?= 2000
HTTP_T ?= 30
HTTP_RAMP ?= 10
HTTP_WARMUP ?= 12
bench-http: node-deps build
	@bench/http-vs-icecast.sh $(HTTP_N) $(HTTP_T) $(HTTP_RAMP) $(HTTP_WARMUP) $(abspath $(BUILD))/auralis

soak: build
	@$(MAKE) --no-print-directory -C bench soak AURALIS=$(abspath $(BUILD))/auralis

# A 10-minute listening session in headless Chromium (SECONDS=600).
player-session: node-deps build
	@node bench/player-session.mjs --seconds $${SECONDS:-600} --bin $(BUILD)/auralis --codec $${CODEC:-auto}

# A local Prometheus (port MONITOR_PORT) scraping a running server at
# MONITOR_TARGET with docs/prometheus/alerts.yml; docs/operations.md.
MONITOR_TARGET ?= 127.0.0.1:8000
MONITOR_PORT   ?= 9190
monitor: deps-test
	@scripts/monitor.sh --target $(MONITOR_TARGET) --port $(MONITOR_PORT)

# libFuzzer targets for what strangers send (control JSON, query strings,
# request paths): clang, ASan+UBSan, coverage on the libraries too.
# FUZZ_SECONDS per target (default 60); corpora kept in build-fuzz/corpus.
FUZZ_SECONDS ?= 60
FUZZERS := fuzz_control fuzz_query fuzz_path fuzz_rxguard fuzz_hls_path fuzz_icecast_url
fuzz: deps-test
	@scripts/configure.sh build-fuzz -DCMAKE_C_COMPILER=clang \
	  -DCMAKE_BUILD_TYPE=Debug -DAU_FUZZ=ON -DAU_SANITIZE=ON \
	  -DCMAKE_C_FLAGS=-fsanitize=fuzzer-no-link
	@cmake --build build-fuzz -j $(JOBS) --target $(FUZZERS)
	@for f in $(FUZZERS); do \
	  mkdir -p build-fuzz/corpus/$$f; \
	  echo "fuzzing $$f for $(FUZZ_SECONDS) s"; \
	  dict=; [ -f fuzz/$$f.dict ] && dict=-dict=fuzz/$$f.dict; \
	  build-fuzz/$$f -max_total_time=$(FUZZ_SECONDS) -max_len=4096 $$dict \
	    -artifact_prefix=build-fuzz/ -print_final_stats=1 \
	    build-fuzz/corpus/$$f > build-fuzz/$$f.log 2>&1; rc=$$?; \
	  tail -4 build-fuzz/$$f.log; \
	  [ $$rc -eq 0 ] || { echo "fuzz: $$f failed (build-fuzz/$$f.log; input in build-fuzz/)"; exit 1; }; \
	done

format:
	@clang-format -i $$(git ls-files 'src/*.c' 'src/*.h' 'tests/*.c' 'bench/*.c' 'fuzz/*.c')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-fuzz
