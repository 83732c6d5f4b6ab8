/* cg_llvm.c - the LLVM backend of the code generator (cg.h): builds the
 * functions of a model's program into an LLVM module through the LLVM-C
 * API. Handles are LLVMValueRefs. Loop counters live in allocas (mem2reg
 * makes them registers from -O1 on); runtime and C library functions are
 * declared on first call from a table of their C signatures, and arguments
 * are converted to those types, so the ABI is the C one of runtime/rnnrt.h.
 * No fast-math flags: floating point is evaluated as C evaluates it. */
#include "cg_llvm.h"
#include "util.h"
#include <string.h>

enum { MAX_NEST = 64 };

typedef struct Loop {
    LLVMValueRef counter;
    LLVMBasicBlockRef header, exit;
} Loop;

typedef struct Branch {
    LLVMBasicBlockRef otherwise, merge;
    bool has_else;
} Branch;

typedef struct LState {
    LlvmModule *m;
    LLVMBuilderRef b;
    LLVMValueRef fn;
    Loop loops[MAX_NEST];
    int nloops;
    Branch branches[MAX_NEST];
    int nbranches;
} LState;

static LState *ls(Cg *g) { return g->state; }
static LLVMContextRef ctx_of(Cg *g) { return ls(g)->m->ctx; }

LLVMTypeRef llvm_type(LlvmModule *m, CgType t) {
    LLVMContextRef c = m->ctx;
    switch (t) {
    case CGT_VOID: return LLVMVoidTypeInContext(c);
    case CGT_I64:
    case CGT_SIZE: return LLVMInt64TypeInContext(c);
    case CGT_F32: return LLVMFloatTypeInContext(c);
    case CGT_PF32:
    case CGT_PCF32: return llvm_ptr(c, LLVMFloatTypeInContext(c));
    case CGT_PI32: return llvm_ptr(c, LLVMInt32TypeInContext(c));
    case CGT_PPF32: return llvm_ptr(c, llvm_ptr(c, LLVMFloatTypeInContext(c)));
    case CGT_PCTX: return llvm_ptr(c, m->abi.ctx);
    case CGT_PVOID: return llvm_ptr(c, LLVMInt8TypeInContext(c));
    }
    unreachable();
}

static LLVMTypeRef elem_type(Cg *g, CgType t) {
    LLVMContextRef c = ctx_of(g);
    switch (t) {
    case CGT_PI32: return LLVMInt32TypeInContext(c);
    case CGT_PPF32: return llvm_ptr(c, LLVMFloatTypeInContext(c));
    default: return LLVMFloatTypeInContext(c);
    }
}

static LLVMValueRef i64c(Cg *g, int64_t v) { return LLVMConstInt(LLVMInt64TypeInContext(ctx_of(g)), (unsigned long long)v, 1); }

/* ---- functions ---------------------------------------------------------- */

static void func_begin(Cg *g, const char *name, CgType ret, int n, const CgParam *params, CgV *values) {
    LState *s = ls(g);
    LLVMTypeRef types[16];
    for (int i = 0; i < n; i++)
        types[i] = llvm_type(s->m, params[i].type);
    LLVMTypeRef fty = LLVMFunctionType(llvm_type(s->m, ret), types, (unsigned)n, 0);
    s->fn = LLVMAddFunction(s->m->module, name, fty);
    LLVMSetLinkage(s->fn, LLVMInternalLinkage);
    LLVMPositionBuilderAtEnd(s->b, LLVMAppendBasicBlockInContext(ctx_of(g), s->fn, "entry"));
    for (int i = 0; i < n; i++) {
        LLVMValueRef p = LLVMGetParam(s->fn, (unsigned)i);
        LLVMSetValueName2(p, params[i].name, strlen(params[i].name));
        values[i] = p;
    }
}

static void func_end(Cg *g, CgV ret) {
    if (ret)
        LLVMBuildRet(ls(g)->b, ret);
    else
        LLVMBuildRetVoid(ls(g)->b);
}

static void comment(Cg *g, const char *text) { (void)g, (void)text; }

static CgV let(Cg *g, CgType t, const char *name, CgV v, const char *note) {
    (void)note;
    (void)g;
    (void)t;
    if (!LLVMIsConstant(v))
        LLVMSetValueName2(v, name, strlen(name));
    return v;
}

static CgV int_const(Cg *g, int64_t v) { return i64c(g, v); }
static CgV float_const(Cg *g, double v) { return LLVMConstReal(LLVMFloatTypeInContext(ctx_of(g)), (double)(float)v); }
static CgV double_const(Cg *g, double v) { return LLVMConstReal(LLVMDoubleTypeInContext(ctx_of(g)), v); }

static CgV int_op(Cg *g, char op, CgV a, CgV b) {
    LLVMBuilderRef bl = ls(g)->b;
    switch (op) {
    case '+': return LLVMBuildAdd(bl, a, b, "");
    case '-': return LLVMBuildSub(bl, a, b, "");
    case '*': return LLVMBuildMul(bl, a, b, "");
    case '<': return LLVMBuildZExt(bl, LLVMBuildICmp(bl, LLVMIntSLT, a, b, ""), LLVMTypeOf(a), "");
    case '/': return LLVMBuildSDiv(bl, a, b, "");
    default: return LLVMBuildSRem(bl, a, b, "");
    }
}

static CgV ptr_add(Cg *g, CgType t, CgV p, CgV i) {
    LLVMValueRef idx = i;
    return LLVMBuildGEP2(ls(g)->b, elem_type(g, t), p, &idx, 1, "");
}

static CgV load(Cg *g, CgType t, CgV p, CgV i) {
    LLVMValueRef at = ptr_add(g, t, p, i);
    return LLVMBuildLoad2(ls(g)->b, elem_type(g, t), at, "");
}

static void store(Cg *g, CgV p, CgV i, CgV v, bool add) {
    LLVMValueRef at = ptr_add(g, CGT_PF32, p, i);
    if (add)
        v = LLVMBuildFAdd(ls(g)->b, LLVMBuildLoad2(ls(g)->b, LLVMFloatTypeInContext(ctx_of(g)), at, ""), v, "");
    LLVMBuildStore(ls(g)->b, v, at);
}

static LLVMValueRef call_named(Cg *g, const char *fn, int n, LLVMValueRef *args);

static CgV fbin(Cg *g, char op, CgV a, CgV b) {
    LLVMBuilderRef bl = ls(g)->b;
    switch (op) {
    case '+': return LLVMBuildFAdd(bl, a, b, "");
    case '-': return LLVMBuildFSub(bl, a, b, "");
    case '*': return LLVMBuildFMul(bl, a, b, "");
    default: return LLVMBuildFDiv(bl, a, b, "");
    }
}

static CgV fneg(Cg *g, CgV a) { return LLVMBuildFNeg(ls(g)->b, a, ""); }

/* Ordered comparisons (false when either is NaN); NLE is unordered-or-greater. */
static CgV fcmp(Cg *g, CgCmp cmp, CgV a, CgV b) {
    static const LLVMRealPredicate preds[] = {[CG_GT] = LLVMRealOGT, [CG_LT] = LLVMRealOLT, [CG_GE] = LLVMRealOGE,
                                              [CG_LE] = LLVMRealOLE, [CG_NLE] = LLVMRealUGT};
    return LLVMBuildFCmp(ls(g)->b, preds[cmp], a, b, "");
}

/* exp and tanh: the runtime's out-of-line copies of rnnrt.h's; the others:
 * the C library's */
static CgV math(Cg *g, CgMath fn, CgV a) {
    static const char *const names[] = {[CG_EXP] = "rt_exp", [CG_TANH] = "rt_tanh", [CG_LOG] = "logf",
                                        [CG_LOG1P] = "log1pf", [CG_FABS] = "fabsf", [CG_SQRT] = "sqrtf"};
    LLVMValueRef x = a;
    return call_named(g, names[fn], 1, &x);
}

static CgV not_null(Cg *g, CgV p) { return LLVMBuildIsNotNull(ls(g)->b, p, ""); }

/* A condition as i1: integers compare with zero. */
static LLVMValueRef truth(Cg *g, LLVMValueRef c) {
    LLVMTypeRef t = LLVMTypeOf(c);
    if (LLVMGetTypeKind(t) == LLVMIntegerTypeKind && LLVMGetIntTypeWidth(t) == 1)
        return c;
    return LLVMBuildICmp(ls(g)->b, LLVMIntNE, c, LLVMConstInt(t, 0, 0), "");
}

static CgV select_(Cg *g, CgType t, CgV c, CgV a, CgV b) {
    (void)t;
    if (LLVMTypeOf(a) != LLVMTypeOf(b))
        b = llvm_ptr_cast(ls(g)->b, b, LLVMTypeOf(a));
    return LLVMBuildSelect(ls(g)->b, truth(g, c), a, b, "");
}

static CgV to_i64(Cg *g, CgV v) { return LLVMBuildSExt(ls(g)->b, v, LLVMInt64TypeInContext(ctx_of(g)), ""); }

static CgV cast(Cg *g, CgType t, CgV p) {
    LLVMTypeRef to = llvm_type(ls(g)->m, t);
    if (LLVMGetTypeKind(LLVMTypeOf(p)) == LLVMIntegerTypeKind) /* the constant 0: a null pointer */
        return LLVMConstNull(to);
    return llvm_ptr_cast(ls(g)->b, p, to);
}

/* ---- control flow ------------------------------------------------------- */

static LLVMValueRef entry_alloca(Cg *g, LLVMTypeRef t, const char *name) {
    LLVMBuilderRef tmp = LLVMCreateBuilderInContext(ctx_of(g));
    LLVMBasicBlockRef entry = LLVMGetEntryBasicBlock(ls(g)->fn);
    LLVMValueRef first = LLVMGetFirstInstruction(entry);
    if (first)
        LLVMPositionBuilderBefore(tmp, first);
    else
        LLVMPositionBuilderAtEnd(tmp, entry);
    LLVMValueRef a = LLVMBuildAlloca(tmp, t, name);
    LLVMDisposeBuilder(tmp);
    return a;
}

static CgV for_begin(Cg *g, const char *var, CgV count) {
    LState *s = ls(g);
    if (s->nloops == MAX_NEST)
        die("loops nested too deeply");
    LLVMContextRef c = ctx_of(g);
    LLVMTypeRef i64 = LLVMInt64TypeInContext(c);
    Loop *l = &s->loops[s->nloops++];
    l->counter = entry_alloca(g, i64, var);
    LLVMBuildStore(s->b, i64c(g, 0), l->counter);
    l->header = LLVMAppendBasicBlockInContext(c, s->fn, "loop");
    LLVMBasicBlockRef body = LLVMAppendBasicBlockInContext(c, s->fn, "body");
    l->exit = LLVMAppendBasicBlockInContext(c, s->fn, "done");
    LLVMBuildBr(s->b, l->header);
    LLVMPositionBuilderAtEnd(s->b, l->header);
    LLVMValueRef i = LLVMBuildLoad2(s->b, i64, l->counter, "");
    LLVMBuildCondBr(s->b, LLVMBuildICmp(s->b, LLVMIntSLT, i, count, ""), body, l->exit);
    LLVMPositionBuilderAtEnd(s->b, body);
    LLVMValueRef v = LLVMBuildLoad2(s->b, i64, l->counter, var);
    return v;
}

static void for_end(Cg *g) {
    LState *s = ls(g);
    Loop *l = &s->loops[--s->nloops];
    LLVMTypeRef i64 = LLVMInt64TypeInContext(ctx_of(g));
    LLVMValueRef i = LLVMBuildLoad2(s->b, i64, l->counter, "");
    LLVMBuildStore(s->b, LLVMBuildAdd(s->b, i, i64c(g, 1), ""), l->counter);
    LLVMBuildBr(s->b, l->header);
    LLVMPositionBuilderAtEnd(s->b, l->exit);
}

static void if_begin(Cg *g, CgV c) {
    LState *s = ls(g);
    if (s->nbranches == MAX_NEST)
        die("branches nested too deeply");
    Branch *br = &s->branches[s->nbranches++];
    LLVMBasicBlockRef then = LLVMAppendBasicBlockInContext(ctx_of(g), s->fn, "then");
    br->otherwise = LLVMAppendBasicBlockInContext(ctx_of(g), s->fn, "else");
    br->merge = LLVMAppendBasicBlockInContext(ctx_of(g), s->fn, "endif");
    br->has_else = false;
    LLVMBuildCondBr(s->b, truth(g, c), then, br->otherwise);
    LLVMPositionBuilderAtEnd(s->b, then);
}

static void if_else(Cg *g) {
    LState *s = ls(g);
    Branch *br = &s->branches[s->nbranches - 1];
    LLVMBuildBr(s->b, br->merge);
    LLVMPositionBuilderAtEnd(s->b, br->otherwise);
    br->has_else = true;
}

static void if_end(Cg *g) {
    LState *s = ls(g);
    Branch *br = &s->branches[--s->nbranches];
    LLVMBuildBr(s->b, br->merge);
    if (!br->has_else) {
        LLVMPositionBuilderAtEnd(s->b, br->otherwise);
        LLVMBuildBr(s->b, br->merge);
    }
    LLVMPositionBuilderAtEnd(s->b, br->merge);
}

/* ---- calls -------------------------------------------------------------- */

/* A C type of the functions generated code calls: RT_CALLS' kinds. */
typedef enum { K_VOID, K_INT, K_I64, K_F32, K_F64, K_PF32, K_PCF32, K_PCI32, K_PCTX, K_PVOID, K_SIZE } Kind;

typedef struct Extern {
    const char *name;
    Kind ret;
    Kind args[10];
    int n;
} Extern;

#define KIND_OF(kind, name) K_##kind
#define ARGS(...) __VA_ARGS__
#define EXTERN(name, result, args) \
    {#name, K_##result, {ARGS args}, (int)(sizeof((Kind[]){ARGS args}) / sizeof(Kind))},

/* The functions generated code calls: the runtime's (rnnrt.h's RT_CALLS,
 * the one list of them) and the C library's (string.h, math.h). */
static const Extern externs[] = {
    RT_CALLS(EXTERN, KIND_OF)
    {"memcpy", K_PVOID, {K_PVOID, K_PVOID, K_SIZE}, 3},
    {"memset", K_PVOID, {K_PVOID, K_INT, K_SIZE}, 3},
    {"logf", K_F32, {K_F32}, 1},
    {"log1pf", K_F32, {K_F32}, 1},
    {"fabsf", K_F32, {K_F32}, 1},
    {"sqrtf", K_F32, {K_F32}, 1},
};

static LLVMTypeRef kind_type(LlvmModule *m, Kind k) {
    switch (k) {
    case K_INT: return LLVMInt32TypeInContext(m->ctx);
    case K_F64: return LLVMDoubleTypeInContext(m->ctx);
    case K_VOID: return llvm_type(m, CGT_VOID);
    case K_I64: return llvm_type(m, CGT_I64);
    case K_SIZE: return llvm_type(m, CGT_SIZE);
    case K_F32: return llvm_type(m, CGT_F32);
    case K_PF32:
    case K_PCF32: return llvm_type(m, CGT_PF32);
    case K_PCI32: return llvm_type(m, CGT_PI32);
    case K_PCTX: return llvm_type(m, CGT_PCTX);
    default: return llvm_type(m, CGT_PVOID);
    }
}

static LLVMTypeRef extern_type(Cg *g, const Extern *x, LLVMTypeRef *params) {
    LlvmModule *m = ls(g)->m;
    for (int i = 0; i < x->n; i++)
        params[i] = kind_type(m, x->args[i]);
    return LLVMFunctionType(kind_type(m, x->ret), params, (unsigned)x->n, 0);
}

/* Convert an argument to a parameter's type: integers by width, pointers by cast. */
static LLVMValueRef coerce(Cg *g, LLVMValueRef v, LLVMTypeRef to) {
    LLVMTypeRef from = LLVMTypeOf(v);
    if (from == to)
        return v;
    LLVMTypeKind fk = LLVMGetTypeKind(from), tk = LLVMGetTypeKind(to);
    if (fk == LLVMIntegerTypeKind && tk == LLVMIntegerTypeKind)
        return LLVMBuildIntCast2(ls(g)->b, v, to, 1, "");
    if (fk == LLVMPointerTypeKind && tk == LLVMPointerTypeKind)
        return llvm_ptr_cast(ls(g)->b, v, to);
    return v;
}

static LLVMValueRef call_named(Cg *g, const char *fn, int n, LLVMValueRef *args) {
    LState *s = ls(g);
    LLVMTypeRef params[16], fty = NULL;
    LLVMValueRef f = LLVMGetNamedFunction(s->m->module, fn);
    for (size_t i = 0; !fty && i < sizeof externs / sizeof *externs; i++)
        if (!strcmp(externs[i].name, fn))
            fty = extern_type(g, &externs[i], params);
    if (!fty && f) { /* one of the module's own functions */
        fty = LLVMGlobalGetValueType(f);
        LLVMGetParamTypes(fty, params);
    }
    if (!fty)
        die("no signature for function '%s'", fn);
    if (!f)
        f = LLVMAddFunction(s->m->module, fn, fty);
    if ((int)LLVMCountParamTypes(fty) != n)
        die("'%s' takes %u arguments, not %d", fn, LLVMCountParamTypes(fty), n);
    LLVMValueRef conv[16];
    for (int i = 0; i < n; i++)
        conv[i] = coerce(g, args[i], params[i]);
    return LLVMBuildCall2(s->b, fty, f, conv, (unsigned)n, "");
}

static CgV call(Cg *g, CgType ret, const char *fn, int n, const CgV *args) {
    (void)ret;
    LLVMValueRef a[16];
    for (int i = 0; i < n; i++)
        a[i] = args[i];
    return call_named(g, fn, n, a);
}

/* ctx->name, a field of rnnrt.h's rt_train_ctx */
static CgV field(Cg *g, CgV ctx, const char *name) {
    LState *s = ls(g);
    unsigned index;
    LLVMTypeRef t = llvm_abi_ctx_field(ctx_of(g), &s->m->abi, name, &index);
    LLVMValueRef at = LLVMBuildStructGEP2(s->b, s->m->abi.ctx, ctx, index, "");
    return LLVMBuildLoad2(s->b, t, at, name);
}

static const CgBackend llvm_backend = {
    .func_begin = func_begin, .func_end = func_end, .comment = comment, .let = let, .int_const = int_const,
    .float_const = float_const, .double_const = double_const, .int_op = int_op, .ptr_add = ptr_add, .load = load,
    .store = store, .fbin = fbin, .fneg = fneg, .fcmp = fcmp, .math = math, .not_null = not_null,
    .select = select_, .to_i64 = to_i64, .cast = cast, .for_begin = for_begin, .for_end = for_end,
    .if_begin = if_begin, .if_else = if_else, .if_end = if_end, .call = call, .field = field,
};

Cg *cg_llvm_new(Arena *a, LlvmModule *m) {
    Cg *g = arena_alloc(a, sizeof *g);
    LState *s = arena_alloc(a, sizeof *s);
    s->m = m;
    s->b = LLVMCreateBuilderInContext(m->ctx);
    *g = (Cg){&llvm_backend, a, s};
    return g;
}

void cg_llvm_free(Cg *g) { LLVMDisposeBuilder(ls(g)->b); }
