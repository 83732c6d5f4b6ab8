# Makefile - builds rnnc (build/rnnc, linked as ./rnnc), the runtime library
# of the programs it generates (build/librnnrt.a), and runs their tests.
#   make            build the compiler
#   make test       unit, golden, robustness and end-to-end tests, plain and
#                   again under AddressSanitizer + UndefinedBehaviorSanitizer
#   make install    PREFIX=/usr/local
#   make test-slow  slower checks: ONNX exports through onnx.checker and ONNX
#                   Runtime, embedded C on a Cortex-M4 under QEMU,
#                   data-parallel training under Open MPI, ThreadSanitizer,
#                   the fuzzers and the random cell tester
#   make bench      against PyTorch (training, inference), LLVM/C, compile times
#   make fuzz       every libFuzzer harness for FUZZ_SECONDS (default 30) each
#   make test-random  the random cell tester on RANDOM_CELLS cells (default 300)
# Generated sources (bison, flex, the embedded prelude) go to $(BUILD).

CC      ?= cc
BUILD   ?= build
PREFIX  ?= /usr/local
VERSION := 0.1.0
CFLAGS  ?= -O2 -g
SAN     ?=
ifeq ($(SAN),1)
  PARITY_BUILDS = -O2 --backend c,-O0 --backend c,-O2 --backend llvm
  LLVM_LEVELS = -O2
  export RNNC_CFLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all -g
  export ASAN_OPTIONS = detect_leaks=1:exitcode=86
  export UBSAN_OPTIONS = print_stacktrace=1:halt_on_error=1:exitcode=87
  CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
  LDFLAGS += -fsanitize=address,undefined
endif
# With Open MPI's mpicc (Debian libopenmpi-dev), the runtime also gets the
# MPI layer that `rnnc build --mpi` links (docs/mpi.md); without it, rnnc
# builds and --mpi says what is missing.
MPICC   ?= mpicc
MPI_OBJ := $(if $(shell command -v $(MPICC)),$(BUILD)/rt_dist_mpi.o)
LLVM_CONFIG ?= llvm-config
LLVM_CFLAGS := $(shell $(LLVM_CONFIG) --cflags | sed 's/-D_GNU_SOURCE//')
LLVM_LIBS   := $(shell $(LLVM_CONFIG) --ldflags --libs)
# ONNX files are read with protobuf-c (Debian libprotobuf-c-dev), its C
# generated at build time from the onnx.proto of Debian's libonnx-dev.
ONNX_PROTO ?= /usr/include/onnx/onnx.proto
COMPILER_LIBS = $(LLVM_LIBS) -lprotobuf-c
ALL_CFLAGS = $(CFLAGS) -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra \
             -DRNNC_VERSION='"$(VERSION)"' -Icompiler -I$(BUILD)

COMPILER_SRCS := $(filter-out compiler/main.c,$(wildcard compiler/*.c))
COMPILER_OBJS := $(COMPILER_SRCS:compiler/%.c=$(BUILD)/%.o) \
                 $(BUILD)/parser.o $(BUILD)/lexer.o $(BUILD)/prelude.o $(BUILD)/nolibm_text.o $(BUILD)/onnx.pb-c.o
RUNTIME_SRCS  := $(filter-out runtime/dist_mpi.c,$(wildcard runtime/*.c))
RUNTIME_OBJS  := $(RUNTIME_SRCS:runtime/%.c=$(BUILD)/runtime/%.o)
UNIT_TESTS    := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c))
FUZZ_NAMES    := frontend npy safetensors checkpoint text onnx
REPLAYS       := $(FUZZ_NAMES:%=$(BUILD)/tests/replay_%)

.PHONY: all rnnc test test-one test-slow mpi-asan install clean bench fuzz fuzzers test-random tsan tsan-run
all: $(BUILD)/rnnc rnnc $(BUILD)/librnnrt.a $(BUILD)/include/rnnrt.h $(MPI_OBJ)

# ./rnnc is the plain build's (not build/asan's or build/tsan's)
rnnc: $(BUILD)/rnnc
	$(if $(filter build,$(BUILD)),ln -sf $(BUILD)/rnnc rnnc)

$(BUILD)/rnnc: $(BUILD)/main.o $(BUILD)/librnnc.a $(BUILD)/librnnrt.a
	$(CC) $(LDFLAGS) -o $@ $^ $(COMPILER_LIBS) -lm -pthread

$(BUILD)/librnnc.a: $(COMPILER_OBJS)
	rm -f $@ && ar rcs $@ $^

# The runtime the generated programs link with; rnnc finds it beside itself.
$(BUILD)/librnnrt.a: $(RUNTIME_OBJS)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/rt_dist_mpi.o: runtime/dist_mpi.c runtime/rt_dist.h | $(BUILD)
	$(MPICC) $(ALL_CFLAGS) -Iruntime -c -o $@ $<

$(BUILD)/runtime/%.o: runtime/%.c $(wildcard runtime/*.h) | $(BUILD)/runtime
	$(CC) $(ALL_CFLAGS) -Iruntime -c -o $@ $<

# The kernels vectorise at -O3, for this machine's vector units unless
# KERNEL_ARCH says otherwise; no contraction, so the order of every sum is
# the one written in kernels.c and every backend gets the same bits.
KERNEL_ARCH ?= -march=native
$(BUILD)/runtime/kernels.o $(BUILD)/runtime/kernels_bf16.o: ALL_CFLAGS += -O3 -ffp-contract=off $(KERNEL_ARCH)

$(BUILD)/include/rnnrt.h: runtime/rnnrt.h | $(BUILD)/include
	cp $< $@

$(BUILD)/parser.c $(BUILD)/parser.h: grammar/parser.y | $(BUILD)
	bison -Wall -Werror --defines=$(BUILD)/parser.h -o $(BUILD)/parser.c $<

$(BUILD)/lexer.c: grammar/lexer.l $(BUILD)/parser.h | $(BUILD)
	flex -o $@ $<

$(BUILD)/prelude.c: compiler/prelude.rnn | $(BUILD)
	{ echo '/* generated from compiler/prelude.rnn */'; \
	  echo 'const char rnnc_prelude_text[] ='; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/    "/' -e 's/$$/\\n"/' $<; \
	  echo '    ;'; } > $@

$(BUILD)/nolibm_text.c: compiler/embedded_nolibm.h | $(BUILD)
	{ echo '/* generated from compiler/embedded_nolibm.h */'; \
	  echo 'const char rnnc_nolibm_text[] ='; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/    "/' -e 's/$$/\\n"/' $<; \
	  echo '    ;'; } > $@

$(BUILD)/onnx.pb-c.c $(BUILD)/onnx.pb-c.h: $(ONNX_PROTO) | $(BUILD)
	protoc-c --proto_path=$(dir $(ONNX_PROTO)) --c_out=$(BUILD) $(notdir $(ONNX_PROTO))

$(BUILD)/onnx.pb-c.o: $(BUILD)/onnx.pb-c.c $(BUILD)/onnx.pb-c.h
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

ONNX_OBJS := $(BUILD)/onnx_file.o $(BUILD)/onnx_graph.o $(BUILD)/onnx_cells.o $(BUILD)/onnx_model.o \
    $(BUILD)/onnx_import.o $(BUILD)/onnx_scan.o $(BUILD)/onnx_write.o $(BUILD)/emit_onnx.o $(BUILD)/emit_onnx_step.o $(BUILD)/emit_onnx_cells.o
$(ONNX_OBJS) $(BUILD)/main.o: $(BUILD)/onnx.pb-c.h
$(filter-out $(BUILD)/onnx_file.o,$(ONNX_OBJS)): ALL_CFLAGS += -Iruntime

$(BUILD)/lexer.o: $(BUILD)/lexer.c $(wildcard compiler/*.h)
	$(CC) $(ALL_CFLAGS) -Wno-unused-function -Wno-sign-compare -c -o $@ $<

$(BUILD)/%.o: $(BUILD)/%.c $(wildcard compiler/*.h)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# (runtime/*.h too: several compiler files read the runtime's ABI and helpers)
$(BUILD)/%.o: compiler/%.c $(wildcard compiler/*.h compiler/*.def runtime/*.h) $(BUILD)/parser.h | $(BUILD)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The LLVM backend's files see LLVM's headers.
$(BUILD)/cg_llvm.o $(BUILD)/emit_llvm.o $(BUILD)/llvm_abi.o: ALL_CFLAGS += $(LLVM_CFLAGS) -Iruntime
# The embedded emitter reads weights with the runtime's safetensors reader;
# every output is written with the runtime's writer (rt_file.h).
$(BUILD)/emit_embedded.o $(BUILD)/embedded_helpers.o $(BUILD)/build.o $(BUILD)/output.o $(BUILD)/options.o \
    $(BUILD)/weights.o $(BUILD)/main.o: ALL_CFLAGS += -Iruntime

$(BUILD):
	mkdir -p $(BUILD)/tests $(BUILD)/runtime $(BUILD)/include

# Also for a $(BUILD) made before these subdirectories existed.
$(BUILD)/runtime $(BUILD)/include:
	mkdir -p $@

# ---- tests ---------------------------------------------------------------
$(BUILD)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h tests/tools/*.h runtime/*.h) $(BUILD)/librnnc.a $(BUILD)/librnnrt.a | $(BUILD)
	$(CC) $(ALL_CFLAGS) -Iruntime -Itests/tools $(LDFLAGS) -rdynamic -o $@ $< $(BUILD)/librnnc.a $(BUILD)/librnnrt.a $(COMPILER_LIBS) -lcmocka -lm -pthread

# The ABI test builds LLVM types.
$(BUILD)/tests/test_abi: ALL_CFLAGS += $(LLVM_CFLAGS)

$(BUILD)/tests/st_compare: tests/tools/st_compare.c $(BUILD)/librnnrt.a | $(BUILD)
	$(CC) $(ALL_CFLAGS) -Iruntime $(LDFLAGS) -o $@ $< $(BUILD)/librnnrt.a -lm -pthread

# Fault injection for tests/e2e/faults.sh (never instrumented: preloaded).
$(BUILD)/tests/fault_shim.so: tests/tools/fault_shim.c | $(BUILD)
	$(CC) -O2 -Wall -Wextra -shared -fPIC -o $@ $< -ldl

# The random tester (tests/random/): random cells, checked against finite
# differences and across backends and -O levels.
$(BUILD)/tests/random_cells: tests/random/cells.c tests/random/gen_cell.c tests/random/gen_cell.h tests/tools/step_check.h \
                             $(BUILD)/librnnc.a $(BUILD)/librnnrt.a | $(BUILD)
	$(CC) $(ALL_CFLAGS) -Iruntime -Itests/random -Itests/tools $(LLVM_CFLAGS) $(LDFLAGS) -rdynamic -o $@ tests/random/cells.c \
	    tests/random/gen_cell.c $(BUILD)/librnnc.a $(BUILD)/librnnrt.a $(COMPILER_LIBS) -ldl -lm -pthread

# A fuzz harness without libFuzzer: replays its seeds and regressions.
$(BUILD)/tests/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c tests/fuzz/fuzz_input.h $(BUILD)/librnnc.a $(BUILD)/librnnrt.a | $(BUILD)
	$(CC) $(ALL_CFLAGS) -Iruntime $(LDFLAGS) -o $@ $< tests/fuzz/replay.c $(BUILD)/librnnc.a $(BUILD)/librnnrt.a -lprotobuf-c -lm \
	    -pthread

# One full pass of the suite with the compiler in $(BUILD).
test-one: $(BUILD)/rnnc $(BUILD)/librnnrt.a $(BUILD)/include/rnnrt.h $(UNIT_TESTS) $(BUILD)/tests/st_compare $(REPLAYS) \
          $(BUILD)/tests/fault_shim.so
	@set -e; for t in $(UNIT_TESTS); do echo "== $$t"; $$t; done
	@set -e; for n in $(FUZZ_NAMES); do $(BUILD)/tests/replay_$$n tests/fuzz/corpus/$$n tests/fuzz/regressions/$$n; done
	@tests/golden/run.sh $(BUILD)/rnnc
	@tests/golden/emit_run.sh $(BUILD)/rnnc
	@ROBUST_NO_ULIMIT=$(SAN) tests/robust/run.sh $(BUILD)/rnnc
	@tests/e2e/cli.sh $(BUILD)/rnnc
	@tests/e2e/programs.sh $(BUILD)/rnnc
	@tests/e2e/examples.sh $(BUILD)/rnnc
	@tests/e2e/resume.sh $(BUILD)/rnnc
	@tests/e2e/lengths.sh $(BUILD)/rnnc
	@ONNX_BACKENDS="$(if $(filter 1,$(SAN)),c,c llvm)" ONNX_QUICK=$(if $(filter 1,$(SAN)),1,0) tests/onnx/run.sh $(BUILD)/rnnc
	@ONNX_QUICK=$(if $(filter 1,$(SAN)),1,0) tests/onnx/export.sh $(BUILD)/rnnc
	@tests/e2e/faults.sh $(BUILD)/rnnc
	@tests/e2e/outputs.sh $(BUILD)/rnnc
	@tests/e2e/messages.sh $(BUILD)/rnnc
	@tests/e2e/passes.sh $(BUILD)/rnnc
	@LLVM_LEVELS="$(LLVM_LEVELS)" tests/e2e/llvm.sh $(BUILD)/rnnc
	@tests/embedded/run.sh $(BUILD)/rnnc
	@[ "$(SAN)" = 1 ] || tests/embedded/strict.sh $(BUILD)/rnnc
	@PARITY_BUILDS="$(PARITY_BUILDS)" PARITY_SAME_BITS=$(if $(filter 1,$(SAN)),0,1) tests/parity/run.sh $(BUILD)/rnnc
	@tests/parity/torch_load.sh $(BUILD)/rnnc
	@tests/docs/run.sh $(BUILD)/rnnc

# The suite, plain and under AddressSanitizer and UBSan, the two side by side.
test: all
	@MAKE="$(MAKE)" tests/both_passes.sh

# Slower checks, which CI also runs: ONNX exports through onnx.checker and
# ONNX Runtime (needs python3-onnx, onnxruntime-node on NODE_PATH); embedded
# C on a Cortex-M4 under QEMU;
# training across MPI ranks (needs libopenmpi-dev and openmpi-bin), plain and
# under ASan + UBSan; the threads under ThreadSanitizer; every fuzzer for
# FUZZ_SECONDS; the random tester on RANDOM_CELLS cells.
test-slow: all $(BUILD)/tests/st_compare
	@tests/onnx/export_live.sh $(BUILD)/rnnc
	@tests/embedded/cortexm/run.sh $(BUILD)/rnnc
	@tests/mpi/run.sh $(BUILD)/rnnc
	@$(MAKE) --no-print-directory mpi-asan BUILD=build/asan SAN=1
	@$(MAKE) --no-print-directory tsan
	@$(MAKE) --no-print-directory fuzz
	@$(MAKE) --no-print-directory test-random

# The worker threads under ThreadSanitizer (tests/tsan/run.sh): the kernel
# and pool unit tests and a two-thread training run, built in build/tsan.
TSAN_FLAGS := -fsanitize=thread -fno-omit-frame-pointer
tsan:
	@$(MAKE) --no-print-directory tsan-run BUILD=build/tsan CFLAGS="-O1 -g $(TSAN_FLAGS)" LDFLAGS="$(TSAN_FLAGS)"
tsan-run: all $(BUILD)/tests/test_kernels
	@tests/tsan/run.sh $(BUILD)

# The random tester: cells RANDOM_FIRST.. (RANDOM_CELLS of them). By
# default CI re-checks the first 300 of the 2,000 docs/testing.md reports;
# other seeds explore.
RANDOM_FIRST ?= 0
RANDOM_CELLS ?= 300
test-random: all $(BUILD)/tests/random_cells
	@$(BUILD)/tests/random_cells $(RANDOM_FIRST) $(RANDOM_CELLS)

# Leaks are not checked here: Open MPI keeps memory until the process ends.
mpi-asan: all $(BUILD)/tests/st_compare
	@ASAN_OPTIONS=detect_leaks=0:exitcode=86 tests/mpi/run.sh $(BUILD)/rnnc

# Fuzzing (tests/fuzz/): the libraries again with clang, ASan, UBSan and
# libFuzzer's coverage in build/fuzz, then every harness for FUZZ_SECONDS.
FUZZ_SECONDS ?= 30
FUZZ_CFLAGS  := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
fuzz:
	@$(MAKE) --no-print-directory fuzzers BUILD=build/fuzz CC=clang CFLAGS="$(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link"
	@tests/fuzz/run.sh $(FUZZ_SECONDS)

fuzzers: $(FUZZ_NAMES:%=$(BUILD)/fuzz_%)
$(BUILD)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_input.h $(BUILD)/librnnc.a $(BUILD)/librnnrt.a | $(BUILD)
	$(CC) $(ALL_CFLAGS) -Iruntime -fsanitize=fuzzer -o $@ $< $(BUILD)/librnnc.a $(BUILD)/librnnrt.a -lprotobuf-c -lm \
	    -pthread

# Benchmarks: this machine's sgemm and read bandwidth, then ratios, in one run (bench/run.sh).
bench: all
	bench/run.sh $(BUILD)/rnnc

install: $(BUILD)/rnnc $(BUILD)/librnnrt.a $(BUILD)/include/rnnrt.h $(MPI_OBJ)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/rnnc $(DESTDIR)$(PREFIX)/include/rnnc \
	    $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(BUILD)/rnnc $(DESTDIR)$(PREFIX)/bin/rnnc
	install -m 644 $(BUILD)/librnnrt.a $(DESTDIR)$(PREFIX)/lib/rnnc/librnnrt.a
	install -m 644 runtime/rnnrt.h $(DESTDIR)$(PREFIX)/include/rnnc/rnnrt.h
	install -m 644 docs/rnnc.1 $(DESTDIR)$(PREFIX)/share/man/man1/rnnc.1
	$(if $(MPI_OBJ),install -m 644 $(MPI_OBJ) $(DESTDIR)$(PREFIX)/lib/rnnc/rt_dist_mpi.o)

clean:
	rm -rf build rnnc
