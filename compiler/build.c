/* build.c - compile generated C into an executable.
 * The runtime (librnnrt.a and rnnrt.h) is found, in order, in
 *   $RNNC_RUNTIME                          a directory holding both
 *   DIR/librnnrt.a, DIR/include/rnnrt.h    DIR = rnnc's directory (build tree)
 *   DIR/../lib/rnnc/, DIR/../include/rnnc/ an installed rnnc
 * The compiler is $CC (default cc), split at spaces, given -std=c99, the
 * -O level, -march=native -ffp-contract=off (-mprefer-vector-width=512 on
 * x86-64), then $RNNC_CFLAGS (split at spaces). The C source is written to
 * OUTPUT.rnnc.c (with --backend llvm, LLVM writes the object OUTPUT.rnnc.o
 * and $CC only links it), a fixed name, removed after a successful build,
 * so the same input and compiler give the same executable. With --mpi the
 * compiler is $MPICC (default mpicc, which wraps cc and adds MPI's flags)
 * and the runtime's MPI layer, rt_dist_mpi.o beside librnnrt.a, comes
 * before the library, so that it replaces the single-process one. */
#include "build.h"
#include "emit_c.h"
#include "emit_llvm.h"
#include "util.h"
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

enum { MAX_ARGS = 64 };

static bool exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

/* The directory rnnc runs from: /proc/self/exe, else argv[0]. */
static void self_dir(const char *argv0, char *dir, size_t n) {
    ssize_t len = readlink("/proc/self/exe", dir, n - 1);
    if (len <= 0) {
        snprintf(dir, n, "%s", argv0);
        len = (ssize_t)strlen(dir);
    }
    dir[len] = 0;
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = 0;
    else
        snprintf(dir, n, ".");
}

static bool find_runtime(const char *argv0, char *lib, char *inc, size_t n) {
    char dir[PATH_MAX];
    const char *env = getenv("RNNC_RUNTIME");
    if (env && *env) {
        snprintf(lib, n, "%s/librnnrt.a", env);
        snprintf(inc, n, "%s", env);
        return exists(lib);
    }
    self_dir(argv0, dir, sizeof dir);
    snprintf(lib, n, "%s/librnnrt.a", dir);
    snprintf(inc, n, "%s/include", dir);
    if (exists(lib))
        return true;
    snprintf(lib, n, "%s/../lib/rnnc/librnnrt.a", dir);
    snprintf(inc, n, "%s/../include/rnnc", dir);
    return exists(lib);
}

enum { FIXED_ARGS = 16 }; /* room for build's own arguments and the NULL (14 today) */

/* Append the space-separated words of s to argv; false when they do not
 * all fit. */
static bool split_words(char *s, char **argv, int *argc) {
    for (char *w = strtok(s, " \t"); w; w = strtok(NULL, " \t")) {
        if (*argc >= MAX_ARGS - FIXED_ARGS)
            return false;
        argv[(*argc)++] = w;
    }
    return true;
}

static int run(char **argv) {
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        execvp(argv[0], argv);
        fprintf(stderr, "rnnc: error: cannot run the C compiler '%s': %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int build_program(Arena *a, const IrProgram *p, const BuildOptions *o) {
    char lib[PATH_MAX], inc[PATH_MAX + 2];
    if (!find_runtime(o->argv0, lib, inc + 2, sizeof lib)) {
        fprintf(stderr, "rnnc: error: cannot find the runtime library librnnrt.a (set RNNC_RUNTIME to its directory)\n");
        return 1;
    }
    memcpy(inc, "-I", 2);
    char *mpi_obj = NULL;
    if (o->mpi) {
        mpi_obj = arena_strdup(a, lib);
        strcpy(strrchr(mpi_obj, '/') + 1, "rt_dist_mpi.o"); /* rt_dist_mpi.o is no longer than librnnrt.a */
        if (!exists(mpi_obj)) {
            fprintf(stderr, "rnnc: error: --mpi needs %s, which this rnnc's runtime was built without: install Open MPI "
                            "(Debian: libopenmpi-dev openmpi-bin) and rebuild rnnc\n", mpi_obj);
            return 1;
        }
    }
    char *source = arena_printf(a, "%s.rnnc.%s", o->output, o->llvm ? "o" : "c");
    if (o->llvm) {
        LlvmOptions lo = {o->opt_level, true};
        if (llvm_emit_object(a, p, &lo, source))
            return 1;
    } else {
        FILE *f = fopen(source, "w");
        if (!f) {
            fprintf(stderr, "rnnc: error: cannot write '%s': %s\n", source, strerror(errno));
            return 1;
        }
        emitc_program(f, a, p);
        if (fclose(f)) {
            fprintf(stderr, "rnnc: error: cannot write '%s'\n", source);
            return 1;
        }
    }
    const char *cc_env = getenv(o->mpi ? "MPICC" : "CC"), *flags_env = getenv("RNNC_CFLAGS");
    char *cc = arena_strdup(a, cc_env && *cc_env ? cc_env : o->mpi ? "mpicc" : "cc");
    char *flags = arena_strdup(a, flags_env ? flags_env : "");
    char opt[8];
    snprintf(opt, sizeof opt, "-O%d", o->opt_level);
    char *argv[MAX_ARGS];
    int argc = 0;
    bool fits = split_words(cc, argv, &argc);
    argv[argc++] = "-std=c99";
    argv[argc++] = opt;
    /* for this machine's vector units, as the LLVM backend and the runtime's
     * kernels are; never contracting a * b + c, so every backend and
     * instruction set rounds the same */
    argv[argc++] = "-march=native";
    argv[argc++] = "-ffp-contract=off";
#if defined(__x86_64__)
    argv[argc++] = "-mprefer-vector-width=512"; /* where there is AVX-512, the elementwise loops use all of it */
#endif
    fits = split_words(flags, argv, &argc) && fits;
    if (!fits) {
        fprintf(stderr, "rnnc: error: $CC and $RNNC_CFLAGS hold more than %d words together\n", MAX_ARGS - FIXED_ARGS);
        remove(source);
        return 1;
    }
    argv[argc++] = inc;
    argv[argc++] = "-o";
    argv[argc++] = (char *)o->output;
    argv[argc++] = source;
    if (mpi_obj)
        argv[argc++] = mpi_obj;
    argv[argc++] = lib;
    argv[argc++] = "-lm";
    argv[argc++] = "-pthread";
    argv[argc] = NULL;
    int rc = run(argv);
    if (rc != 0) {
        fprintf(stderr, "rnnc: error: the C compiler failed (exit %d); its input is kept in '%s'\n", rc, source);
        return 1;
    }
    remove(source);
    return 0;
}
