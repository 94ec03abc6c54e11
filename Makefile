# bertc: thin wrappers around scripts/install-deps.sh, CMake and the test runners.
# Everything a fresh Debian 12 machine needs is installed by `make deps`, which the
# other targets call first (it returns at once when nothing is missing).

BUILD_DIR ?= build
JOBS ?= 2
LLVM_BIN := /usr/lib/llvm-22/bin
CMAKE_FLAGS ?=


.PHONY: all deps configure build test demo check-lit clean

all: build

deps:
	@./scripts/install-deps.sh $(BUILD_DIR)

$(BUILD_DIR)/build.ninja: CMakeLists.txt | deps
	cmake -G Ninja -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release \
	  -DLLVM_EXTERNAL_LIT=$(LLVM_BIN)/lit -DPython3_EXECUTABLE=/usr/bin/python3 \
	  -DBERT_HALIDE_VENV=$(abspath $(BUILD_DIR))/_deps/halide-venv $(CMAKE_FLAGS)

configure: deps $(BUILD_DIR)/build.ninja

build: configure
	ninja -C $(BUILD_DIR) -j $(JOBS)

# All tests: the lit suite (dialect, passes, pipelines, driver, evaluator) and the
# C++ unit and numerical tests, all registered with CTest.
test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

check-lit: build
	ninja -C $(BUILD_DIR) check-bert

demo: build
	@./scripts/demo.sh $(BUILD_DIR)

clean:
	rm -rf $(BUILD_DIR)
