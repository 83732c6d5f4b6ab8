/* args.c - parse the generated program's command line into rt_args:
 * one command word and options from a table (SPEC section 5). */
#include "rt_driver.h"
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: %1$s info\n"
    "       %1$s init    [--seed N] -o W.safetensors\n"
    "       %1$s forward --weights W --input X.npy (-o Y.npy | --expect REF.npy [--tol F | --rtol F])\n"
    "       %1$s eval    --weights W --input X.npy --target T.npy\n"
    "       %1$s grad    --weights W --input X.npy --target T.npy (-o G.safetensors | --expect REF.safetensors [--tol F])\n"
    "       %1$s train   [--weights W | --seed N] (--input X.npy --target T.npy | --text FILE)\n"
    "                    -o W.safetensors [--optimizer sgd|adam --lr F --epochs N --batch N\n"
    "                    --bptt N --clip F --valid F --checkpoint PATH --checkpoint-every N\n"
    "                    --resume CKPT]\n"
    "       %1$s sample  --weights W [--prime TEXT] [--length N] [--temperature F] [--seed N]\n";

typedef enum { ARG_STR, ARG_REAL, ARG_INT } ArgKind;

typedef struct Option {
    const char *flag;
    ArgKind kind;
    size_t offset;
    unsigned bit;
} Option;

#define STR(flag, field) {flag, ARG_STR, offsetof(rt_args, field), 0}
static const Option options[] = {
    STR("-o", out), STR("--weights", weights), STR("--input", input), STR("--target", target),
    STR("--expect", expect), STR("--text", text), STR("--optimizer", optimizer),
    STR("--checkpoint", checkpoint), STR("--resume", resume), STR("--prime", prime),
    {"--tol", ARG_REAL, offsetof(rt_args, tol), OPT_TOL},
    {"--rtol", ARG_REAL, offsetof(rt_args, rtol), OPT_RTOL},
    {"--lr", ARG_REAL, offsetof(rt_args, lr), OPT_LR},
    {"--clip", ARG_REAL, offsetof(rt_args, clip), OPT_CLIP},
    {"--valid", ARG_REAL, offsetof(rt_args, valid), OPT_VALID},
    {"--temperature", ARG_REAL, offsetof(rt_args, temperature), OPT_TEMPERATURE},
    {"--seed", ARG_INT, offsetof(rt_args, seed), OPT_SEED},
    {"--epochs", ARG_INT, offsetof(rt_args, epochs), OPT_EPOCHS},
    {"--batch", ARG_INT, offsetof(rt_args, batch), OPT_BATCH},
    {"--bptt", ARG_INT, offsetof(rt_args, bptt), OPT_BPTT},
    {"--checkpoint-every", ARG_INT, offsetof(rt_args, checkpoint_every), OPT_CKPT_EVERY},
    {"--length", ARG_INT, offsetof(rt_args, length), OPT_LENGTH},
};

/* Across ranks every rank meets the same usage error: rank 0 says it. */
int rt_usage_error(const rt_args *a, const char *msg, const char *arg) {
    if (rt_dist_rank() != 0)
        return 2;
    fprintf(stderr, "%s: ", a->prog);
    fprintf(stderr, msg, arg);
    fputc('\n', stderr);
    fprintf(stderr, usage, a->prog);
    return 2;
}

int rt_fail(const rt_args *a, const char *msg) {
    if (rt_dist_rank() != 0)
        return 1;
    fprintf(stderr, "%s: error: %s\n", a->prog, msg);
    return 1;
}

static int set_option(rt_args *a, const Option *o, const char *v) {
    char *end;
    errno = 0;
    if (o->kind == ARG_STR) {
        *(const char **)((char *)a + o->offset) = v;
    } else if (o->kind == ARG_REAL) {
        double d = strtod(v, &end);
        if (!*v || *end || errno || d != d)
            return rt_usage_error(a, "bad number '%s'", v);
        *(double *)((char *)a + o->offset) = d;
    } else {
        long long n = strtoll(v, &end, 10);
        if (!*v || *end || errno || n < 0)
            return rt_usage_error(a, "expected a whole number >= 0, not '%s'", v);
        *(int64_t *)((char *)a + o->offset) = n;
    }
    a->given |= o->bit;
    return 0;
}

int rt_parse_args(int argc, char **argv, rt_args *a) {
    *a = (rt_args){.prog = argv[0], .seed = 1};
    for (int i = 1; i < argc; i++) {
        const char *f = argv[i];
        const Option *o = NULL;
        for (size_t k = 0; k < sizeof options / sizeof *options; k++)
            if (!strcmp(options[k].flag, f))
                o = &options[k];
        if (!o) {
            if (f[0] == '-')
                return rt_usage_error(a, "unknown option '%s'", f);
            if (a->cmd)
                return rt_usage_error(a, "unexpected argument '%s'", f);
            a->cmd = f;
            continue;
        }
        if (i + 1 >= argc)
            return rt_usage_error(a, "option '%s' needs a value", f);
        int rc = set_option(a, o, argv[++i]);
        if (rc)
            return rc;
    }
    return a->cmd ? 0 : rt_usage_error(a, "%s", "no command given");
}

void rt_print_usage(const char *prog) { printf(usage, prog); }
