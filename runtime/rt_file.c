/* rt_file.c - the shared file helpers of rt_file.h: error messages, safe
 * display of untrusted names, checked reads and atomic writes. */
#include "rt_file.h"
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int rt_errorf(rt_error *err, const char *path, const char *fmt, ...) {
    /* The path is the caller's; cut it rather than the message if needed. */
    size_t k = strlen(path);
    if (k > RT_ERR_LEN / 2)
        k = RT_ERR_LEN / 2;
    memcpy(err->msg, path, k);
    memcpy(err->msg + k, ": ", 2);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg + k + 2, sizeof err->msg - k - 2, fmt, ap);
    va_end(ap);
    return -1;
}

const char *rt_show(char *buf, const char *s, size_t n) {
    static const char hex[] = "0123456789abcdef";
    size_t k = 0;
    buf[k++] = '\'';
    for (size_t i = 0; i < n && i < RT_SHOW_MAX; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            buf[k++] = (char)c;
            continue;
        }
        buf[k++] = '\\';
        buf[k++] = 'x';
        buf[k++] = hex[c >> 4];
        buf[k++] = hex[c & 15];
    }
    if (n > RT_SHOW_MAX) {
        memcpy(buf + k, "...", 3);
        k += 3;
    }
    buf[k++] = '\'';
    buf[k] = '\0';
    return buf;
}

int rt_open_read(const char *path, FILE **f, uint64_t *size, rt_error *err) {
    struct stat st;
    *f = NULL;
    *size = 0;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return rt_errorf(err, path, "cannot open: %s", strerror(errno));
    if (fstat(fileno(fp), &st) != 0) {
        int e = errno;
        fclose(fp);
        return rt_errorf(err, path, "cannot stat: %s", strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        fclose(fp);
        return rt_errorf(err, path, S_ISDIR(st.st_mode) ? "is a directory" : "is not a regular file");
    }
    *f = fp;
    *size = (uint64_t)st.st_size;
    return 0;
}

int rt_read_exact(FILE *f, void *buf, size_t n, const char *path, const char *what, rt_error *err) {
    errno = 0;
    if (n == 0 || fread(buf, 1, n, f) == n)
        return 0;
    if (ferror(f))
        return rt_errorf(err, path, "cannot read %s: %s", what, strerror(errno ? errno : EIO));
    return rt_errorf(err, path, "truncated while reading %s (did the file shrink?)", what);
}

int rt_read_at_end(FILE *f, const char *path, rt_error *err) {
    if (fgetc(f) == EOF && !ferror(f))
        return 0;
    return rt_errorf(err, path, "the file changed while being read");
}

/* ---- atomic writes ----------------------------------------------------- */

int rt_writer_open(rt_writer *w, const char *path, rt_error *err) {
    memset(w, 0, sizeof *w);
    size_t n = strlen(path);
    w->path = path;
    w->tmp = malloc(n + 5);
    if (!w->tmp)
        return rt_errorf(err, path, "out of memory");
    memcpy(w->tmp, path, n);
    memcpy(w->tmp + n, ".tmp", 5);
    w->f = fopen(w->tmp, "wb");
    if (!w->f) {
        int e = errno;
        rt_errorf(err, path, "cannot create %s: %s", w->tmp, strerror(e));
        free(w->tmp);
        w->tmp = NULL;
        return -1;
    }
    return 0;
}

void rt_writer_put(rt_writer *w, const void *p, size_t n) {
    if (w->errnum || n == 0)
        return;
    errno = 0;
    if (fwrite(p, 1, n, w->f) != n)
        w->errnum = errno ? errno : EIO;
}

void rt_writer_abort(rt_writer *w) {
    if (w->f)
        fclose(w->f);
    if (w->tmp)
        remove(w->tmp);
    free(w->tmp);
    memset(w, 0, sizeof *w);
}

/* Make the rename durable: fsync the directory holding PATH. Best effort,
 * since some file systems refuse it; the rename itself is already atomic. */
static void sync_dir(const char *path) {
    const char *slash = strrchr(path, '/');
    char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
    if (!dir)
        return;
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(dir);
}

int rt_writer_commit(rt_writer *w, rt_error *err) {
    errno = 0;
    if (!w->errnum && fflush(w->f) != 0)
        w->errnum = errno ? errno : EIO;
    if (!w->errnum && fsync(fileno(w->f)) != 0)
        w->errnum = errno;
    errno = 0;
    if (fclose(w->f) != 0 && !w->errnum)
        w->errnum = errno ? errno : EIO;
    w->f = NULL;
    if (!w->errnum && rename(w->tmp, w->path) != 0) {
        int e = errno;
        rt_errorf(err, w->path, "cannot rename %s to it: %s", w->tmp, strerror(e));
        rt_writer_abort(w);
        return -1;
    }
    if (w->errnum) {
        rt_errorf(err, w->path, "cannot write %s: %s (the previous file, if any, is unchanged)", w->tmp,
                  strerror(w->errnum));
        rt_writer_abort(w);
        return -1;
    }
    sync_dir(w->path);
    free(w->tmp);
    memset(w, 0, sizeof *w);
    return 0;
}
