/* dist_mpi.c - rt_dist.h over MPI (Open MPI), linked into programs built
 * with `rnnc build --mpi` in place of dist_single.c. Started without
 * mpirun, MPI_Init makes a world of one rank, so the program behaves as
 * N = 1. A rank that dies takes the job down: MPI's default error handler
 * aborts every rank when a peer disappears, and mpirun exits non-zero. */
#include "rt_dist.h"
#include <limits.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

static int my_rank, world_size = 1;

void rt_dist_init(int *argc, char ***argv) {
    int started = 0;
    MPI_Initialized(&started);
    if (!started)
        MPI_Init(argc, argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &my_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &world_size);
}

void rt_dist_finish(void) {
    int ended = 0;
    MPI_Finalized(&ended);
    if (!ended)
        MPI_Finalize();
}

int rt_dist_rank(void) { return my_rank; }

int rt_dist_size(void) { return world_size; }

/* MPI counts are ints: larger buffers go in pieces. */
enum { PIECE = INT_MAX / 2 };

void rt_dist_sum(float *buf, int64_t n) {
    if (world_size == 1)
        return;
    for (int64_t at = 0; at < n; at += PIECE) {
        int count = n - at < PIECE ? (int)(n - at) : PIECE;
        MPI_Allreduce(MPI_IN_PLACE, buf + at, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    }
}

void rt_dist_gather(const float *part, int64_t count, float *all, const int64_t *counts) {
    int *n = NULL, *at = NULL;
    if (my_rank == 0) {
        n = malloc(sizeof(int) * (size_t)world_size);
        at = malloc(sizeof(int) * (size_t)world_size);
        int64_t total = 0;
        for (int r = 0; n && at && r < world_size; r++) {
            n[r] = (int)counts[r];
            at[r] = (int)total;
            total += counts[r];
        }
        if (!n || !at || total > INT_MAX)
            rt_dist_abort("the carried states are too large to gather in one message");
    } else if (count > INT_MAX) {
        rt_dist_abort("the carried states are too large to gather in one message");
    }
    MPI_Gatherv(part, (int)count, MPI_FLOAT, all, n, at, MPI_FLOAT, 0, MPI_COMM_WORLD);
    free(n);
    free(at);
}

_Noreturn void rt_dist_abort(const char *message) {
    if (world_size > 1)
        fprintf(stderr, "rank %d: %s\n", my_rank, message);
    else
        fprintf(stderr, "%s\n", message);
    fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, 1);
    exit(1);
}
