/* emit_llvm.c - a model's program as an LLVM module: the functions come
 * from the same emitter as C (emit_program through cg_llvm.c); here are the
 * module around them (the parameter table, the rt_model descriptor and
 * main, laid out as runtime/rnnrt.h's C structs), verification, the
 * optimisation pipeline (LLVMRunPasses "default<ON>") for the host CPU or a
 * generic one, and the output: .ll text, an object file, or code in memory
 * through LLJIT (rnnc's own tests call a model without writing a file). */
#include "emit_llvm.h"
#include "cg_llvm.h"
#include "emit_c.h"
#include "llvm_abi.h"
#include "util.h"
#include <llvm-c/Analysis.h>
#include <llvm-c/LLJIT.h>
#include <llvm-c/Orc.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <llvm-c/Transforms/PassBuilder.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct Types {
    LLVMTypeRef i8p, i32, i64, f64;
    LlvmAbi abi;   /* rnnrt.h's structs */
} Types;

static Types types_of(LlvmModule *m) {
    LLVMContextRef c = m->ctx;
    return (Types){.i8p = llvm_ptr(c, LLVMInt8TypeInContext(c)), .i32 = LLVMInt32TypeInContext(c),
                   .i64 = LLVMInt64TypeInContext(c), .f64 = LLVMDoubleTypeInContext(c), .abi = m->abi};
}

static LLVMValueRef string(LlvmModule *m, Types *t, const char *s) {
    LLVMValueRef init = LLVMConstStringInContext(m->ctx, s, (unsigned)strlen(s), 0);
    LLVMValueRef g = LLVMAddGlobal(m->module, LLVMTypeOf(init), "str");
    LLVMSetInitializer(g, init);
    LLVMSetGlobalConstant(g, 1);
    LLVMSetLinkage(g, LLVMPrivateLinkage);
    return LLVMConstPointerCast(g, t->i8p);
}

static LLVMValueRef i32c(Types *t, long long v) { return LLVMConstInt(t->i32, (unsigned long long)v, 1); }
static LLVMValueRef i64c(Types *t, long long v) { return LLVMConstInt(t->i64, (unsigned long long)v, 1); }
static LLVMValueRef f64c(Types *t, double v) { return LLVMConstReal(t->f64, v); }

/* An internal constant global holding init, as a generic pointer. */
static LLVMValueRef constant_table(LlvmModule *m, Types *t, LLVMValueRef init, const char *name) {
    LLVMValueRef g = LLVMAddGlobal(m->module, LLVMTypeOf(init), name);
    LLVMSetInitializer(g, init);
    LLVMSetGlobalConstant(g, 1);
    LLVMSetLinkage(g, LLVMInternalLinkage);
    return LLVMConstPointerCast(g, t->i8p);
}

/* A constant struct of type from its fields, every one of them set. */
static LLVMValueRef filled(LLVMTypeRef type, LLVMValueRef *fields, int n, const char *what) {
    for (int i = 0; i < n; i++)
        if (!fields[i])
            die("%s: field %d is not filled in", what, i);
    return LLVMConstNamedStruct(type, fields, (unsigned)n);
}

static LLVMValueRef param_table(LlvmModule *m, Types *t, const IrProgram *prog) {
    static const int init[] = {[INIT_DEFAULT] = RT_INIT_UNIFORM, [INIT_ZEROS] = RT_INIT_ZEROS,
                               [INIT_ONES] = RT_INIT_ONES, [INIT_UNIFORM] = RT_INIT_UNIFORM,
                               [INIT_NORMAL] = RT_INIT_NORMAL};
    LLVMValueRef *rows = calloc((size_t)prog->nparams + 1, sizeof *rows);
    for (int i = 0; i < prog->nparams; i++) {
        const IrParam *p = &prog->params[i];
        LLVMValueRef dims[] = {i64c(t, p->dims[0]), i64c(t, p->dims[1])};
        LLVMValueRef f[ABI_PARAM_FIELDS] = {
            [ABI_PARAM_name] = string(m, t, p->name), [ABI_PARAM_rank] = i32c(t, p->rank),
            [ABI_PARAM_dims] = LLVMConstArray(t->i64, dims, 2), [ABI_PARAM_init] = i32c(t, init[p->init.kind]),
            [ABI_PARAM_a] = f64c(t, p->init.a), [ABI_PARAM_b] = f64c(t, p->init.b)};
        rows[i] = filled(t->abi.param_info, f, ABI_PARAM_FIELDS, "rt_param_info");
    }
    LLVMValueRef arr = LLVMConstArray(t->abi.param_info, rows, (unsigned)prog->nparams);
    free(rows);
    return constant_table(m, t, arr, "params");
}

static LLVMValueRef type_const(Types *t, bool seq, bool token, int64_t size) {
    LLVMValueRef f[ABI_TYPE_FIELDS] = {[ABI_TYPE_seq] = i32c(t, seq), [ABI_TYPE_token] = i32c(t, token),
                                       [ABI_TYPE_size] = i64c(t, size)};
    return filled(t->abi.type, f, ABI_TYPE_FIELDS, "rt_type");
}

static LLVMValueRef train_const(Types *t, const TrainConfig *tc) {
    LLVMValueRef f[ABI_TRAIN_FIELDS] = {
        [ABI_TRAIN_optimizer] = i32c(t, tc->optimizer == OPT_ADAM ? RT_OPT_ADAM : RT_OPT_SGD),
        [ABI_TRAIN_lr] = f64c(t, tc->lr), [ABI_TRAIN_momentum] = f64c(t, tc->momentum),
        [ABI_TRAIN_beta1] = f64c(t, tc->beta1), [ABI_TRAIN_beta2] = f64c(t, tc->beta2),
        [ABI_TRAIN_eps] = f64c(t, tc->eps), [ABI_TRAIN_clip] = f64c(t, tc->clip),
        [ABI_TRAIN_valid] = f64c(t, tc->valid), [ABI_TRAIN_batch] = i64c(t, tc->batch),
        [ABI_TRAIN_bptt] = i64c(t, tc->bptt), [ABI_TRAIN_epochs] = i64c(t, tc->epochs),
        [ABI_TRAIN_seed] = i64c(t, tc->seed)};
    return filled(t->abi.train, f, ABI_TRAIN_FIELDS, "rt_train_config");
}

static LLVMValueRef fn_ptr(LlvmModule *m, Types *t, const char *name) {
    return LLVMConstPointerCast(LLVMGetNamedFunction(m->module, name), t->i8p);
}

/* static const int carry_sizes[] = {...} (one 0 when there are none). */
static LLVMValueRef carry_table(LlvmModule *m, Types *t, const IrProgram *p, int *ncarry) {
    *ncarry = ir_carry_sizes(p, NULL);
    int *sizes = calloc((size_t)*ncarry + 1, sizeof(int));
    LLVMValueRef *v = calloc((size_t)*ncarry + 1, sizeof(LLVMValueRef));
    ir_carry_sizes(p, sizes);
    for (int i = 0; i < *ncarry + 1; i++)
        v[i] = i32c(t, sizes[i]);
    LLVMValueRef arr = LLVMConstArray(t->i32, v, (unsigned)(*ncarry ? *ncarry : 1));
    free(sizes);
    free(v);
    return constant_table(m, t, arr, "carry_sizes");
}

/* const rt_model rnn_model = {...}, as emit_c.c's descriptor. */
static LLVMValueRef descriptor(LlvmModule *m, Types *t, const IrProgram *p, int state_floats) {
    const IrValue *in = &p->values[p->input], *out = &p->values[p->output];
    int ncarry;
    LLVMValueRef carry = carry_table(m, t, p, &ncarry);
    LLVMValueRef f[ABI_MODEL_FIELDS] = {
        [ABI_MODEL_name] = string(m, t, p->name),
        [ABI_MODEL_params] = param_table(m, t, p),
        [ABI_MODEL_nparams] = i32c(t, p->nparams),
        [ABI_MODEL_input] = type_const(t, in->seq, in->token, in->size),
        [ABI_MODEL_target] = type_const(t, p->target.seq, p->target.token, p->target.size),
        [ABI_MODEL_output] = type_const(t, out->seq, false, out->size),
        [ABI_MODEL_loss] = i32c(t, p->loss == LOSS_CROSS_ENTROPY ? RT_LOSS_CROSS_ENTROPY : RT_LOSS_MSE),
        [ABI_MODEL_train] = train_const(t, &p->train),
        [ABI_MODEL_state_floats] = i32c(t, state_floats),
        [ABI_MODEL_bidirectional] = i32c(t, ir_is_bidirectional(p)),
        [ABI_MODEL_workspace] = fn_ptr(m, t, "workspace"),
        [ABI_MODEL_tape_size] = fn_ptr(m, t, "tape_size"),
        [ABI_MODEL_forward] = fn_ptr(m, t, "forward"),
        [ABI_MODEL_forward_train] = fn_ptr(m, t, "forward_train"),
        [ABI_MODEL_backward] = fn_ptr(m, t, "backward"),
        [ABI_MODEL_carry_sizes] = carry,
        [ABI_MODEL_ncarry] = i32c(t, ncarry),
    };
    LLVMValueRef init = filled(t->abi.model, f, ABI_MODEL_FIELDS, "rt_model");
    LLVMValueRef g = LLVMAddGlobal(m->module, t->abi.model, "rnn_model");
    LLVMSetInitializer(g, init);
    LLVMSetGlobalConstant(g, 1);
    return g;
}

/* int main(int argc, char **argv) { return rt_main(&rnn_model, argc, argv); } */
static void main_fn(LlvmModule *m, Types *t, LLVMValueRef model) {
    LLVMTypeRef argv = llvm_ptr(m->ctx, t->i8p);
    LLVMTypeRef main_params[] = {t->i32, argv}, rt_params[] = {t->i8p, t->i32, argv};
    LLVMTypeRef main_ty = LLVMFunctionType(t->i32, main_params, 2, 0), rt_ty = LLVMFunctionType(t->i32, rt_params, 3, 0);
    LLVMValueRef fn = LLVMAddFunction(m->module, "main", main_ty), rt = LLVMAddFunction(m->module, "rt_main", rt_ty);
    LLVMBuilderRef b = LLVMCreateBuilderInContext(m->ctx);
    LLVMPositionBuilderAtEnd(b, LLVMAppendBasicBlockInContext(m->ctx, fn, "entry"));
    LLVMValueRef args[] = {LLVMConstPointerCast(model, t->i8p), LLVMGetParam(fn, 0), LLVMGetParam(fn, 1)};
    LLVMBuildRet(b, LLVMBuildCall2(b, rt_ty, rt, args, 3, ""));
    LLVMDisposeBuilder(b);
}

static LLVMTargetMachineRef target_machine(bool host, int opt) {
    LLVMInitializeNativeTarget();
    LLVMInitializeNativeAsmPrinter();
    char *triple = LLVMGetDefaultTargetTriple(), *error = NULL;
    LLVMTargetRef target;
    if (LLVMGetTargetFromTriple(triple, &target, &error))
        die("LLVM has no target for %s: %s", triple, error);
    char *cpu = host ? LLVMGetHostCPUName() : NULL, *features = host ? LLVMGetHostCPUFeatures() : NULL;
    LLVMCodeGenOptLevel level = opt == 0 ? LLVMCodeGenLevelNone : opt == 1 ? LLVMCodeGenLevelLess
                                : opt == 2 ? LLVMCodeGenLevelDefault : LLVMCodeGenLevelAggressive;
    LLVMTargetMachineRef tm = LLVMCreateTargetMachine(target, triple, host ? cpu : "generic", host ? features : "",
                                                      level, LLVMRelocPIC, LLVMCodeModelDefault);
    LLVMDisposeMessage(triple);
    if (host) {
        LLVMDisposeMessage(cpu);
        LLVMDisposeMessage(features);
    }
    return tm;
}

static void optimise(LLVMModuleRef module, LLVMTargetMachineRef tm, int opt) {
    char passes[32];
    snprintf(passes, sizeof passes, "default<O%d>", opt);
    LLVMPassBuilderOptionsRef o = LLVMCreatePassBuilderOptions();
    LLVMErrorRef err = LLVMRunPasses(module, passes, tm, o);
    LLVMDisposePassBuilderOptions(o);
    if (err) {
        char *msg = LLVMGetErrorMessage(err);
        die("LLVM passes failed: %s", msg);
    }
}

static void verify(LLVMModuleRef module, const char *stage) {
    char *msg = NULL;
    if (LLVMVerifyModule(module, LLVMReturnStatusAction, &msg))
        die("the LLVM module does not verify %s: %s", stage, msg);
    LLVMDisposeMessage(msg);
}

/* Build in ctx, verify, optimise and verify again; the caller disposes.
 * with_main: also define main() calling rt_main (not for the JIT). */
static LlvmModule build_module(Arena *a, const IrProgram *p, const LlvmOptions *o, LLVMTargetMachineRef tm,
                               LLVMContextRef ctx, bool with_main) {
    LlvmModule m = {.ctx = ctx};
    m.module = LLVMModuleCreateWithNameInContext(p->name, m.ctx);
    char *triple = LLVMGetTargetMachineTriple(tm);
    LLVMSetTarget(m.module, triple);
    LLVMDisposeMessage(triple);
    LLVMTargetDataRef layout = LLVMCreateTargetDataLayout(tm);
    LLVMSetModuleDataLayout(m.module, layout);
    LLVMDisposeTargetData(layout);
    m.abi = llvm_abi_types(m.ctx);
    Cg *g = cg_llvm_new(a, &m);
    emit_program(g, p);
    cg_llvm_free(g);
    Types t = types_of(&m);
    LLVMValueRef model = descriptor(&m, &t, p, ir_state_floats(p));
    if (with_main)
        main_fn(&m, &t, model);
    verify(m.module, "as built");
    if (o->opt_level > 0) {
        optimise(m.module, tm, o->opt_level);
        verify(m.module, "after optimisation");
    }
    return m;
}

static void dispose(LlvmModule *m) {
    LLVMDisposeModule(m->module);
    LLVMContextDispose(m->ctx);
}

int llvm_emit_text(Arena *a, const IrProgram *p, const LlvmOptions *o, FILE *out) {
    LLVMTargetMachineRef tm = target_machine(o->host, o->opt_level);
    LlvmModule m = build_module(a, p, o, tm, LLVMContextCreate(), true);
    char *text = LLVMPrintModuleToString(m.module);
    fputs(text, out);
    LLVMDisposeMessage(text);
    dispose(&m);
    LLVMDisposeTargetMachine(tm);
    return 0;
}

int llvm_emit_object(Arena *a, const IrProgram *p, const LlvmOptions *o, const char *path) {
    LLVMTargetMachineRef tm = target_machine(o->host, o->opt_level);
    LlvmModule m = build_module(a, p, o, tm, LLVMContextCreate(), true);
    char *error = NULL;
    int rc = 0;
    if (LLVMTargetMachineEmitToFile(tm, m.module, (char *)path, LLVMObjectFile, &error)) {
        fprintf(stderr, "rnnc: error: cannot write '%s': %s\n", path, error);
        LLVMDisposeMessage(error);
        rc = 1;
    }
    dispose(&m);
    LLVMDisposeTargetMachine(tm);
    return rc;
}

/* ---- in memory, through LLJIT ------------------------------------------- */

struct LlvmJit {
    LLVMOrcLLJITRef jit;
};

static void *jit_fail(LLVMErrorRef err, const char *what) {
    char *msg = LLVMGetErrorMessage(err);
    fprintf(stderr, "rnnc: error: LLJIT %s: %s\n", what, msg);
    LLVMDisposeErrorMessage(msg);
    return NULL;
}

const void *llvm_jit_model(LlvmJit **out, Arena *a, const IrProgram *p, int opt_level) {
    *out = NULL;
    LLVMTargetMachineRef tm = target_machine(true, opt_level);
    LLVMOrcThreadSafeContextRef tsc = LLVMOrcCreateNewThreadSafeContext();
    LlvmOptions o = {opt_level, true};
    LlvmModule m = build_module(a, p, &o, tm, LLVMOrcThreadSafeContextGetContext(tsc), false);
    LLVMDisposeTargetMachine(tm);
    LLVMOrcThreadSafeModuleRef tsm = LLVMOrcCreateNewThreadSafeModule(m.module, tsc);
    LLVMOrcDisposeThreadSafeContext(tsc); /* the module keeps it alive */
    LlvmJit *j = calloc(1, sizeof *j);
    LLVMErrorRef err = LLVMOrcCreateLLJIT(&j->jit, LLVMOrcCreateLLJITBuilder());
    if (err) {
        free(j);
        LLVMOrcDisposeThreadSafeModule(tsm);
        return jit_fail(err, "creation");
    }
    *out = j;
    LLVMOrcDefinitionGeneratorRef gen; /* the runtime and libm, from this process */
    if ((err = LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess(&gen, LLVMOrcLLJITGetGlobalPrefix(j->jit), NULL, NULL)))
        return jit_fail(err, "symbol search");
    LLVMOrcJITDylibRef lib = LLVMOrcLLJITGetMainJITDylib(j->jit);
    LLVMOrcJITDylibAddGenerator(lib, gen);
    if ((err = LLVMOrcLLJITAddLLVMIRModule(j->jit, lib, tsm)))
        return jit_fail(err, "adding the module");
    LLVMOrcExecutorAddress addr = 0;
    if ((err = LLVMOrcLLJITLookup(j->jit, &addr, "rnn_model")))
        return jit_fail(err, "lookup of rnn_model");
    return (const void *)(uintptr_t)addr;
}

void llvm_jit_free(LlvmJit *j) {
    if (!j)
        return;
    LLVMErrorRef err = LLVMOrcDisposeLLJIT(j->jit);
    if (err)
        jit_fail(err, "disposal");
    free(j);
}
