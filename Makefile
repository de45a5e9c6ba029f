# sinter — the two set-up commands on a fresh Debian machine:
#   make demo   installs missing packages, builds, runs the end-to-end demo
#   make test   installs missing packages, builds, runs the whole test suite (ctest)
# Also: make bench (Release benchmarks, PyTorch side by side), make test-asan (ASan+UBSan),
#       make install PREFIX=DIR.

BUILD     ?= build
ASAN_BUILD ?= build-asan
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

# ccache: hash paths relative to the checkout, so a fresh clone elsewhere reuses the cache.
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps deps-bench configure build test test-asan demo bench install clean

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
	rm -rf $(BUILD) $(ASAN_BUILD)
