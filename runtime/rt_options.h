/* rt_options.h - what went wrong when getopt_long rejects an argument, in
 * one line, for the generated program's command line (args.c) and rnnc's
 * (compiler/options.c) alike: an unknown option, an ambiguous prefix of
 * several (naming them), a missing value. */
#ifndef RNNRT_OPTIONS_H
#define RNNRT_OPTIONS_H
#include <getopt.h>
#include <stddef.h>

/* After getopt_long (with an optstring starting with ':') returned c, '?'
 * or ':', for argv[optind - 1]: the message, in buf. */
const char *rt_option_problem(int c, char **argv, const struct option *longs, char *buf, size_t n);

#endif
