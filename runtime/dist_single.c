/* dist_single.c - rt_dist.h for a program built without --mpi: one rank,
 * so every collective is the identity and nothing depends on MPI. Started
 * by mpirun anyway, each process runs alone, and the first one warns. */
#include "rt_dist.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Started by mpirun all the same: say so once, from the first process. */
void rt_dist_init(int *argc, char ***argv) {
    const char *size = getenv("OMPI_COMM_WORLD_SIZE"), *rank = getenv("OMPI_COMM_WORLD_RANK");
    if (size && atoi(size) > 1 && rank && atoi(rank) == 0)
        fprintf(stderr, "%s: warning: started as %s processes, but built without --mpi: each runs alone "
                        "(rebuild with rnnc build --mpi to train together)\n", (*argv)[0], size);
    (void)argc;
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
