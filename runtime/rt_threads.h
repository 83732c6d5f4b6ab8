/* rt_threads.h - the runtime's worker threads (threads.c). */
#ifndef RT_THREADS_H
#define RT_THREADS_H
#include <stdint.h>

enum { RT_MAX_THREADS = 16 }; /* at most this many threads run a job */

/* Runs tasks [lo, hi) of a job; shares never overlap. */
typedef void rt_task_fn(void *arg, int64_t lo, int64_t hi);

/* How many threads run a job (the pool starts on first use). */
int rt_threads(void);
/* Run tasks 0..ntasks-1, split into one contiguous share per thread when
 * wide is set (the job is worth waking the workers for), else in the
 * calling thread. Returns when every task has run. Called from inside a
 * task of a job that is running on several threads, it runs its tasks in
 * the calling thread. */
void rt_parallel(int64_t ntasks, rt_task_fn *fn, void *arg, int wide);

#endif
