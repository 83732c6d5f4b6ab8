/* cg_llvm.h - the LLVM backend of the code generator, and the module it
 * fills (compiler/emit_llvm.c makes and finishes the module). */
#ifndef RNNC_CG_LLVM_H
#define RNNC_CG_LLVM_H
#include "cg.h"
#include "llvm_abi.h"

typedef struct LlvmModule {
    LLVMContextRef ctx;
    LLVMModuleRef module;
    LlvmAbi abi;            /* rnnrt.h's structs */
} LlvmModule;

LLVMTypeRef llvm_type(LlvmModule *m, CgType t);
Cg *cg_llvm_new(Arena *a, LlvmModule *m);
void cg_llvm_free(Cg *g);

#endif
