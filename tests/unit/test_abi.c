/* test_abi.c - the runtime's ABI, said once in runtime/rnnrt.h's field
 * lists, means the same to the C compiler and to LLVM: every struct the
 * LLVM emitter builds (compiler/llvm_abi.c) has, on this machine's target,
 * the size, the field count and every field's offset that C gives rnnrt.h's
 * struct. A field added to a list without its kind, or a kind laid out
 * differently, fails here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include "llvm_abi.h"

static LLVMTargetDataRef layout;
static LLVMContextRef context;
static LlvmAbi abi;

static int setup(void **state) {
    (void)state;
    LLVMInitializeNativeTarget();
    char *triple = LLVMGetDefaultTargetTriple(), *error = NULL;
    LLVMTargetRef target;
    if (LLVMGetTargetFromTriple(triple, &target, &error))
        return -1;
    LLVMTargetMachineRef tm = LLVMCreateTargetMachine(target, triple, "generic", "", LLVMCodeGenLevelNone,
                                                      LLVMRelocPIC, LLVMCodeModelDefault);
    layout = LLVMCreateTargetDataLayout(tm);
    LLVMDisposeTargetMachine(tm);
    LLVMDisposeMessage(triple);
    context = LLVMContextCreate();
    abi = llvm_abi_types(context);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    LLVMDisposeTargetData(layout);
    LLVMContextDispose(context);
    return 0;
}

static void same_layout(LLVMTypeRef type, const size_t *offsets, int n, size_t size, const char *what) {
    if ((int)LLVMCountStructElementTypes(type) != n)
        fail_msg("%s: LLVM has %u fields, rnnrt.h %d", what, LLVMCountStructElementTypes(type), n);
    for (int i = 0; i < n; i++)
        if (LLVMOffsetOfElement(layout, type, (unsigned)i) != offsets[i])
            fail_msg("%s: field %d is at %llu for LLVM, %zu for C", what, i,
                     (unsigned long long)LLVMOffsetOfElement(layout, type, (unsigned)i), offsets[i]);
    if (LLVMABISizeOfType(layout, type) != size)
        fail_msg("%s: %llu bytes for LLVM, %zu for C", what, (unsigned long long)LLVMABISizeOfType(layout, type),
                 size);
}

#define OFFSETS(type, list, what)                                                                     \
    do {                                                                                              \
        static const size_t offsets[] = {list(OFF)};                                                  \
        same_layout(abi.what, offsets, (int)(sizeof offsets / sizeof *offsets), sizeof(type), #type); \
    } while (0)

static void test_layouts_agree(void **state) {
    (void)state;
#define OFF(name, kind) offsetof(STRUCT, name),
#define STRUCT rt_param_info
    OFFSETS(rt_param_info, RT_PARAM_INFO_FIELDS, param_info);
#undef STRUCT
#define STRUCT rt_type
    OFFSETS(rt_type, RT_TYPE_FIELDS, type);
#undef STRUCT
#define STRUCT rt_train_config
    OFFSETS(rt_train_config, RT_TRAIN_CONFIG_FIELDS, train);
#undef STRUCT
#define STRUCT rt_train_ctx
    OFFSETS(rt_train_ctx, RT_TRAIN_CTX_FIELDS, ctx);
#undef STRUCT
#define STRUCT rt_model
    OFFSETS(rt_model, RT_MODEL_FIELDS, model);
#undef STRUCT
}

static void test_context_fields_by_name(void **state) {
    (void)state;
    unsigned index;
    llvm_abi_ctx_field(context, &abi, "training", &index);
    assert_int_equal(LLVMOffsetOfElement(layout, abi.ctx, index), offsetof(rt_train_ctx, training));
    llvm_abi_ctx_field(context, &abi, "state", &index);
    assert_int_equal(LLVMOffsetOfElement(layout, abi.ctx, index), offsetof(rt_train_ctx, state));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layouts_agree),
        cmocka_unit_test(test_context_fields_by_name),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
