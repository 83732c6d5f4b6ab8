/* llvm_compat.h - every LLVM-C call whose form depends on the LLVM version,
 * behind one small header of static inline wrappers (after PostgreSQL's
 * llvmjit_emit.h). Debian's default llvm-dev is LLVM 14, with typed
 * pointers; LLVM 15 and later use opaque pointers (17 has no other). The emitter always
 * names element types (LLVMBuildLoad2, LLVMBuildGEP2, LLVMBuildCall2), so
 * only the pointer type itself and casts between pointers differ. */
#ifndef RNNC_LLVM_COMPAT_H
#define RNNC_LLVM_COMPAT_H
#include <llvm-c/Core.h>

#ifndef LLVM_VERSION_MAJOR
#include <llvm/Config/llvm-config.h>
#endif

/* A pointer to elem: typed before LLVM 15, opaque from then on. */
static inline LLVMTypeRef llvm_ptr(LLVMContextRef ctx, LLVMTypeRef elem) {
#if LLVM_VERSION_MAJOR >= 15
    (void)elem;
    return LLVMPointerTypeInContext(ctx, 0);
#else
    (void)ctx;
    return LLVMPointerType(elem, 0);
#endif
}

/* v as a pointer of type t: a bitcast with typed pointers, nothing without. */
static inline LLVMValueRef llvm_ptr_cast(LLVMBuilderRef b, LLVMValueRef v, LLVMTypeRef t) {
    return LLVMTypeOf(v) == t ? v : LLVMBuildPointerCast(b, v, t, "");
}

#endif
