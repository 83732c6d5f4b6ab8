/* emit_c.h - the C emitter: an IR program as standalone C99 source. */
#ifndef RNNC_EMIT_C_H
#define RNNC_EMIT_C_H
#include "ir.h"

void emitc_program(FILE *out, Arena *a, const IrProgram *p);
/* The functions of a program, through any code generator backend. */
struct Cg;
void emit_program(struct Cg *g, const IrProgram *p);
/* Only the forward functions (the layers, forward, forward_train). */
void emit_forward_program(struct Cg *g, const IrProgram *p);

/* What a program's functions need, in floats (packed: a host program,
 * which packs the weights of its time loops' products; embedded C does
 * not): workspace (forward_train and backward, gradients of the values
 * included), tape, and forward's workspace (no gradients). */
typedef struct ProgramSizes {
    IrSize workspace, tape, forward;
} ProgramSizes;
ProgramSizes emit_sizes_of(Arena *a, const IrProgram *p, bool packed);

#endif
