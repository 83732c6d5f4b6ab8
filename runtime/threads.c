/* threads.c - a small pool of worker threads for the matrix products
 * (rt_threads.h). rt_parallel splits a range of independent tasks into one
 * contiguous share per thread; the caller runs the first share itself.
 * Workers spin for a short while between jobs (a training step calls the
 * pool thousands of times a second), then sleep on a condition variable.
 * The thread count comes from $RNNC_THREADS, else the online processors,
 * at most RT_MAX_THREADS. Tasks never split a sum, so results do not
 * depend on the thread count. */
#include "rt_threads.h"
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

enum { RT_MAX_THREADS = 16, SPIN_ROUNDS = 20000 }; /* about a millisecond of pause */

typedef struct Pool {
    int nthreads;
    rt_task_fn *fn;
    void *arg;
    int64_t ntasks;
    atomic_uint generation;  /* bumped for each job */
    atomic_int pending;      /* workers still running the current job */
    atomic_int sleepers;     /* workers waiting on the condition variable */
    pthread_mutex_t lock;
    pthread_cond_t wake;
} Pool;

static Pool pool = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};
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

static void *worker(void *p) {
    int who = (int)(intptr_t)p;
    unsigned seen = 0;
    for (;;) {
        unsigned gen;
        int spins = 0;
        while ((gen = atomic_load_explicit(&pool.generation, memory_order_acquire)) == seen) {
            if (++spins < SPIN_ROUNDS) {
                cpu_relax();
                continue;
            }
            pthread_mutex_lock(&pool.lock);
            atomic_fetch_add(&pool.sleepers, 1); /* before the check: see rt_parallel */
            while (atomic_load(&pool.generation) == seen)
                pthread_cond_wait(&pool.wake, &pool.lock);
            atomic_fetch_sub(&pool.sleepers, 1);
            pthread_mutex_unlock(&pool.lock);
        }
        seen = gen;
        int64_t lo, hi;
        share(pool.ntasks, pool.nthreads, who, &lo, &hi);
        if (lo < hi)
            pool.fn(pool.arg, lo, hi);
        atomic_fetch_sub_explicit(&pool.pending, 1, memory_order_release);
    }
    return NULL;
}

static int thread_count(void) {
    const char *env = getenv("RNNC_THREADS");
    long n = env && *env ? strtol(env, NULL, 10) : sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > RT_MAX_THREADS ? RT_MAX_THREADS : (int)n;
}

static void start_pool(void) {
    pool.nthreads = thread_count();
    for (int i = 1; i < pool.nthreads; i++) {
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&t, &attr, worker, (void *)(intptr_t)i) != 0) {
            pool.nthreads = i; /* fewer threads; still correct */
            pthread_attr_destroy(&attr);
            break;
        }
        pthread_attr_destroy(&attr);
    }
}

int rt_threads(void) {
    pthread_once(&pool_once, start_pool);
    return pool.nthreads;
}

void rt_parallel(int64_t ntasks, rt_task_fn *fn, void *arg, int wide) {
    int n = wide ? rt_threads() : 1;
    if (n == 1 || ntasks < 2) {
        fn(arg, 0, ntasks);
        return;
    }
    pool.fn = fn;
    pool.arg = arg;
    pool.ntasks = ntasks;
    atomic_store_explicit(&pool.pending, n - 1, memory_order_relaxed);
    /* Spinning workers see the new generation; sleeping ones need the
     * lock and a broadcast. A worker counts itself a sleeper before it
     * checks the generation, both sequentially consistent: either it sees
     * the new job, or this sees it as a sleeper and wakes it. */
    atomic_fetch_add(&pool.generation, 1);
    if (atomic_load(&pool.sleepers) > 0) {
        pthread_mutex_lock(&pool.lock);
        pthread_cond_broadcast(&pool.wake);
        pthread_mutex_unlock(&pool.lock);
    }
    int64_t lo, hi;
    share(ntasks, n, 0, &lo, &hi);
    fn(arg, lo, hi);
    for (int spins = 0; atomic_load_explicit(&pool.pending, memory_order_acquire) > 0; spins++)
        if (spins < SPIN_ROUNDS)
            cpu_relax();
        else
            sched_yield(); /* a worker is not running: more threads than free cores */
}
