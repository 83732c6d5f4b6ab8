/* fault_shim.c - an LD_PRELOAD library for tests/e2e/faults.sh: fsync()
 * fails with EIO (as a disk that lost the write would) for a file whose
 * path ends in $RNNC_FAULT_SUFFIX; every other call is the real one. The
 * runtime's writers fsync the temporary file before renaming it over the
 * old one, so this is a write failing after the data was handed over. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int fsync(int fd) {
    static int (*real)(int);
    if (!real)
        real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    const char *suffix = getenv("RNNC_FAULT_SUFFIX");
    char link[64], path[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (suffix && *suffix && n > 0) {
        path[n] = 0;
        size_t k = strlen(suffix);
        if ((size_t)n >= k && strcmp(path + n - k, suffix) == 0) {
            errno = EIO;
            return -1;
        }
    }
    return real(fd);
}
