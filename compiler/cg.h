/* cg.h - the code generator the emitters write through.
 * The C emitter (emit_c.c, emit_step.c) decides what a model's program
 * computes: its functions, loops, kernel calls and element expressions. It
 * says so through this interface, and a backend turns each call into its
 * own form: cg_c.c prints C99 text; an LLVM backend builds a module with
 * the LLVM-C API. Both therefore implement the same function ABI (runtime/
 * rnnrt.h), and the same decisions reach every backend.
 * Values are opaque handles (CgV) valid inside the function that made them.
 * All functions return the handle of what they build. Loops count upward
 * from 0; the emitters derive reversed indices themselves. */
#ifndef RNNC_CG_H
#define RNNC_CG_H
#include "ir.h"

typedef void *CgV;

typedef enum {
    CGT_VOID,
    CGT_I64,
    CGT_F32,
    CGT_PF32,   /* float * */
    CGT_PCF32,  /* const float * */
    CGT_PI32,   /* int32_t * (token ids) */
    CGT_PPF32,  /* float *const * (parameter and gradient tables) */
    CGT_PCTX,   /* rt_train_ctx * */
    CGT_PVOID,  /* const void * */
    CGT_SIZE,   /* size_t */
} CgType;

typedef struct Cg Cg;

typedef enum { CG_GT, CG_LT, CG_GE, CG_LE, CG_NLE } CgCmp;   /* NLE: !(a <= b), true for NaN */
typedef enum { CG_EXP, CG_TANH, CG_LOG, CG_LOG1P, CG_FABS, CG_SQRT } CgMath;

typedef struct CgParam {
    CgType type;
    const char *name;
} CgParam;

typedef struct CgBackend {
    /* a static function; params[i] receive the parameters' handles */
    void (*func_begin)(Cg *g, const char *name, CgType ret, int n, const CgParam *params, CgV *values);
    void (*func_end)(Cg *g, CgV ret);   /* ret NULL for void */
    void (*comment)(Cg *g, const char *text);
    CgV (*let)(Cg *g, CgType t, const char *name, CgV value, const char *note); /* a named value; note: a comment or NULL */
    CgV (*int_const)(Cg *g, int64_t v);
    CgV (*float_const)(Cg *g, double v);
    CgV (*double_const)(Cg *g, double v);
    CgV (*int_op)(Cg *g, char op, CgV a, CgV b);               /* + - * / %, < (1 or 0) */
    CgV (*ptr_add)(Cg *g, CgType t, CgV ptr, CgV index);       /* &ptr[index] */
    CgV (*load)(Cg *g, CgType t, CgV ptr, CgV index);          /* ptr[index]; t: CGT_PF32, CGT_PI32 or CGT_PPF32 */
    void (*store)(Cg *g, CgV ptr, CgV index, CgV value, bool add); /* float ptr[index] (+)= value */
    /* the primitives of the elementwise ops' FORMs (ir_ops.def, cg_elem.c) */
    CgV (*fbin)(Cg *g, char op, CgV a, CgV b);                 /* floats: + - * / */
    CgV (*fneg)(Cg *g, CgV a);
    CgV (*fcmp)(Cg *g, CgCmp cmp, CgV a, CgV b);               /* a condition for select */
    CgV (*math)(Cg *g, CgMath fn, CgV a);
    CgV (*not_null)(Cg *g, CgV ptr);
    CgV (*select)(Cg *g, CgType t, CgV cond, CgV a, CgV b);
    CgV (*to_i64)(Cg *g, CgV int32);                           /* a token id as an index */
    CgV (*cast)(Cg *g, CgType t, CgV ptr);                     /* reinterpret a pointer */
    CgV (*for_begin)(Cg *g, const char *var, CgV count);       /* for var in [0, count) */
    void (*for_end)(Cg *g);
    void (*if_begin)(Cg *g, CgV cond);
    void (*if_else)(Cg *g);
    void (*if_end)(Cg *g);
    /* a runtime or C library function */
    CgV (*call)(Cg *g, CgType ret, const char *fn, int n, const CgV *args);
    CgV (*field)(Cg *g, CgV ctx, const char *field);           /* ctx->field of an rt_train_ctx */
} CgBackend;

struct Cg {
    const CgBackend *b;
    Arena *a;
    void *state;        /* the backend's own */
};

/* An elementwise op of the IR, as its FORM in ir_ops.def says, through
 * the backend's primitives (cg_elem.c). */
CgV cg_elem(Cg *g, IrOp op, CgV a, CgV b);

/* Shorthands the emitters use. */
CgV cg_i(Cg *g, int64_t v);
CgV cg_add(Cg *g, CgV a, CgV b);
CgV cg_mul(Cg *g, CgV a, CgV b);
CgV cg_sub(Cg *g, CgV a, CgV b);
CgV cg_call(Cg *g, CgType ret, const char *fn, int n, ...);

/* The C backend: C99 text on out. With a prefix, functions are external
 * and named PREFIX_name (embedded C: several models link together). */
Cg *cg_c_new(Arena *a, FILE *out);
Cg *cg_c_new_prefixed(Arena *a, FILE *out, const char *prefix);

#endif
