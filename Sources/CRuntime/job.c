// A piece of preparation on a thread of its own (the root overlay, a
// network namespace), so that the caller's other preparation overlaps it.
#define _GNU_SOURCE
#include "cruntime.h"
#include "internal.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

struct brt_job {
    pthread_t thread;
    int threaded;
    int (*work)(void *);
    void *arg;
    int result;
};

static void *job_main(void *p) {
    struct brt_job *job = p;
    job->result = job->work(job->arg);
    return NULL;
}

struct brt_job *brt_job_begin(int (*work)(void *), void *arg, int inline_if_no_thread) {
    struct brt_job *job = calloc(1, sizeof *job);
    if (!job) return NULL;
    job->work = work;
    job->arg = arg;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 64 << 10);   // the work's buffers: a page or two
    // Off the caller's CPU: a new thread starts queued on its parent's CPU,
    // behind the caller it is meant to overlap, and an idle CPU's
    // balancing was seen leaving it there for a millisecond and more (two
    // CPUs, the other one idle from the CLI's attach on).
    cpu_set_t cpus;
    int here = sched_getcpu();
    if (here >= 0 && sched_getaffinity(0, sizeof cpus, &cpus) == 0 && CPU_ISSET(here, &cpus) && CPU_COUNT(&cpus) > 1) {
        CPU_CLR(here, &cpus);
        pthread_attr_setaffinity_np(&attr, sizeof cpus, &cpus);
    }
    job->threaded = pthread_create(&job->thread, &attr, job_main, job) == 0;
    pthread_attr_destroy(&attr);
    if (!job->threaded) {
        if (!inline_if_no_thread) {
            free(job);
            return NULL;
        }
        job_main(job);
    }
    return job;
}

int brt_job_end(struct brt_job *job) {
    if (!job) return -ENOMEM;
    if (job->threaded) pthread_join(job->thread, NULL);
    int result = job->result;
    free(job);
    return result;
}
