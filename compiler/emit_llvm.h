/* emit_llvm.h - the LLVM backend: a model's program as LLVM IR text or as
 * an object file, through the LLVM-C API. */
#ifndef RNNC_EMIT_LLVM_H
#define RNNC_EMIT_LLVM_H
#include "ir.h"
#include <stdio.h>

typedef struct LlvmOptions {
    int opt_level;   /* 0..3: LLVMRunPasses "default<ON>" and codegen level */
    bool host;       /* the host CPU and its features; else a generic CPU */
} LlvmOptions;

int llvm_emit_text(Arena *a, const IrProgram *p, const LlvmOptions *o, FILE *out);
/* Returns 0, or 1 after printing why. */
int llvm_emit_object(Arena *a, const IrProgram *p, const LlvmOptions *o, const char *path);

#endif
