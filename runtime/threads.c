/* threads.c - a small pool of worker threads for the matrix products
 * (rt_threads.h). rt_parallel splits a range of independent tasks into one
 * contiguous share per thread; the caller runs the first share itself.
 * Workers spin for a short while between jobs (a training step calls the
 * pool thousands of times a second, an inference step at batch 1 once
 * every few microseconds), then sleep on a condition variable.
 * A job crosses between cores in two cache lines: the caller writes the
 * job's line (description and generation), each worker its own line (the
 * last generation it finished), so a job costs a round trip, not a tug of
 * war over shared counters. The thread count comes from $RNNC_THREADS,
 * else the online processors (divided among the machine's MPI ranks), at
 * most RT_MAX_THREADS. Tasks never split a
 * sum, so results do not depend on the thread count. */
#include "rt_threads.h"
#include <pthread.h>
#include <sched.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

enum { RT_MAX_THREADS = 16, SPIN_ROUNDS = 20000 }; /* about a millisecond of pause */

typedef struct Job { /* written by the caller only */
    alignas(64) rt_task_fn *fn;
    void *arg;
    int64_t ntasks;
    int nthreads;
    atomic_uint generation; /* bumped for each job */
} Job;

typedef struct Done { /* written by one worker only */
    alignas(64) atomic_uint generation; /* of the last job it finished */
} Done;

static Job job;
static Done done[RT_MAX_THREADS];
static atomic_int sleepers; /* workers waiting on the condition variable */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static pthread_once_t pool_once = PTHREAD_ONCE_INIT;

static void share(int64_t ntasks, int nthreads, int who, int64_t *lo, int64_t *hi) {
    *lo = ntasks * who / nthreads;
    *hi = ntasks * (who + 1) / nthreads;
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

static void *worker(void *p) {
    int who = (int)(intptr_t)p;
    for (unsigned seen = 0;;) {
        seen = next_job(seen);
        int64_t lo, hi;
        share(job.ntasks, job.nthreads, who, &lo, &hi);
        if (lo < hi)
            job.fn(job.arg, lo, hi);
        atomic_store_explicit(&done[who].generation, seen, memory_order_release);
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

static int pool_threads = 1;

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
    if (n == 1 || ntasks < 2) {
        fn(arg, 0, ntasks);
        return;
    }
    job.fn = fn;
    job.arg = arg;
    job.ntasks = ntasks;
    job.nthreads = n;
    /* Spinning workers see the new generation; sleeping ones need the
     * lock and a broadcast. A worker counts itself a sleeper before it
     * checks the generation, both sequentially consistent: either it sees
     * the new job, or this sees it as a sleeper and wakes it. */
    unsigned gen = atomic_fetch_add(&job.generation, 1) + 1;
    if (atomic_load(&sleepers) > 0) {
        pthread_mutex_lock(&lock);
        pthread_cond_broadcast(&wake);
        pthread_mutex_unlock(&lock);
    }
    int64_t lo, hi;
    share(ntasks, n, 0, &lo, &hi);
    fn(arg, lo, hi);
    for (int who = 1; who < n; who++)
        for (int spins = 0; atomic_load_explicit(&done[who].generation, memory_order_acquire) != gen; spins++)
            if (spins < SPIN_ROUNDS)
                cpu_relax();
            else
                sched_yield(); /* a worker is not running: more threads than free cores */
}
