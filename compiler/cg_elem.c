/* cg_elem.c - what the code generator builds the same way on every
 * backend: every elementwise op of the IR, its FORM column of ir_ops.def
 * expanded here into calls of the backend's primitives (cg.h), so a new
 * op's computation is written once, in its row, and the C, LLVM and
 * embedded backends all build it from that; and the emitters' shorthands
 * for index arithmetic and calls. */
#include "cg.h"
#include "util.h"
#include <stdarg.h>

CgV cg_elem(Cg *g, IrOp op, CgV a, CgV b) {
    const CgBackend *p = g->b;
#define A a
#define B b
#define K(v) p->float_const(g, (v))
#define ADD(x, y) p->fbin(g, '+', (x), (y))
#define SUB(x, y) p->fbin(g, '-', (x), (y))
#define MUL(x, y) p->fbin(g, '*', (x), (y))
#define DIV(x, y) p->fbin(g, '/', (x), (y))
#define NEG(x) p->fneg(g, (x))
#define GT(x, y) p->fcmp(g, CG_GT, (x), (y))
#define LT(x, y) p->fcmp(g, CG_LT, (x), (y))
#define GE(x, y) p->fcmp(g, CG_GE, (x), (y))
#define LE(x, y) p->fcmp(g, CG_LE, (x), (y))
#define NLE(x, y) p->fcmp(g, CG_NLE, (x), (y))
#define SELECT(c, x, y) p->select(g, CGT_F32, (c), (x), (y))
#define EXP(x) p->math(g, CG_EXP, (x))
#define TANH(x) p->math(g, CG_TANH, (x))
#define LOG(x) p->math(g, CG_LOG, (x))
#define LOG1P(x) p->math(g, CG_LOG1P, (x))
#define FABS(x) p->math(g, CG_FABS, (x))
#define SQRT(x) p->math(g, CG_SQRT, (x))
#define NOT_ELEM (die("op %s is not elementwise", ir_ops[op].name), (CgV)NULL)
    switch (op) {
#define IR_OP(id, name, arity, kind, call, form, eval, grad, onnx) \
    case IR_##id:                                            \
        return form;
#include "ir_ops.def"
#undef IR_OP
    default:
        die("op %d is not in the table", (int)op);
    }
}

/* ---- shorthands ---------------------------------------------------------- */

CgV cg_i(Cg *g, int64_t v) { return g->b->int_const(g, v); }
CgV cg_add(Cg *g, CgV a, CgV b) { return g->b->int_op(g, '+', a, b); }
CgV cg_sub(Cg *g, CgV a, CgV b) { return g->b->int_op(g, '-', a, b); }
CgV cg_mul(Cg *g, CgV a, CgV b) { return g->b->int_op(g, '*', a, b); }

CgV cg_call(Cg *g, CgType ret, const char *fn, int n, ...) {
    CgV args[16];
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n && i < 16; i++)
        args[i] = va_arg(ap, CgV);
    va_end(ap);
    return g->b->call(g, ret, fn, n, args);
}
