/* rt_options.c - one-line messages for the arguments getopt_long rejects
 * (rt_options.h). */
#include "rt_options.h"
#include <stdio.h>
#include <string.h>

/* The long options that the name (before any '=') is a prefix of, listed
 * in buf; how many. */
static int prefix_matches(const char *arg, const struct option *longs, char *buf, size_t n) {
    size_t len = strcspn(arg, "=");
    int count = 0;
    buf[0] = '\0';
    for (const struct option *o = longs; o->name; o++) {
        if (strncmp(o->name, arg, len))
            continue;
        size_t k = strlen(buf);
        snprintf(buf + k, n - k, "%s--%s", count ? ", " : "", o->name);
        count++;
    }
    return count;
}

const char *rt_option_problem(int c, char **argv, const struct option *longs, char *buf, size_t n) {
    const char *arg = argv[optind - 1];
    if (c == ':') {
        if (arg[0] == '-' && arg[1] == '-')
            snprintf(buf, n, "option '%.*s' needs a value", (int)strcspn(arg, "="), arg);
        else
            snprintf(buf, n, "option '-%c' needs a value", optopt);
        return buf;
    }
    if (optopt && !(arg[0] == '-' && arg[1] == '-')) { /* a short option */
        snprintf(buf, n, "unknown option '-%c'", optopt);
        return buf;
    }
    char names[512];
    if (arg[0] == '-' && arg[1] == '-' && prefix_matches(arg + 2, longs, names, sizeof names) > 1)
        snprintf(buf, n, "ambiguous option '%.*s': it could be %s", (int)strcspn(arg, "="), arg, names);
    else if (strchr(arg, '=') && arg[0] == '-' && arg[1] == '-' && prefix_matches(arg + 2, longs, names, sizeof names))
        snprintf(buf, n, "option '%.*s' takes no value", (int)strcspn(arg, "="), arg);
    else
        snprintf(buf, n, "unknown option '%.*s'", (int)strcspn(arg, "="), arg);
    return buf;
}
