/* firmware.c - the Cortex-M test program (run.sh): steps the model through
 * sequence 0 of the test input (input.h) one time step at a time and prints
 * every output float's bits through semihosting. Compiled with -DMODEL=NAME
 * -include NAME.h; -DTOKENS for a token input; -DSEQ_OUTPUT when every
 * step has an output (else the last step's is printed); -DBIDIRECTIONAL
 * for a model stepped a whole sequence at a time. */
#include "input.h"

#define CAT(a, b) a##b
#define XCAT(a, b) CAT(a, b)
#define M(x) XCAT(MODEL, x)

void semihost_print(const char *s);

static void print_bits(float v) {
    union { float f; unsigned u; } bits = {v};
    char line[10];
    for (int i = 0; i < 8; i++)
        line[i] = "0123456789abcdef"[(bits.u >> (28 - 4 * i)) & 0xF];
    line[8] = '\n';
    line[9] = 0;
    semihost_print(line);
}

int main(void) {
    static M(_state) s;
    M(_reset)(&s);
#ifdef BIDIRECTIONAL /* the whole sequence at once */
#ifdef SEQ_OUTPUT
    static float y[STEPS * M(_OUTPUT_SIZE)];
    int n = STEPS * M(_OUTPUT_SIZE);
#else
    static float y[M(_OUTPUT_SIZE)];
    int n = M(_OUTPUT_SIZE);
#endif
    if (M(_sequence)(&s, input, STEPS, y))
        return 1;
    for (int k = 0; k < n; k++)
        print_bits(y[k]);
    return 0;
#else
    float y[M(_OUTPUT_SIZE)];
    for (int t = 0; t < STEPS; t++) {
#ifdef TOKENS
        M(_step)(&s, input[t], y);
#else
        M(_step)(&s, input + t * WIDTH, y);
#endif
#ifdef SEQ_OUTPUT
        for (int k = 0; k < M(_OUTPUT_SIZE); k++)
            print_bits(y[k]);
#endif
    }
#ifndef SEQ_OUTPUT /* a per-sequence output: the last step's */
    for (int k = 0; k < M(_OUTPUT_SIZE); k++)
        print_bits(y[k]);
#endif
    return 0;
#endif
}
