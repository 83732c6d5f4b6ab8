/* emit_c.h - the C emitter: an IR program as standalone C99 source. */
#ifndef RNNC_EMIT_C_H
#define RNNC_EMIT_C_H
#include "ir.h"

void emitc_program(FILE *out, Arena *a, const IrProgram *p);

#endif
