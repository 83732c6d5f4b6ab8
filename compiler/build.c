/* build.c - compile generated C into an executable.
 * The runtime (librnnrt.a and rnnrt.h) is found under $RNNC_RUNTIME, else
 * under rnnc's own directory DIR, else under DIR/.. (an installed rnnc),
 * in any of three layouts (see layouts below).
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
#include "rt_file.h"
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

/* The runtime's three layouts under a directory D: a build tree
 * (D/librnnrt.a, D/include/rnnrt.h), an install prefix (D/lib/rnnc/,
 * D/include/rnnc/) and one flat directory (D/librnnrt.a, D/rnnrt.h). */
static const char *const layouts[][2] = {
    {"librnnrt.a", "include"}, {"lib/rnnc/librnnrt.a", "include/rnnc"}, {"librnnrt.a", "."}};

/* Try each layout under dir; fill lib and inc with the first whose files
 * both exist, else append what was tried to tried. */
static bool find_in(const char *dir, char *lib, char *inc, size_t n, char *tried, size_t tn) {
    for (size_t i = 0; i < sizeof layouts / sizeof *layouts; i++) {
        char header[PATH_MAX + 16];
        snprintf(lib, n, "%s/%s", dir, layouts[i][0]);
        snprintf(inc, n, "%s/%s", dir, layouts[i][1]);
        snprintf(header, sizeof header, "%s/rnnrt.h", inc);
        if (exists(lib) && exists(header))
            return true;
        size_t k = strlen(tried);
        snprintf(tried + k, tn - k, "\n  %s with %s", lib, header);
    }
    return false;
}

/* $RNNC_RUNTIME, else rnnc's own directory and its parent (an installed
 * rnnc in PREFIX/bin). */
static bool find_runtime(const char *argv0, char *lib, char *inc, size_t n) {
    char dir[PATH_MAX], tried[8 * PATH_MAX] = "";
    const char *env = getenv("RNNC_RUNTIME");
    bool found;
    if (env && *env) {
        found = find_in(env, lib, inc, n, tried, sizeof tried);
    } else {
        self_dir(argv0, dir, sizeof dir);
        found = find_in(dir, lib, inc, n, tried, sizeof tried);
        size_t k = strlen(dir);
        snprintf(dir + k, sizeof dir - k, "/..");
        found = found || find_in(dir, lib, inc, n, tried, sizeof tried);
    }
    if (!found)
        fprintf(stderr, "rnnc: error: cannot find the runtime (librnnrt.a and rnnrt.h); looked for%s\n"
                        "  set RNNC_RUNTIME to a directory holding them: a build directory, an install prefix, or one "
                        "directory with both\n", tried);
    return found;
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

/* The model's C (or, with LLVM, its object file) at path. */
static int write_source(Arena *a, const IrProgram *p, const BuildOptions *o, const char *path) {
    if (o->llvm)
        return llvm_emit_object(a, p, &(LlvmOptions){o->opt_level, true}, path) ? 1 : 0;
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "rnnc: error: cannot write '%s': %s\n", path, strerror(errno));
        return 1;
    }
    emitc_program(f, a, p);
    if (fclose(f)) {
        fprintf(stderr, "rnnc: error: cannot write '%s'\n", path);
        return 1;
    }
    return 0;
}

/* $CC with its flags compiling source (and linking it with the runtime)
 * into exe. Returns the compiler's exit code, or -2 when the words do not
 * fit. */
static int compile(Arena *a, const BuildOptions *o, const char *source, const char *exe, char *inc, char *lib,
                   char *mpi_obj) {
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
        return -2;
    }
    argv[argc++] = inc;
    argv[argc++] = "-o";
    argv[argc++] = (char *)exe;
    argv[argc++] = (char *)source;
    if (mpi_obj)
        argv[argc++] = mpi_obj;
    argv[argc++] = lib;
    argv[argc++] = "-lm";
    argv[argc++] = "-pthread";
    argv[argc] = NULL;
    return run(argv);
}

/* Copy the file at from into a special file (a device, a FIFO) in place. */
static int copy_into(const char *from, const char *to) {
    FILE *in = fopen(from, "rb");
    rt_writer w;
    rt_error err;
    if (!in) {
        fprintf(stderr, "rnnc: error: cannot read '%s': %s\n", from, strerror(errno));
        return 1;
    }
    if (rt_writer_open(&w, to, &err)) {
        fclose(in);
        fprintf(stderr, "rnnc: error: %s\n", err.msg);
        return 1;
    }
    char buf[65536];
    for (size_t n; (n = fread(buf, 1, sizeof buf, in)) > 0;)
        rt_writer_put(&w, buf, n);
    fclose(in);
    if (rt_writer_commit(&w, &err)) {
        fprintf(stderr, "rnnc: error: %s\n", err.msg);
        return 1;
    }
    return 0;
}

/* Where the intermediate files go: beside OUTPUT (OUTPUT.rnnc.c, a fixed
 * name), or, for a special file, in a new temporary directory. */
static char *scratch_prefix(Arena *a, const BuildOptions *o, const rt_target *t, char *tmpdir) {
    if (!t->in_place)
        return arena_strdup(a, o->output);
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, PATH_MAX, "%s/rnnc-build.XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(tmpdir)) {
        fprintf(stderr, "rnnc: error: cannot create a temporary directory '%s': %s\n", tmpdir, strerror(errno));
        return NULL;
    }
    return arena_printf(a, "%s/prog", tmpdir);
}

/* The runtime's MPI layer beside lib, or NULL after saying it is missing. */
static char *mpi_object(Arena *a, const char *lib) {
    const char *slash = strrchr(lib, '/');
    char *obj = arena_printf(a, "%.*srt_dist_mpi.o", slash ? (int)(slash - lib + 1) : 0, lib);
    if (exists(obj))
        return obj;
    fprintf(stderr, "rnnc: error: --mpi needs %s, which this rnnc's runtime was built without: install Open MPI "
                    "(Debian: libopenmpi-dev openmpi-bin) and rebuild rnnc\n", obj);
    return NULL;
}

/* Compile into a scratch file, then put it in place: renamed over a
 * regular OUTPUT (or a symbolic link's final target), copied into a
 * special file. */
static int build_into(Arena *a, const IrProgram *p, const BuildOptions *o, const rt_target *t, char *inc, char *lib,
                      char *mpi_obj) {
    char tmpdir[PATH_MAX] = "";
    char *prefix = scratch_prefix(a, o, t, tmpdir);
    if (!prefix)
        return 1;
    char *source = arena_printf(a, "%s.rnnc.%s", prefix, o->llvm ? "o" : "c");
    char *exe = t->in_place ? prefix : arena_printf(a, "%s.tmp", t->path);
    int rc = write_source(a, p, o, source);
    int cc = rc ? 0 : compile(a, o, source, exe, inc, lib, mpi_obj);
    if (cc > 0 || cc == -1)
        fprintf(stderr, "rnnc: error: the C compiler failed (exit %d); its input is kept in '%s'\n", cc, source);
    else if (!rc)
        remove(source);
    rc = rc || cc != 0;
    if (!rc && t->in_place)
        rc = copy_into(exe, o->output);
    else if (!rc && rename(exe, t->path) != 0) {
        fprintf(stderr, "rnnc: error: cannot rename '%s' to '%s': %s\n", exe, t->path, strerror(errno));
        rc = 1;
    }
    remove(exe);
    if (*tmpdir)
        rmdir(tmpdir); /* unless it keeps the compiler's input */
    return rc;
}

int build_program(Arena *a, const IrProgram *p, const BuildOptions *o) {
    char lib[PATH_MAX], inc[PATH_MAX + 2];
    if (!find_runtime(o->argv0, lib, inc + 2, sizeof lib))
        return 1;
    memcpy(inc, "-I", 2);
    char *mpi_obj = o->mpi ? mpi_object(a, lib) : NULL;
    if (o->mpi && !mpi_obj)
        return 1;
    rt_target t;
    rt_error err;
    if (rt_target_resolve(o->output, &t, &err)) {
        fprintf(stderr, "rnnc: error: %s\n", err.msg);
        return 1;
    }
    int rc = build_into(a, p, o, &t, inc, lib, mpi_obj);
    rt_target_free(&t);
    return rc;
}
