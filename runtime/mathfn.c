/* mathfn.c - out-of-line copies of rnnrt.h's elementwise functions for the
 * LLVM backend, which calls them where the C backend inlines them: the
 * same source, without contraction, so both backends get the same bits. */
#include "rnnrt.h"

float rt_tanh(float x) { return rt_tanhf(x); }
float rt_exp(float x) { return rt_expf(x); }
