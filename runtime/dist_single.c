/* dist_single.c - rt_dist.h for a program built without --mpi: one rank,
 * so every collective is the identity and nothing depends on MPI. */
#include "rt_dist.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rt_dist_init(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
}

void rt_dist_finish(void) {}

int rt_dist_rank(void) { return 0; }

int rt_dist_size(void) { return 1; }

void rt_dist_sum(float *buf, int64_t n) {
    (void)buf;
    (void)n;
}

void rt_dist_gather(const float *part, int64_t count, float *all, const int64_t *counts) {
    (void)counts;
    if (all && all != part && count > 0)
        memcpy(all, part, sizeof(float) * (size_t)count);
}

_Noreturn void rt_dist_abort(const char *message) {
    fprintf(stderr, "%s\n", message);
    exit(1);
}
