/* rt_dist.h - the processes of a data-parallel run (docs/mpi.md).
 * A program built with `rnnc build --mpi` links dist_mpi.c (Open MPI);
 * every other program gets dist_single.c from librnnrt.a: one rank, no MPI.
 * Every call is collective (all ranks make it, in the same order) except
 * rt_dist_rank, rt_dist_size and rt_dist_abort. */
#ifndef RNNRT_DIST_H
#define RNNRT_DIST_H
#include <stdint.h>

/* Start (from rt_main, before anything else) and finish. */
void rt_dist_init(int *argc, char ***argv);
void rt_dist_finish(void);
int rt_dist_rank(void);
int rt_dist_size(void);
/* buf[0..n) becomes the sum over ranks of every rank's buf, the same bits
 * on every rank. */
void rt_dist_sum(float *buf, int64_t n);
/* Rank 0 receives every rank's part (n[r] floats from rank r) one after
 * the other in rank order in all; the others pass all = NULL. */
void rt_dist_gather(const float *part, int64_t count, float *all, const int64_t *counts);
/* Print "rank R: message" (when there are ranks) and end every rank
 * with status 1: for a failure that only this rank saw. */
_Noreturn void rt_dist_abort(const char *message);

/* The share of `total` items that rank `rank` of `size` takes, in rank
 * order: [*first, *first + *count), floor or ceiling of total / size. */
static inline void rt_dist_share_of(int64_t total, int rank, int size, int64_t *first, int64_t *count) {
    *first = total * rank / size;
    *count = total * (rank + 1) / size - *first;
}

#endif
