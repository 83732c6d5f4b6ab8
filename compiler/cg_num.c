/* cg_num.c - a code generator backend that computes instead of printing:
 * integer expressions only, with the functions' B and T parameters bound to
 * numbers. The embedded emitter runs the program's size functions through
 * it to size its static buffers at compile time, so the sizes come from the
 * same code as the programs' own. */
#include "cg.h"
#include "util.h"
#include <string.h>

typedef struct NState {
    int64_t B, T;
    const char *fn;       /* the function being "emitted" */
    int64_t workspace, tape, forward;
} NState;

static NState *ns(Cg *g) { return g->state; }

static CgV num(Cg *g, int64_t v) {
    int64_t *p = arena_alloc(g->a, sizeof *p);
    *p = v;
    return p;
}

static int64_t val(CgV v) { return *(int64_t *)v; }

static void func_begin(Cg *g, const char *name, CgType ret, int n, const CgParam *params, CgV *values) {
    (void)ret;
    ns(g)->fn = name;
    for (int i = 0; i < n; i++)
        values[i] = num(g, !strcmp(params[i].name, "B") ? ns(g)->B : !strcmp(params[i].name, "T") ? ns(g)->T : 0);
}

static void func_end(Cg *g, CgV ret) {
    if (!strcmp(ns(g)->fn, "workspace"))
        ns(g)->workspace = val(ret);
    else if (!strcmp(ns(g)->fn, "tape_size"))
        ns(g)->tape = val(ret);
    else if (!strcmp(ns(g)->fn, "forward_workspace"))
        ns(g)->forward = val(ret);
}

static CgV int_const(Cg *g, int64_t v) { return num(g, v); }

static CgV int_op(Cg *g, char op, CgV a, CgV b) {
    int64_t x = val(a), y = val(b), r = 0;
    bool overflow = op == '+' ? __builtin_add_overflow(x, y, &r)
                    : op == '-' ? __builtin_sub_overflow(x, y, &r)
                    : op == '*' ? __builtin_mul_overflow(x, y, &r)
                    : op == '<' ? (r = x < y, false)
                                : (r = y ? x % y : 0, false);
    if (overflow)
        die("size computation overflows");
    return num(g, r);
}

static const CgBackend num_backend = {.func_begin = func_begin, .func_end = func_end, .int_const = int_const,
                                      .int_op = int_op};

int64_t cg_num_sizes(Arena *a, const IrProgram *p, int64_t B, int64_t T, int64_t *tape, int64_t *forward) {
    Cg g = {&num_backend, a, NULL};
    NState s = {B, T, NULL, 0, 0, 0};
    g.state = &s;
    emit_size_functions(&g, p);
    *tape = s.tape;
    *forward = s.forward;
    return s.workspace;
}
