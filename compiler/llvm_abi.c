/* llvm_abi.c - rnnrt.h's structs as LLVM types, from its field lists
 * (llvm_abi.h): each field's kind gives its LLVM type. Function and data
 * pointers are generic pointers (i8*). */
#include "llvm_abi.h"
#include "util.h"
#include <string.h>

typedef enum {
    K_I32, K_I64, K_U64, K_F64, K_STR, K_PF32, K_INTS, K_DIMS, K_RNG, K_TYPE, K_TRAIN, K_PARAMS,
    K_WORKSPACE_FN, K_FORWARD_FN, K_FORWARD_TRAIN_FN, K_BACKWARD_FN
} Kind;

#define KIND(name, kind) K_##kind,
#define NAME(name, kind) #name,
static const Kind param_kinds[] = {RT_PARAM_INFO_FIELDS(KIND)}, type_kinds[] = {RT_TYPE_FIELDS(KIND)},
                  train_kinds[] = {RT_TRAIN_CONFIG_FIELDS(KIND)}, ctx_kinds[] = {RT_TRAIN_CTX_FIELDS(KIND)},
                  model_kinds[] = {RT_MODEL_FIELDS(KIND)};
static const char *const ctx_names[] = {RT_TRAIN_CTX_FIELDS(NAME)};

static LLVMTypeRef kind_type(LLVMContextRef c, const LlvmAbi *abi, Kind k) {
    LLVMTypeRef i64 = LLVMInt64TypeInContext(c);
    switch (k) {
    case K_I32: return LLVMInt32TypeInContext(c);
    case K_I64:
    case K_U64: return i64;
    case K_F64: return LLVMDoubleTypeInContext(c);
    case K_PF32: return llvm_ptr(c, LLVMFloatTypeInContext(c));
    case K_DIMS: return LLVMArrayType(i64, 2);
    case K_RNG: return LLVMArrayType(i64, 4);
    case K_TYPE: return abi->type;
    case K_TRAIN: return abi->train;
    default: return llvm_ptr(c, LLVMInt8TypeInContext(c)); /* strings, tables, functions */
    }
}

static LLVMTypeRef struct_of(LLVMContextRef c, const LlvmAbi *abi, const Kind *kinds, int n) {
    LLVMTypeRef fields[32];
    for (int i = 0; i < n; i++)
        fields[i] = kind_type(c, abi, kinds[i]);
    return LLVMStructTypeInContext(c, fields, (unsigned)n, 0);
}

#define COUNT(x) (int)(sizeof x / sizeof *x)

LlvmAbi llvm_abi_types(LLVMContextRef c) {
    LlvmAbi abi = {0};
    abi.type = struct_of(c, &abi, type_kinds, COUNT(type_kinds));
    abi.train = struct_of(c, &abi, train_kinds, COUNT(train_kinds));
    abi.param_info = struct_of(c, &abi, param_kinds, COUNT(param_kinds));
    abi.model = struct_of(c, &abi, model_kinds, COUNT(model_kinds));
    LLVMTypeRef ctx[32];
    for (int i = 0; i < COUNT(ctx_kinds); i++)
        ctx[i] = kind_type(c, &abi, ctx_kinds[i]);
    abi.ctx = LLVMStructCreateNamed(c, "rt_train_ctx");
    LLVMStructSetBody(abi.ctx, ctx, (unsigned)COUNT(ctx_kinds), 0);
    return abi;
}

LLVMTypeRef llvm_abi_ctx_field(LLVMContextRef c, const LlvmAbi *abi, const char *name, unsigned *index) {
    for (int i = 0; i < COUNT(ctx_names); i++)
        if (!strcmp(ctx_names[i], name)) {
            *index = (unsigned)i;
            return kind_type(c, abi, ctx_kinds[i]);
        }
    die("rt_train_ctx has no field '%s'", name);
}
