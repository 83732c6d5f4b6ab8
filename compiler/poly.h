/* poly.h - size expressions as polynomials over a cell's size parameters.
 * Cells are generic in their sizes, so shapes are checked symbolically:
 * `4*hidden` and `hidden*4` are the same size, `in` and `hidden` are not.
 * A polynomial is a sorted list of monomials with integer coefficients;
 * variables are indices of size parameters. Limits keep every operation
 * small and overflow is reported, never wrapped. */
#ifndef RNNC_POLY_H
#define RNNC_POLY_H
#include "arena.h"
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

enum {
    POLY_MAX_DEGREE = 4,  /* variables in one monomial */
    POLY_MAX_TERMS = 16,  /* monomials in a size expression */
    POLY_MAX_VARS = 64,   /* size parameters of one cell */
};

typedef struct Mono {
    int64_t coef;
    uint8_t deg;                   /* number of variables */
    uint8_t var[POLY_MAX_DEGREE];  /* sorted ascending */
} Mono;

typedef struct Poly {
    int n;       /* number of monomials, none with coef 0 */
    Mono t[];    /* sorted by (deg, var) */
} Poly;

typedef enum { POLY_OK, POLY_TOO_COMPLEX, POLY_OVERFLOW } PolyStatus;

const Poly *poly_const(Arena *a, int64_t c);
const Poly *poly_var(Arena *a, int var);
/* *out = x + sign*y, sign is +1 or -1. */
PolyStatus poly_add(Arena *a, const Poly *x, const Poly *y, int sign, const Poly **out);
PolyStatus poly_mul(Arena *a, const Poly *x, const Poly *y, const Poly **out);
bool poly_equal(const Poly *x, const Poly *y);
bool poly_is_const(const Poly *p, int64_t *value);
/* Value with the variables bound to vals; POLY_OVERFLOW past int64. */
PolyStatus poly_eval(const Poly *p, const int64_t *vals, int64_t *out);
/* Sign over all variables >= 1: +1 when provably >= 0, -1 when provably
 * < 0, 0 when it depends on the sizes. */
int poly_sign(Arena *a, const Poly *p);
/* Human form, e.g. "4*hidden + in"; names[i] names variable i. */
void poly_format(char *buf, size_t n, const Poly *p, const char *const *names);

#endif
