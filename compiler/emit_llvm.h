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

/* Compile in memory with LLJIT for the host; returns the address of the
 * program's `const rt_model` (runtime/rnnrt.h), or NULL after printing why.
 * The runtime's functions are found in this process (link it -rdynamic).
 * *jit owns the code: free it with llvm_jit_free when done. */
typedef struct LlvmJit LlvmJit;
const void *llvm_jit_model(LlvmJit **jit, Arena *a, const IrProgram *p, int opt_level);
void llvm_jit_free(LlvmJit *jit);

#endif
