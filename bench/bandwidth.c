/* bench/bandwidth.c [-b BYTES] [THREADS...] - sustained read bandwidth:
 * the sum of a float buffer, read with vector loads by THREADS pthreads
 * (default: 1, then 2), each summing its own contiguous share. The buffer
 * is four times the L3 cache size (at least 256 MiB): memory's bandwidth;
 * or BYTES with -b, summed over and over (each thread keeps its share in
 * whatever cache holds it): the bandwidth of the level where BYTES fit.
 * For each thread count prints "GB/s THREADS BUFFER_MiB", the best of 5
 * passes (1 GB = 1e9 bytes). The L3 size comes from
 * sysconf(_SC_LEVEL3_CACHE_SIZE), else from sysfs.
 * Built and run by bench/probes.sh: cc -O3 -march=native -pthread. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef float vf __attribute__((vector_size(32)));
enum { ACC = 8, BLOCK = ACC * sizeof(vf) / sizeof(float) };

typedef struct {
    const float *p;
    size_t n;      /* floats, a multiple of BLOCK */
    size_t rounds; /* times the share is summed */
    float sum;
} share;

static void *fill(void *arg) {
    share *s = arg;
    float *p = (float *)s->p;
    for (size_t i = 0; i < s->n; i++) p[i] = (float)(i & 1023) * (1.0f / 1024);
    return NULL;
}

static void *sum(void *arg) {
    share *s = arg;
    vf acc[ACC];
    memset(acc, 0, sizeof acc);
    for (size_t r = 0; r < s->rounds; r++)
        for (size_t i = 0; i < s->n; i += BLOCK) {
            const vf *v = (const vf *)(s->p + i);
            for (int k = 0; k < ACC; k++) acc[k] += v[k];
        }
    for (int k = 1; k < ACC; k++) acc[0] += acc[k];
    float t = 0;
    for (size_t j = 0; j < sizeof(vf) / sizeof(float); j++) t += acc[0][j];
    s->sum = t;
    return NULL;
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static long l3_bytes(void) {
    long l3 = sysconf(_SC_LEVEL3_CACHE_SIZE);
    if (l3 > 0) return l3;
    FILE *f = fopen("/sys/devices/system/cpu/cpu0/cache/index3/size", "r");
    char unit = 0;
    if (f && fscanf(f, "%ld%c", &l3, &unit) >= 1) {
        fclose(f);
        return l3 * (unit == 'K' ? 1024 : unit == 'M' ? 1048576 : 1);
    }
    if (f) fclose(f);
    return 0;
}

/* run FN over the buffer split among THREADS threads, ROUNDS times */
static void run(void *(*fn)(void *), float *p, size_t n, size_t rounds, int threads, share *s) {
    pthread_t id[64];
    size_t per = n / threads / BLOCK * BLOCK;
    for (int t = 0; t < threads; t++) {
        s[t].p = p + per * t;
        s[t].n = per;
        s[t].rounds = rounds;
        pthread_create(&id[t], NULL, fn, &s[t]);
    }
    for (int t = 0; t < threads; t++) pthread_join(id[t], NULL);
}

int main(int argc, char **argv) {
    size_t bytes = 4 * (size_t)l3_bytes(), rounds = 1;
    if (bytes < ((size_t)256 << 20)) bytes = (size_t)256 << 20;
    if (argc > 2 && !strcmp(argv[1], "-b")) { /* a buffer that stays in cache: summed until ~1 GB is read */
        bytes = (strtoull(argv[2], NULL, 10) + 4095) / 4096 * 4096;
        rounds = bytes ? 1 + ((size_t)1 << 30) / bytes : 1;
        argc -= 2, argv += 2;
    }
    size_t n = bytes / sizeof(float);
    float *p = aligned_alloc(64, bytes);
    share s[64];
    if (!p) {
        fprintf(stderr, "bandwidth: cannot allocate %zu MiB\n", bytes >> 20);
        return 1;
    }
    run(fill, p, n, 1, 2, s); /* first touch */
    int counts[16] = {1, 2}, ncounts = 2;
    if (argc > 1)
        for (ncounts = 0; ncounts < argc - 1 && ncounts < 16; ncounts++) counts[ncounts] = atoi(argv[ncounts + 1]);
    for (int c = 0; c < ncounts; c++) {
        int threads = counts[c] < 1 ? 1 : counts[c] > 64 ? 64 : counts[c];
        double best = 0;
        for (int pass = 0; pass < 5; pass++) {
            double t0 = now();
            run(sum, p, n, rounds, threads, s);
            double t = now() - t0;
            if (best == 0 || t < best) best = t;
        }
        double read = (double)(n / threads / BLOCK * BLOCK * threads * sizeof(float)) * rounds;
        printf("%.2f %d %zu\n", read / best / 1e9, threads, bytes >> 20);
    }
    free(p);
    return 0;
}
