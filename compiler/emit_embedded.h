/* emit_embedded.h - embedded C for microcontrollers (docs/embedded.md). */
#ifndef RNNC_EMIT_EMBEDDED_H
#define RNNC_EMIT_EMBEDDED_H
#include "ir.h"
#include <stdio.h>

typedef struct EmbeddedOptions {
    const char *weights;  /* safetensors file whose values become constants */
    const char *dir;      /* where NAME.h and NAME.c go (created if missing) */
    int max_steps;        /* bidirectional models: the longest sequence */
    bool no_libm;         /* own expf, tanhf, ... (compiler/embedded_nolibm.h) */
    bool int8;            /* matrices as int8 rows with a float scale each */
} EmbeddedOptions;

/* Returns 0, or 1 after printing why. */
int embedded_emit(Arena *a, const IrProgram *p, const EmbeddedOptions *o);

/* Write the helpers that code[0..len) calls (the rest of NAME.c), each
 * after those it calls (embedded_helpers.c). */
void embedded_write_helpers(Arena *a, FILE *out, const char *code, size_t len, bool no_libm, bool int8);

#endif
