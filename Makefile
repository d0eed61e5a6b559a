# e2u — the two commands a newcomer needs are `make demo` and `make test`.
#
#   make            build (build/, gcc, -Wall -Wextra -Werror)
#   make test       every test: unit, fuzz-corpus replay, system tests; then all of them again
#                   under ASan+UBSan (build-asan/)
#   make demo       resolve the seed examples of every enumservice
#   make bench      the benchmarks (ns per NAPTR-set evaluation, lookups, store)
#   make bench-server  e2ud beside Knot DNS and NSD on 1 M numbers (../shared/bench)
#   make bench-scale   e2ud on a 100 M-number store beside a 1 M-number one (queries/s ratio)
#   make soak       e2ud under dnsperf for 10 minutes while e2uctl changes 1000 numbers/s
#   make fuzz       libFuzzer runs of every target (clang; FUZZ_SECONDS each, default 120)
#
# Each target first installs missing Debian packages when run as root (scripts/deps.sh).

BUILD ?= build
ASAN ?= build-asan
FUZZ ?= build-fuzz
FUZZ_SECONDS ?= 120
SAN_ENV = ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
          UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

.PHONY: all deps build test test-asan demo bench bench-server bench-scale soak fuzz clean

all: build

deps:
	@scripts/deps.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD)

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

test: build
	meson test -C $(BUILD) --print-errorlogs
	$(MAKE) test-asan

$(ASAN)/build.ninja:
	CC=clang meson setup $(ASAN) -Db_sanitize=address,undefined -Db_lundef=false \
	    -Dc_args=-fno-sanitize-recover=all -Dc_link_args=-fno-sanitize-recover=all

test-asan: deps $(ASAN)/build.ninja
	ninja -C $(ASAN)
	$(SAN_ENV) meson test -C $(ASAN) --print-errorlogs

demo: build
	@examples/demo.sh $(BUILD)

bench: build
	@bench/run.sh $(BUILD)

bench-server: build
	@bench/server.sh $(BUILD)

bench-scale: build
	@bench/scale.sh $(BUILD)

soak: build
	@bench/soak.sh $(BUILD)

$(FUZZ)/build.ninja:
	CC=clang meson setup $(FUZZ) -Dfuzzing=true -Dtests=false

fuzz: deps $(FUZZ)/build.ninja
	ninja -C $(FUZZ)
	@for t in $(FUZZ)/fuzz/fuzz_*; do \
	    [ -f "$$t" ] && [ -x "$$t" ] || continue; \
	    n=$${t##*/fuzz_}; mkdir -p fuzz/out/$$n; \
	    echo "== $$n ($(FUZZ_SECONDS) s)"; \
	    $$t -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 -print_final_stats=1 \
	        fuzz/out/$$n fuzz/corpus/$$n 2>&1 | grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+ +DONE)|ERROR|SUMMARY' || true; \
	done

clean:
	rm -rf $(BUILD) $(ASAN) $(FUZZ)
