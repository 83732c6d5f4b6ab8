/* rt_testfiles.h - helpers for the runtime's file-format unit tests: a
 * scratch directory per test program, whole-file reads and writes, and a
 * check that a call failed with a message naming the file. Fixtures that
 * numpy wrote live in tests/unit/data (the tests run from the repo root).
 * RT_TEST_VERBOSE=1 in the environment prints every expected message. */
#ifndef RT_TESTFILES_H
#define RT_TESTFILES_H
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define DATA_DIR "tests/unit/data/"

static char scratch_dir[64];

static inline int scratch_setup(void **state) {
    (void)state;
    strcpy(scratch_dir, "/tmp/rnnc_rt_test.XXXXXX");
    return mkdtemp(scratch_dir) ? 0 : -1;
}

static inline int scratch_teardown(void **state) {
    (void)state;
    DIR *d = opendir(scratch_dir);
    struct dirent *e;
    char p[512];
    while (d && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(p, sizeof p, "%s/%s", scratch_dir, e->d_name);
            unlink(p);
        }
    }
    if (d)
        closedir(d);
    return rmdir(scratch_dir);
}

/* scratch_dir/NAME in a buffer of 256 bytes. */
static inline const char *scratch(char *buf, const char *name) {
    snprintf(buf, 256, "%s/%s", scratch_dir, name);
    return buf;
}

static inline void write_bytes(const char *path, const void *p, size_t n) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

/* The whole file, malloc'd; *n gets its size. */
static inline unsigned char *read_bytes(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    assert_true(size >= 0);
    fseek(f, 0, SEEK_SET);
    unsigned char *p = malloc((size_t)size + 1);
    assert_non_null(p);
    assert_int_equal(fread(p, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    *n = (size_t)size;
    return p;
}

static inline int file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

/* The call returned -1 and its message is "PATH: ..." containing WHAT. */
#define assert_fails(rc, err, path, what) assert_fails_at(rc, &(err), path, what, __FILE__, __LINE__)

static inline void assert_fails_at(int rc, const rt_error *err, const char *path, const char *what,
                                   const char *file, int line) {
    size_t n = strlen(path);
    int ok = rc == -1 && !strncmp(err->msg, path, n) && !strncmp(err->msg + n, ": ", 2) &&
             strstr(err->msg + n, what) != NULL;
    if (getenv("RT_TEST_VERBOSE")) /* to review the messages themselves */
        fprintf(stderr, "    %s\n", err->msg);
    if (!ok)
        fail_msg("%s:%d: rc %d, message \"%s\", wanted \"%s: ...%s...\"", file, line, rc, err->msg, path, what);
}

/* Run fn(arg) in a child whose files may not grow past limit bytes, so
 * that writing fails as on a full disk. Returns the child's exit status. */
static inline int with_file_size_limit(long limit, int (*fn)(void *), void *arg) {
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct rlimit rl = {(rlim_t)limit, (rlim_t)limit};
        signal(SIGXFSZ, SIG_IGN);
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
            _exit(99);
        _exit(fn(arg));
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

#endif
