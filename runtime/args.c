/* args.c - parse the generated program's command line into rt_args: one
 * command word and options from a table, through getopt_long (so
 * --name VALUE, --name=VALUE and unambiguous prefixes all work). */
#include "rt_driver.h"
#include "rt_options.h"
#include <stdarg.h>
#include <stdbool.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Each command's usage line, by command word. */
static const char *const usages[][2] = {
    {"info", "info"},
    {"init", "init    [--seed N] -o W.safetensors"},
    {"forward", "forward --weights W --input X.npy [--lengths L.npy] [--precision fp32|bf16] (-o Y.npy | "
                "--expect REF.npy [--tol F | --rtol F])"},
    {"eval", "eval    --weights W --input X.npy --target T.npy [--lengths L.npy]"},
    {"grad", "grad    --weights W --input X.npy --target T.npy [--lengths L.npy] (-o G.safetensors | "
             "--expect REF.safetensors [--tol F])"},
    {"train", "train   [--weights W | --seed N] (--input X.npy --target T.npy [--lengths L.npy] | --text FILE)\n"
              "                -o W.safetensors [--optimizer sgd|adam] [--lr F] [--epochs N] [--batch N]\n"
              "                [--bptt N] [--clip F] [--valid F] [--checkpoint PATH] [--checkpoint-every N]\n"
              "                [--resume CKPT]"},
    {"sample", "sample  --weights W [--prime TEXT] [--length N] [--temperature F] [--seed N]"},
};

typedef enum { ARG_STR, ARG_REAL, ARG_INT } ArgKind;

typedef struct Option {
    const char *flag;   /* the long name, or "o" for -o */
    ArgKind kind;
    size_t offset;
    unsigned bit;
} Option;

#define STR(flag, field) {flag, ARG_STR, offsetof(rt_args, field), 0}
static const Option options[] = {
    STR("o", out), STR("weights", weights), STR("input", input), STR("target", target),
    STR("expect", expect), STR("text", text), STR("optimizer", optimizer),
    STR("checkpoint", checkpoint), STR("resume", resume), STR("prime", prime), STR("lengths", lengths),
    STR("precision", precision),
    {"tol", ARG_REAL, offsetof(rt_args, tol), OPT_TOL},
    {"rtol", ARG_REAL, offsetof(rt_args, rtol), OPT_RTOL},
    {"lr", ARG_REAL, offsetof(rt_args, lr), OPT_LR},
    {"clip", ARG_REAL, offsetof(rt_args, clip), OPT_CLIP},
    {"valid", ARG_REAL, offsetof(rt_args, valid), OPT_VALID},
    {"temperature", ARG_REAL, offsetof(rt_args, temperature), OPT_TEMPERATURE},
    {"seed", ARG_INT, offsetof(rt_args, seed), OPT_SEED},
    {"epochs", ARG_INT, offsetof(rt_args, epochs), OPT_EPOCHS},
    {"batch", ARG_INT, offsetof(rt_args, batch), OPT_BATCH},
    {"bptt", ARG_INT, offsetof(rt_args, bptt), OPT_BPTT},
    {"checkpoint-every", ARG_INT, offsetof(rt_args, checkpoint_every), OPT_CKPT_EVERY},
    {"length", ARG_INT, offsetof(rt_args, length), OPT_LENGTH},
};
enum { NOPTIONS = sizeof options / sizeof *options, OPT_HELP_INDEX = NOPTIONS };

static const char *usage_of(const char *cmd) {
    for (size_t i = 0; cmd && i < sizeof usages / sizeof *usages; i++)
        if (!strcmp(usages[i][0], cmd))
            return usages[i][1];
    return NULL;
}

/* The usage of cmd, or of every command. */
static void print_usage(FILE *out, const char *prog, const char *cmd) {
    const char *one = usage_of(cmd);
    if (one) {
        fprintf(out, "usage: %s %s\n", prog, one);
        return;
    }
    for (size_t i = 0; i < sizeof usages / sizeof *usages; i++)
        fprintf(out, "%s %s %s\n", i ? "      " : "usage:", prog, usages[i][1]);
    fprintf(out, "\nOptions take their value as --name VALUE or --name=VALUE; an unambiguous prefix of a\n"
                 "name will do. '%s COMMAND --help' shows one command's usage.\n", prog);
}

/* Across ranks every rank meets the same usage error: rank 0 says it. */
int rt_usage_error(const rt_args *a, const char *fmt, ...) {
    if (rt_dist_rank() != 0)
        return 2;
    fprintf(stderr, "%s: ", a->prog);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(%s%s%s --help shows the usage)\n", a->prog, usage_of(a->cmd) ? " " : "",
            usage_of(a->cmd) ? a->cmd : "");
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
            return rt_usage_error(a, o->flag[1] ? "--%s takes a number, not '%s'" : "-%s takes a number, not '%s'",
                                  o->flag, v);
        *(double *)((char *)a + o->offset) = d;
    } else {
        long long n = strtoll(v, &end, 10);
        if (!*v || *end || errno || n < 0)
            return rt_usage_error(a, "--%s takes a whole number >= 0, not '%s'", o->flag, v);
        *(int64_t *)((char *)a + o->offset) = n;
    }
    a->given |= o->bit;
    return 0;
}

/* getopt_long's table, built from options[]. */
static void long_options(struct option *longs) {
    for (int i = 0; i < NOPTIONS; i++)
        longs[i] = (struct option){options[i].flag, required_argument, NULL, i};
    longs[NOPTIONS] = (struct option){"help", no_argument, NULL, OPT_HELP_INDEX};
    longs[NOPTIONS + 1] = (struct option){0, 0, 0, 0};
}

/* Returns 0 to run a->cmd, 2 after a usage error, or -1 after printing
 * the usage for --help. */
int rt_parse_args(int argc, char **argv, rt_args *a) {
    *a = (rt_args){.prog = argv[0], .seed = 1};
    struct option longs[NOPTIONS + 2];
    long_options(longs);
    bool help = false;
    char msg[RT_ERR_LEN];
    opterr = 0;
    optind = 1;
    for (int c, index; (c = getopt_long(argc, argv, ":o:h", longs, &index)) != -1;) {
        if (c == '?' || c == ':')
            return rt_usage_error(a, "%s", rt_option_problem(c, argv, longs, msg, sizeof msg));
        if (c == 'h' || c == OPT_HELP_INDEX) {
            help = true;
            continue;
        }
        int rc = set_option(a, &options[c == 'o' ? 0 : c], optarg);
        if (rc)
            return rc;
    }
    for (int i = optind; i < argc; i++) {
        if (a->cmd && !help)
            return rt_usage_error(a, "unexpected argument '%s'", argv[i]);
        a->cmd = a->cmd ? a->cmd : argv[i];
    }
    if (help) {
        if (rt_dist_rank() == 0)
            print_usage(stdout, a->prog, a->cmd);
        return -1;
    }
    if (a->cmd && !usage_of(a->cmd))
        return rt_usage_error(a, "unknown command '%s' (info, init, forward, eval, grad, train or sample)", a->cmd);
    return a->cmd ? 0 : rt_usage_error(a, "%s", "no command given");
}
