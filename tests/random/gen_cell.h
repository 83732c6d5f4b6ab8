/* gen_cell.h - random, well-typed recurrent cells as source text, for the
 * random tester (cells.c). */
#ifndef GEN_CELL_H
#define GEN_CELL_H
#include <stdint.h>

typedef struct GenRng {
    uint64_t s;
} GenRng;

uint64_t gen_next(GenRng *r);
int gen_below(GenRng *r, int n); /* [0, n) */

/* A cell named r(in, k) from seed: one or two states of k values, one to
 * four gate blocks of k rows projected from the input and the states,
 * locals built from random expressions over every op and function (slices,
 * concat, division by a positive denominator, exp, log and sqrt fed values
 * inside their domains, literals), and an output of k values. Returns a
 * malloc'd string. */
char *gen_cell(uint64_t seed);

#endif
