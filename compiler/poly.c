/* poly.c - arithmetic on size polynomials (see poly.h). */
#include "poly.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static Poly *poly_new(Arena *a, int n) {
    Poly *p = arena_alloc(a, sizeof(Poly) + sizeof(Mono) * (size_t)n);
    p->n = 0;
    return p;
}

const Poly *poly_const(Arena *a, int64_t c) {
    Poly *p = poly_new(a, 1);
    if (c)
        p->t[p->n++] = (Mono){.coef = c};
    return p;
}

const Poly *poly_var(Arena *a, int var) {
    Poly *p = poly_new(a, 1);
    p->t[p->n++] = (Mono){.coef = 1, .deg = 1, .var = {(uint8_t)var}};
    return p;
}

/* Order monomials by degree, then variables: the canonical form. */
static int mono_cmp(const Mono *x, const Mono *y) {
    if (x->deg != y->deg)
        return x->deg < y->deg ? -1 : 1;
    return memcmp(x->var, y->var, x->deg);
}

/* Add term m into the sorted list p (capacity cap). */
static PolyStatus add_term(Poly *p, int cap, Mono m) {
    int i = 0;
    while (i < p->n && mono_cmp(&p->t[i], &m) < 0)
        i++;
    if (i < p->n && mono_cmp(&p->t[i], &m) == 0) {
        if (__builtin_add_overflow(p->t[i].coef, m.coef, &p->t[i].coef))
            return POLY_OVERFLOW;
        if (p->t[i].coef == 0) {
            memmove(&p->t[i], &p->t[i + 1], sizeof(Mono) * (size_t)(p->n - i - 1));
            p->n--;
        }
        return POLY_OK;
    }
    if (m.coef == 0)
        return POLY_OK;
    if (p->n == cap)
        return POLY_TOO_COMPLEX;
    memmove(&p->t[i + 1], &p->t[i], sizeof(Mono) * (size_t)(p->n - i));
    p->t[i] = m;
    p->n++;
    return POLY_OK;
}

/* Room for the terms a result can have: at most cap (no more can arise
 * when fewer are possible, so the smaller room never fails early). */
static int room(int64_t possible, int cap) { return possible < cap ? (int)possible : cap; }

static PolyStatus add_capped(Arena *a, const Poly *x, const Poly *y, int sign, int cap,
                             const Poly **out) {
    cap = room((int64_t)x->n + y->n, cap);
    Poly *p = poly_new(a, cap);
    for (int i = 0; i < x->n; i++)
        if (add_term(p, cap, x->t[i]) != POLY_OK)
            return POLY_TOO_COMPLEX;
    for (int i = 0; i < y->n; i++) {
        Mono m = y->t[i];
        if (sign < 0 && __builtin_mul_overflow(m.coef, -1, &m.coef))
            return POLY_OVERFLOW;
        PolyStatus st = add_term(p, cap, m);
        if (st != POLY_OK)
            return st;
    }
    *out = p;
    return POLY_OK;
}

PolyStatus poly_add(Arena *a, const Poly *x, const Poly *y, int sign, const Poly **out) {
    return add_capped(a, x, y, sign, POLY_MAX_TERMS, out);
}

static PolyStatus mul_capped(Arena *a, const Poly *x, const Poly *y, int cap, const Poly **out) {
    cap = room((int64_t)x->n * y->n, cap);
    Poly *p = poly_new(a, cap);
    for (int i = 0; i < x->n; i++)
        for (int j = 0; j < y->n; j++) {
            const Mono *u = &x->t[i], *v = &y->t[j];
            if (u->deg + v->deg > POLY_MAX_DEGREE)
                return POLY_TOO_COMPLEX;
            Mono m = {.deg = (uint8_t)(u->deg + v->deg)};
            if (__builtin_mul_overflow(u->coef, v->coef, &m.coef))
                return POLY_OVERFLOW;
            /* merge the two sorted variable lists */
            int a_i = 0, b_i = 0;
            for (int k = 0; k < m.deg; k++)
                m.var[k] = (b_i >= v->deg || (a_i < u->deg && u->var[a_i] <= v->var[b_i]))
                               ? u->var[a_i++]
                               : v->var[b_i++];
            PolyStatus st = add_term(p, cap, m);
            if (st != POLY_OK)
                return st;
        }
    *out = p;
    return POLY_OK;
}

PolyStatus poly_mul(Arena *a, const Poly *x, const Poly *y, const Poly **out) {
    return mul_capped(a, x, y, POLY_MAX_TERMS, out);
}

bool poly_equal(const Poly *x, const Poly *y) {
    if (x->n != y->n)
        return false;
    for (int i = 0; i < x->n; i++)
        if (x->t[i].coef != y->t[i].coef || mono_cmp(&x->t[i], &y->t[i]) != 0)
            return false;
    return true;
}

bool poly_is_const(const Poly *p, int64_t *value) {
    if (p->n == 0) {
        *value = 0;
        return true;
    }
    if (p->n == 1 && p->t[0].deg == 0) {
        *value = p->t[0].coef;
        return true;
    }
    return false;
}

PolyStatus poly_eval(const Poly *p, const int64_t *vals, int64_t *out) {
    int64_t sum = 0;
    for (int i = 0; i < p->n; i++) {
        int64_t term = p->t[i].coef;
        for (int k = 0; k < p->t[i].deg; k++)
            if (__builtin_mul_overflow(term, vals[p->t[i].var[k]], &term))
                return POLY_OVERFLOW;
        if (__builtin_add_overflow(sum, term, &sum))
            return POLY_OVERFLOW;
    }
    *out = sum;
    return POLY_OK;
}

/* Substitute v = 1 + u for every variable: with u >= 0, a polynomial whose
 * coefficients are all >= 0 is >= 0, and one whose coefficients are all
 * <= 0 with a negative constant is < 0. */
int poly_sign(Arena *a, const Poly *p) {
    enum { CAP = 1024 };
    const Poly *sum = poly_const(a, 0);
    for (int i = 0; i < p->n; i++) {
        const Poly *term = poly_const(a, p->t[i].coef);
        for (int k = 0; k < p->t[i].deg; k++) {
            const Poly *shifted;
            if (add_capped(a, poly_const(a, 1), poly_var(a, p->t[i].var[k]), 1, CAP, &shifted) ||
                mul_capped(a, term, shifted, CAP, &term))
                return 0;
        }
        if (add_capped(a, sum, term, 1, CAP, &sum))
            return 0;
    }
    bool all_nonneg = true, all_nonpos = true;
    int64_t constant = 0;
    for (int i = 0; i < sum->n; i++) {
        all_nonneg &= sum->t[i].coef >= 0;
        all_nonpos &= sum->t[i].coef <= 0;
        if (sum->t[i].deg == 0)
            constant = sum->t[i].coef;
    }
    if (all_nonneg)
        return 1;
    if (all_nonpos && constant < 0)
        return -1;
    return 0;
}

/* Append to a bounded buffer; output past the end is dropped. */
static void append(char *buf, size_t n, const char *fmt, ...) {
    size_t len = strlen(buf);
    if (len + 1 >= n)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + len, n - len, fmt, ap);
    va_end(ap);
}

void poly_format(char *buf, size_t n, const Poly *p, const char *const *names) {
    buf[0] = 0;
    if (p->n == 0)
        append(buf, n, "0");
    /* highest degree first reads best: 4*hidden + 1 */
    for (int i = p->n - 1; i >= 0; i--) {
        const Mono *m = &p->t[i];
        bool first = i == p->n - 1, negative = m->coef < 0;
        append(buf, n, "%s", first ? (negative ? "-" : "") : (negative ? " - " : " + "));
        uint64_t mag = negative ? (uint64_t)0 - (uint64_t)m->coef : (uint64_t)m->coef;
        if (mag != 1 || m->deg == 0)
            append(buf, n, "%llu%s", (unsigned long long)mag, m->deg ? "*" : "");
        for (int k = 0; k < m->deg; k++)
            append(buf, n, "%s%s", k ? "*" : "", names[m->var[k]]);
    }
}
