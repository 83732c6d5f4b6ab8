/* gen_cell.c - random cells (gen_cell.h). Every expression has k values:
 * leaves are the gate blocks g[i*k:(i+1)*k], the states and earlier
 * locals; inner nodes are + - * min max (operands that differ; min and
 * max also with a number), division by 1.5 + e * e, sigmoid tanh relu
 * softplus abs hardsigmoid softsign elu directly, exp of a value in
 * [-1, 1] or of -e * e, log of 1 + e * e or 2 + sigmoid(e), sqrt of
 * 1 + e * e, literals, and halves of a concat kept as a local. */
#include "gen_cell.h"
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint64_t gen_next(GenRng *r) { /* splitmix64 */
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

int gen_below(GenRng *r, int n) { return (int)(gen_next(r) % (uint64_t)n); }

typedef struct Text {
    char *s;
    size_t len, cap;
} Text;

static void put(Text *t, const char *fmt, ...) {
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);
        if (n >= 0 && t->len + (size_t)n < t->cap) {
            t->len += (size_t)n;
            return;
        }
        t->cap = t->cap * 2 + (size_t)n + 64;
        t->s = realloc(t->s, t->cap);
        if (!t->s)
            abort();
    }
}

typedef struct Gen {
    GenRng rng;
    char leaves[64][32]; /* names of k-value vectors */
    int nleaves, nlocals;
    Text *body;          /* statements before the one being built */
} Gen;

static void add_leaf(Gen *g, const char *fmt, ...) {
    if (g->nleaves == 64)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g->leaves[g->nleaves++], 32, fmt, ap);
    va_end(ap);
}

static void expr(Gen *g, Text *t, int depth);

static void leaf(Gen *g, Text *t) {
    const char *name = g->leaves[gen_below(&g->rng, g->nleaves)];
    switch (gen_below(&g->rng, 6)) {
    case 0: put(t, "0.5 * %s", name); break;
    case 1: put(t, "(%s - 0.25)", name); break;
    default: put(t, "%s", name); break;
    }
}

/* e as a string of its own (to compare operands) */
static char *subexpr(Gen *g, int depth) {
    Text t = {0};
    put(&t, "%s", "");
    expr(g, &t, depth);
    return t.s;
}

static void binary(Gen *g, Text *t, int depth) {
    static const char *ops[] = {" + ", " - ", " * ", "min", "max"};
    const char *op = ops[gen_below(&g->rng, 5)];
    char *a = subexpr(g, depth - 1), *b = subexpr(g, depth - 1);
    bool function = op[0] != ' ';
    if (!strcmp(a, b) || (function && gen_below(&g->rng, 3) == 0)) { /* u - u would hide a relu's kink at 0, */
        free(b);                                                        /* min(u, u) sit on min's */
        b = strdup(gen_below(&g->rng, 2) ? "0.75" : "-0.25");
    }
    if (function)
        put(t, "%s(%s, %s)", op, a, b);
    else
        put(t, "(%s%s%s)", a, op, b);
    free(a);
    free(b);
}

/* concat(a, b) as a local, then one of its halves */
static void concat_half(Gen *g, Text *t, int depth) {
    char *a = subexpr(g, depth - 1), *b = subexpr(g, depth - 1);
    int id = g->nlocals++;
    put(g->body, "  c%d = concat(%s, %s)\n", id, a, b);
    put(t, gen_below(&g->rng, 2) ? "c%d[0:k]" : "c%d[k:2*k]", id);
    free(a);
    free(b);
}

static void expr(Gen *g, Text *t, int depth) {
    if (depth <= 0 || gen_below(&g->rng, 4) == 0) {
        leaf(g, t);
        return;
    }
    static const char *direct[] = {"sigmoid", "tanh", "relu", "softplus", "abs", "hardsigmoid", "softsign", "elu"};
    switch (gen_below(&g->rng, 10)) {
    case 0: case 1: case 2: binary(g, t, depth); break;
    case 3:
        put(t, "(");
        expr(g, t, depth - 1);
        put(t, " / (1.5 + ");
        char *d = subexpr(g, depth - 1);
        put(t, "%s * %s))", d, d);
        free(d);
        break;
    case 4: case 5:
        put(t, "%s(", direct[gen_below(&g->rng, 8)]);
        expr(g, t, depth - 1);
        put(t, ")");
        break;
    case 6: {
        char *e = subexpr(g, depth - 1);
        switch (gen_below(&g->rng, 3)) {
        case 0: put(t, "exp(tanh(%s))", e); break;
        case 1: put(t, "exp(-(%s * %s))", e, e); break;
        default: put(t, "exp(0.5 * sigmoid(%s))", e); break;
        }
        free(e);
        break;
    }
    case 7: {
        char *e = subexpr(g, depth - 1);
        if (gen_below(&g->rng, 2))
            put(t, "log(1 + %s * %s)", e, e);
        else
            put(t, "log(2 + sigmoid(%s))", e);
        free(e);
        break;
    }
    case 8: {
        char *e = subexpr(g, depth - 1);
        put(t, "sqrt(1 + %s * %s)", e, e);
        free(e);
        break;
    }
    default: concat_half(g, t, depth); break;
    }
}

/* One statement NAME = expr, its helper locals written first. */
static void statement(Gen *g, Text *out, const char *name, int depth) {
    Text body = {0}, rhs = {0};
    put(&body, "%s", "");
    put(&rhs, "%s", "");
    g->body = &body;
    expr(g, &rhs, depth);
    put(out, "%s  %s = %s\n", body.s, name, rhs.s);
    free(body.s);
    free(rhs.s);
}

char *gen_cell(uint64_t seed) {
    Gen g = {.rng = {seed * 0x2545F4914F6CDD1DULL + 1}};
    int states = 1 + gen_below(&g.rng, 2), gates = 1 + gen_below(&g.rng, 4), bias = gen_below(&g.rng, 2);
    int locals = gen_below(&g.rng, 4), depth = 1 + gen_below(&g.rng, 4);
    Text t = {0};
    put(&t, "cell r(in, k) {\n  input x[in]\n  state s0[k]%s\n", states == 2 ? ", s1[k]" : "");
    put(&t, "  param W[%d*k, in], U[%d*k, k]\n", gates, gates);
    if (states == 2)
        put(&t, "  param V[%d*k, k]\n", gates);
    if (bias)
        put(&t, "  param b[%d*k]\n", gates);
    put(&t, "  g = W @ x + U @ s0%s%s\n", states == 2 ? " + V @ s1" : "", bias ? " + b" : "");
    for (int i = 0; i < gates; i++)
        add_leaf(&g, "g[%d*k:%d*k]", i, i + 1);
    for (int i = 0; i < states; i++)
        add_leaf(&g, "s%d", i);
    for (int i = 0; i < locals; i++) {
        char name[16];
        snprintf(name, sizeof name, "a%d", i);
        statement(&g, &t, name, depth);
        add_leaf(&g, "%s", name);
    }
    for (int i = 0; i < states; i++) {
        char name[16];
        snprintf(name, sizeof name, "s%d'", i);
        statement(&g, &t, name, depth);
    }
    if (gen_below(&g.rng, 2)) {
        put(&t, "  output s0'\n}\n");
    } else {
        add_leaf(&g, "s0'");
        statement(&g, &t, "o", depth);
        put(&t, "  output o\n}\n");
    }
    return t.s;
}
