/* llvm_abi.h - the runtime's structs (runtime/rnnrt.h) as LLVM types, built
 * from rnnrt.h's own field lists (llvm_abi.c): the LLVM emitter's
 * descriptor and the backend's rt_train_ctx have rnnrt.h's layout by
 * construction, and tests/unit/test_abi.c checks the offsets. */
#ifndef RNNC_LLVM_ABI_H
#define RNNC_LLVM_ABI_H
#include "llvm_compat.h"
#include "rnnrt.h"

/* Field numbers: ABI_MODEL_name, ABI_CTX_name, ... and each struct's count. */
#define ABI_FIELD(prefix, name, kind) prefix##name,
#define ABI_PARAM_(name, kind) ABI_FIELD(ABI_PARAM_, name, kind)
#define ABI_TYPE_(name, kind) ABI_FIELD(ABI_TYPE_, name, kind)
#define ABI_TRAIN_(name, kind) ABI_FIELD(ABI_TRAIN_, name, kind)
#define ABI_CTX_(name, kind) ABI_FIELD(ABI_CTX_, name, kind)
#define ABI_MODEL_(name, kind) ABI_FIELD(ABI_MODEL_, name, kind)
enum { RT_PARAM_INFO_FIELDS(ABI_PARAM_) ABI_PARAM_FIELDS };
enum { RT_TYPE_FIELDS(ABI_TYPE_) ABI_TYPE_FIELDS };
enum { RT_TRAIN_CONFIG_FIELDS(ABI_TRAIN_) ABI_TRAIN_FIELDS };
enum { RT_TRAIN_CTX_FIELDS(ABI_CTX_) ABI_CTX_FIELDS };
enum { RT_MODEL_FIELDS(ABI_MODEL_) ABI_MODEL_FIELDS };

typedef struct LlvmAbi {
    LLVMTypeRef param_info, type, train, ctx, model;
} LlvmAbi;

/* The five structs in context c (ctx a named struct, rt_train_ctx). */
LlvmAbi llvm_abi_types(LLVMContextRef c);
/* The type of rt_train_ctx's field `name` and its number. */
LLVMTypeRef llvm_abi_ctx_field(LLVMContextRef c, const LlvmAbi *abi, const char *name, unsigned *index);

#endif
