/* fuzz_frontend.c - libFuzzer harness: any bytes as a model source through
 * the whole front end (lexer, parser, semantic checks, diagnostics). It
 * must answer with diagnostics or a checked program, never crash. */
#include "frontend.h"
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    Frontend f;
    frontend_run(&f, "fuzz.rnn", (const char *)data, size);
    frontend_free(&f);
    return 0;
}
