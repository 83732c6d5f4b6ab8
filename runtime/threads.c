/* threads.c - a small pool of worker threads for the matrix products
 * (rt_threads.h). rt_parallel splits a range of independent tasks into one
 * contiguous share per thread (the caller's is the first), each share into
 * a few chunks. A thread runs its own share's chunks from the front, then
 * takes chunks from the back of the others' shares that are still
 * unclaimed: the same thread runs the same tasks step after step (a
 * product's weights stay in that core's cache), a worker that starts late
 * (the hand-off between cores, a sleeping worker, a busy machine) leaves
 * its last chunks to the others instead of making them wait, and a job
 * never waits for a thread that is not running. Chunks are claimed by
 * compare-and-swap on one word per share (the job's generation, the next
 * and the end chunk), each in its own cache line.
 * Workers spin for a short while between jobs (a training step calls the
 * pool thousands of times a second, an inference step at batch 1 once
 * every few microseconds), then sleep on a condition variable. The thread
 * count comes from $RNNC_THREADS, else the online processors (divided
 * among the machine's MPI ranks), at most RT_MAX_THREADS. Tasks never
 * split a sum and each runs exactly once, so results do not depend on the
 * thread count or on which thread runs what. */
#include "rt_threads.h"
#include <pthread.h>
#include <sched.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

enum { SPIN_ROUNDS = 20000 }; /* about a millisecond of pause */

typedef struct Job { /* written by the caller only, between jobs */
    alignas(64) rt_task_fn *fn;
    void *arg;
    int64_t ntasks, grain; /* tasks per chunk */
    int nthreads;
    atomic_uint generation; /* bumped for each job */
} Job;

typedef struct Share { /* one thread's share of the current job */
    alignas(64) _Atomic uint64_t range; /* generation << 32 | next chunk << 16 | end chunk */
} Share;

typedef struct Finished { /* chunks run so far in the current job */
    alignas(64) _Atomic int64_t chunks;
} Finished;

static Job job;
static int pool_threads = 1; /* set before the first job */
static Share shares[RT_MAX_THREADS];
static Finished finished;
static atomic_int sleepers; /* workers waiting on the condition variable */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static pthread_once_t pool_once = PTHREAD_ONCE_INIT;

static void share(int64_t ntasks, int nthreads, int who, int64_t *lo, int64_t *hi) {
    *lo = ntasks * who / nthreads;
    *hi = ntasks * (who + 1) / nthreads;
}

static uint64_t range_word(unsigned gen, int64_t next, int64_t end) {
    return (uint64_t)gen << 32 | (uint64_t)next << 16 | (uint64_t)end;
}

/* Claim a chunk of share who in job gen, from its front or its back:
 * the chunk's index, or -1 when none is left (or the job is another). */
static int64_t claim(int who, unsigned gen, bool front) {
    uint64_t w = atomic_load_explicit(&shares[who].range, memory_order_acquire);
    for (;;) {
        int64_t next = (int64_t)(w >> 16 & 0xffff), end = (int64_t)(w & 0xffff);
        if ((unsigned)(w >> 32) != gen || next >= end)
            return -1;
        uint64_t taken = front ? range_word(gen, next + 1, end) : range_word(gen, next, end - 1);
        if (atomic_compare_exchange_weak(&shares[who].range, &w, taken))
            return front ? next : end - 1;
    }
}

static _Thread_local bool in_task; /* running a chunk: a nested job runs inline */

static void run_chunk(int who, int64_t chunk) {
    int64_t lo, hi;
    share(job.ntasks, job.nthreads, who, &lo, &hi);
    int64_t from = lo + chunk * job.grain, to = from + job.grain < hi ? from + job.grain : hi;
    in_task = true;
    job.fn(job.arg, from, to);
    in_task = false;
}

/* Thread who's part of job gen: its own share from the front, then what
 * is left of the others' from their backs. Returns the chunks it ran. */
static int64_t run_job(int who, unsigned gen) {
    int64_t ran = 0, c;
    int n = pool_threads; /* every wide job's thread count; job.nthreads is read only after a claim */
    while ((c = claim(who, gen, true)) >= 0)
        run_chunk(who, c), ran++;
    for (int k = 1; k < n; k++)
        while ((c = claim((who + k) % n, gen, false)) >= 0)
            run_chunk((who + k) % n, c), ran++;
    return ran;
}

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* The next generation after seen: spin, then sleep until it comes. */
static unsigned next_job(unsigned seen) {
    unsigned gen;
    for (int spins = 0; (gen = atomic_load_explicit(&job.generation, memory_order_acquire)) == seen; spins++) {
        if (spins < SPIN_ROUNDS) {
            cpu_relax();
            continue;
        }
        pthread_mutex_lock(&lock);
        atomic_fetch_add(&sleepers, 1); /* before the check: see rt_parallel */
        while (atomic_load(&job.generation) == seen)
            pthread_cond_wait(&wake, &lock);
        atomic_fetch_sub(&sleepers, 1);
        pthread_mutex_unlock(&lock);
    }
    return gen;
}

/* A worker reads the job's fields only inside run_chunk, after claiming a
 * chunk of that very job: the caller does not write the next job's fields
 * until every chunk of this one has run. */
static void *worker(void *p) {
    int who = (int)(intptr_t)p;
    for (unsigned seen = 0;;) {
        seen = next_job(seen);
        int64_t ran = run_job(who, seen);
        if (ran)
            atomic_fetch_add_explicit(&finished.chunks, ran, memory_order_release);
    }
    return NULL;
}

/* $RNNC_THREADS, else the online processors shared among the ranks that
 * mpirun started on this machine. */
static int thread_count(void) {
    const char *env = getenv("RNNC_THREADS"), *local = getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
    long ranks = local && *local ? strtol(local, NULL, 10) : 1;
    long n = env && *env ? strtol(env, NULL, 10) : sysconf(_SC_NPROCESSORS_ONLN) / (ranks > 1 ? ranks : 1);
    return n < 1 ? 1 : n > RT_MAX_THREADS ? RT_MAX_THREADS : (int)n;
}

static void start_pool(void) {
    int n = thread_count();
    for (int i = 1; i < n; i++) {
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        int failed = pthread_create(&t, &attr, worker, (void *)(intptr_t)i) != 0;
        pthread_attr_destroy(&attr);
        if (failed) { /* fewer threads; still correct */
            n = i;
            break;
        }
    }
    pool_threads = n;
}

int rt_threads(void) {
    pthread_once(&pool_once, start_pool);
    return pool_threads;
}

void rt_parallel(int64_t ntasks, rt_task_fn *fn, void *arg, int wide) {
    int n = wide ? rt_threads() : 1;
    if (n == 1 || ntasks < 2 || in_task) {
        fn(arg, 0, ntasks);
        return;
    }
    int64_t per = (ntasks + n - 1) / n, grain = (per + 3) / 4; /* at most 4 chunks per share */
    job.fn = fn;
    job.arg = arg;
    job.ntasks = ntasks;
    job.nthreads = n;
    job.grain = grain < 4 ? 4 : grain; /* a gemm task group at one or two rows is 4 strips */
    unsigned gen = atomic_load(&job.generation) + 1;
    int64_t chunks = 0;
    for (int who = 0; who < n; who++) {
        int64_t lo, hi;
        share(ntasks, n, who, &lo, &hi);
        int64_t c = (hi - lo + job.grain - 1) / job.grain;
        chunks += c;
        atomic_store_explicit(&shares[who].range, range_word(gen, 0, c), memory_order_relaxed);
    }
    atomic_store_explicit(&finished.chunks, 0, memory_order_relaxed);
    /* Publishing the generation releases the fields above. Spinning
     * workers see it; sleeping ones need the lock and a broadcast. A
     * worker counts itself a sleeper before it checks the generation,
     * both sequentially consistent: either it sees the new job, or this
     * sees it as a sleeper and wakes it. */
    atomic_store(&job.generation, gen);
    if (atomic_load(&sleepers) > 0) {
        pthread_mutex_lock(&lock);
        pthread_cond_broadcast(&wake);
        pthread_mutex_unlock(&lock);
    }
    int64_t ran = run_job(0, gen);
    for (int spins = 0; atomic_load_explicit(&finished.chunks, memory_order_acquire) + ran < chunks; spins++)
        if (spins < SPIN_ROUNDS)
            cpu_relax();
        else
            sched_yield(); /* a worker was preempted in the middle of a chunk */
}
