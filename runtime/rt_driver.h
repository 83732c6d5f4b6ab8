/* rt_driver.h - the generated program's command line, shared by the files
 * that implement its commands (driver.c, cmd_grad.c, cmd_train.c,
 * cmd_sample.c). */
#ifndef RNNRT_DRIVER_H
#define RNNRT_DRIVER_H
#include "rt_dist.h"
#include "rt_train.h"

/* Which options were given, one bit each. */
enum {
    OPT_TOL = 1 << 0, OPT_SEED = 1 << 1, OPT_LR = 1 << 2, OPT_EPOCHS = 1 << 3, OPT_BATCH = 1 << 4,
    OPT_BPTT = 1 << 5, OPT_CLIP = 1 << 6, OPT_VALID = 1 << 7, OPT_CKPT_EVERY = 1 << 8,
    OPT_LENGTH = 1 << 9, OPT_TEMPERATURE = 1 << 10, OPT_RTOL = 1 << 11,
};

typedef struct rt_args {
    const char *prog, *cmd;
    const char *out, *weights, *input, *target, *expect, *text;
    const char *optimizer, *checkpoint, *resume, *prime, *lengths, *precision;
    double tol, rtol, lr, clip, valid, temperature;
    int64_t seed, epochs, batch, bptt, checkpoint_every, length;
    unsigned given;  /* OPT_* bits */
} rt_args;

/* 0: run a->cmd; 2: a usage error (printed); -1: --help (usage printed) */
int rt_parse_args(int argc, char **argv, rt_args *a);
/* "PROG: message" and a hint to --help, from rank 0; returns 2 */
int rt_usage_error(const rt_args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int rt_fail(const rt_args *a, const char *msg);

int rt_cmd_grad(const rt_model *m, const rt_args *a);
int rt_cmd_train(const rt_model *m, const rt_args *a);
int rt_cmd_sample(const rt_model *m, const rt_args *a);

/* Shared by the commands: run forward over every sequence of x (its
 * lengths, if any, from x->lengths). */
int rt_run_forward(const rt_model *m, const rt_params *p, const rt_data *x, float *out, rt_error *err);
/* --lengths, if given, loaded into l (else l->len is NULL); 2 after a
 * usage error (--lengths of a model without a sequence input), -1 after
 * another error in err. */
int rt_lengths_arg(const rt_model *m, const rt_args *a, rt_lengths *l, rt_error *err);

#endif
