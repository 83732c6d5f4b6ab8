/* fuzz_onnx.c - libFuzzer harness: any bytes as an ONNX model given to
 * `rnnc import` (onnx_import: the untrusted-file checks, then the
 * translation, writing its source and weights to scratch files). Each must
 * import or fail with a message, never crash. */
#include "fuzz_input.h"
#include "onnx_import.h"
#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static char source[96], weights[96];
    static FILE *quiet; /* the messages of millions of inputs */
    const char *path = fuzz_file(data, size);
    if (!source[0]) {
        snprintf(source, sizeof source, "%s.rnn", path);
        snprintf(weights, sizeof weights, "%s.safetensors", path);
        quiet = fopen("/dev/null", "w");
    }
    Arena arena = {0};
    ImportOptions o = {path, source, weights, quiet};
    onnx_import(&arena, &o);
    arena_free(&arena);
    remove(source);
    remove(weights);
    return 0;
}
