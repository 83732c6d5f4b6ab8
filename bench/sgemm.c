/* bench/sgemm.c [N] - this machine's single-precision matrix-multiply rate:
 * cblas_sgemm (OpenBLAS) on N x N matrices (default 2048), after one
 * warm-up call; prints the best of 5 timings as "GFLOP/s THREADS", counting
 * 2*N^3 flops a call. The thread count is OpenBLAS's (OPENBLAS_NUM_THREADS).
 * Built and run by bench/probes.sh: cc -O3 -march=native ... -lopenblas. */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 2048;
    size_t nn = (size_t)n * n;
    float *a = malloc(nn * sizeof *a), *b = malloc(nn * sizeof *b), *c = malloc(nn * sizeof *c);
    if (n <= 0 || !a || !b || !c) {
        fprintf(stderr, "sgemm: cannot allocate three %dx%d matrices\n", n, n);
        return 1;
    }
    srand(1);
    for (size_t i = 0; i < nn; i++) {
        a[i] = (float)rand() / RAND_MAX - 0.5f;
        b[i] = (float)rand() / RAND_MAX - 0.5f;
        c[i] = 0;
    }
    double best = 0;
    for (int rep = 0; rep < 6; rep++) { /* the first is the warm-up */
        double t0 = now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
        double t = now() - t0;
        if (rep > 0 && (best == 0 || t < best)) best = t;
    }
    printf("%.1f %d\n", 2.0 * n * n * (double)n / best / 1e9, openblas_get_num_threads());
    free(a), free(b), free(c);
    return 0;
}
