# sinter — the two set-up commands on a fresh Debian machine:
#   make demo   installs missing packages, builds, runs the end-to-end demo
#   make test   installs missing packages, builds, runs the whole test suite (ctest)
# Also: make bench (Release benchmarks, PyTorch side by side), make test-asan (ASan+UBSan),
#       make install PREFIX=DIR, make fuzz (libFuzzer on the ONNX loader, FUZZ_SECONDS=600).

BUILD     ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 600
JOBS      ?= 2
PREFIX    ?= /usr/local
CMAKE_FLAGS ?=

# Debian packages the build, the tests and the benchmarks use. (libdnnl-dev's CMake config
# requires OpenCL headers, which it only recommends: ocl-icd-opencl-dev.)
APT_PACKAGES := cmake ninja-build g++ ccache pkg-config libdnnl-dev ocl-icd-opencl-dev libhwy-dev libgtest-dev \
                libbenchmark-dev nlohmann-json3-dev zlib1g-dev python3 python3-numpy python3-torch python3-torchvision \
                dataset-fashion-mnist libprotobuf-dev protobuf-compiler libonnx-dev libonnx-testdata
# Anchors for `make bench`: LibTorch for the same-source comparison, and OpenBLAS, which
# python3-torch only recommends and without which its matmul runs on the reference BLAS.
BENCH_PACKAGES := libtorch-dev libopenblas0-pthread
# `make fuzz`: Debian's clang, its compiler-rt (libFuzzer and the sanitizer runtimes) and its
# OpenMP runtime.
FUZZ_PACKAGES := clang libclang-rt-dev libomp-dev
ONNX_TESTDATA ?= /usr/share/libonnx-testdata/data

# ccache: hash paths relative to the checkout, so a fresh clone elsewhere reuses the cache.
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps deps-bench deps-fuzz configure build test test-asan fuzz demo bench install clean

all: build

deps:
	@missing=""; for p in $(APT_PACKAGES) $(EXTRA_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

deps-bench:
	@$(MAKE) --no-print-directory deps EXTRA_PACKAGES="$(BENCH_PACKAGES)"

deps-fuzz:
	@$(MAKE) --no-print-directory deps EXTRA_PACKAGES="$(FUZZ_PACKAGES)"

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

configure: deps $(BUILD)/build.ninja

build: configure
	cmake --build $(BUILD) -j$(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

$(ASAN_BUILD)/build.ninja:
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS="-O1 -g" \
	  -DSINTER_SANITIZE=ON -DSINTER_BUILD_BENCH=OFF $(CMAKE_FLAGS)

test-asan: deps $(ASAN_BUILD)/build.ninja
	cmake --build $(ASAN_BUILD) -j$(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=0 ctest --output-on-failure -j$(JOBS)

# libFuzzer on the ONNX loader (tests/fuzz/onnx_load_fuzz.cpp) for FUZZ_SECONDS, in its own
# clang + ASan + UBSan build; not part of `make test`. Seeds: every model.onnx of
# libonnx-testdata. New inputs go to $(FUZZ_BUILD)/corpus, crashes/leaks/timeouts to
# $(FUZZ_BUILD)/findings/ (replay one: $(FUZZ_BUILD)/bin/onnx_load_fuzz FILE).
$(FUZZ_BUILD)/build.ninja:
	cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
	  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" -DSINTER_FUZZ=ON -DSINTER_BUILD_TESTS=OFF -DSINTER_BUILD_BENCH=OFF $(CMAKE_FLAGS)

fuzz: deps-fuzz $(FUZZ_BUILD)/build.ninja
	cmake --build $(FUZZ_BUILD) -j$(JOBS) --target onnx_load_fuzz
	@mkdir -p $(FUZZ_BUILD)/seeds $(FUZZ_BUILD)/corpus $(FUZZ_BUILD)/findings
	@for m in $(ONNX_TESTDATA)/*/*/model.onnx; do \
	  c=$$(dirname "$$m"); cp "$$m" "$(FUZZ_BUILD)/seeds/$$(basename $$(dirname "$$c"))_$$(basename "$$c").onnx"; \
	done
	OMP_NUM_THREADS=1 ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
	  $(FUZZ_BUILD)/bin/onnx_load_fuzz -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
	  -dict=tests/fuzz/onnx.dict -artifact_prefix=$(FUZZ_BUILD)/findings/ -print_final_stats=1 \
	  $(FUZZ_BUILD)/corpus $(FUZZ_BUILD)/seeds

# Trains the CNN on Fashion-MNIST (Debian's dataset-fashion-mnist) for two epochs; the
# last line is `test_accuracy: 0.XXXX`. DEMO_ARGS="--model mlp --epochs 5" for the MLP.
DEMO_ARGS ?= --model cnn --epochs 2
demo: build
	$(BUILD)/bin/fashion_mnist $(DEMO_ARGS) --out $(BUILD)/fashion_mnist

bench: deps-bench build
	cmake -S . -B $(BUILD) > /dev/null  # finds libtorch if deps-bench just installed it
	cmake --build $(BUILD) -j$(JOBS) --target benchmarks
	python3 bench/run.py --build $(BUILD) --out BENCHMARKS.md

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
