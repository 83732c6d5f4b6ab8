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

/* ---- writes ------------------------------------------------------------- */

/* dir(link) + "/" + target, or target when absolute or link has no dir */
static char *relative_to(const char *link, const char *target) {
    const char *slash = strrchr(link, '/');
    if (target[0] == '/' || !slash)
        return strdup(target);
    size_t d = (size_t)(slash - link) + 1, n = strlen(target);
    char *p = malloc(d + n + 1);
    if (p) {
        memcpy(p, link, d);
        memcpy(p + d, target, n + 1);
    }
    return p;
}

/* Follow path's symbolic links to the final target, which may not exist. */
static char *follow_links(const char *path, rt_error *err) {
    char *p = strdup(path);
    struct stat st;
    for (int hops = 0; p && lstat(p, &st) == 0 && S_ISLNK(st.st_mode); hops++) {
        char buf[4096];
        ssize_t n = readlink(p, buf, sizeof buf - 1);
        if (n < 0 || hops == 40) {
            rt_errorf(err, path, "cannot follow the symbolic link %s: %s", p, n < 0 ? strerror(errno) : "too many levels");
            free(p);
            return NULL;
        }
        buf[n] = '\0';
        char *next = relative_to(p, buf);
        free(p);
        p = next;
    }
    if (!p && !err->msg[0])
        rt_errorf(err, path, "out of memory");
    return p;
}

int rt_target_resolve(const char *path, rt_target *t, rt_error *err) {
    struct stat st;
    err->msg[0] = '\0';
    *t = (rt_target){follow_links(path, err), false};
    if (!t->path)
        return -1;
    if (stat(t->path, &st) == 0 && S_ISDIR(st.st_mode)) {
        rt_target_free(t);
        return rt_errorf(err, path, "is a directory");
    }
    t->in_place = stat(t->path, &st) == 0 && !S_ISREG(st.st_mode);
    return 0;
}

void rt_target_free(rt_target *t) {
    free(t->path);
    t->path = NULL;
}

static char *tmp_name(const char *target) {
    size_t n = strlen(target);
    char *tmp = malloc(n + 5);
    if (tmp) {
        memcpy(tmp, target, n);
        memcpy(tmp + n, ".tmp", 5);
    }
    return tmp;
}

int rt_check_writable(const char *path, rt_error *err) {
    rt_target t;
    if (rt_target_resolve(path, &t, err) < 0)
        return -1;
    if (t.in_place) {
        rt_target_free(&t);
        return 0;
    }
    char *tmp = tmp_name(t.path);
    FILE *f = tmp ? fopen(tmp, "wb") : NULL;
    int e = errno;
    if (f) {
        fclose(f);
        remove(tmp);
    } else {
        rt_errorf(err, path, "cannot write here: %s", tmp ? strerror(e) : "out of memory");
    }
    free(tmp);
    rt_target_free(&t);
    return f ? 0 : -1;
}

int rt_writer_open(rt_writer *w, const char *path, rt_error *err) {
    memset(w, 0, sizeof *w);
    w->path = path;
    if (rt_target_resolve(path, &w->target, err) < 0)
        return -1;
    if (!w->target.in_place && !(w->tmp = tmp_name(w->target.path))) {
        rt_target_free(&w->target);
        return rt_errorf(err, path, "out of memory");
    }
    const char *name = w->tmp ? w->tmp : w->target.path;
    w->f = fopen(name, "wb");
    if (!w->f) {
        int e = errno;
        rt_errorf(err, path, w->tmp ? "cannot create %s: %s" : "cannot open %s for writing: %s", name, strerror(e));
        rt_writer_abort(w);
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
    rt_target_free(&w->target);
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
    if (!w->errnum && (fflush(w->f) != 0 || ferror(w->f)))
        w->errnum = errno ? errno : EIO;
    if (!w->errnum && w->tmp && fsync(fileno(w->f)) != 0) /* a device or FIFO need not support fsync */
        w->errnum = errno;
    errno = 0;
    if (fclose(w->f) != 0 && !w->errnum)
        w->errnum = errno ? errno : EIO;
    w->f = NULL;
    if (w->errnum) {
        rt_errorf(err, w->path, w->tmp ? "cannot write %s: %s (the previous file, if any, is unchanged)"
                                        : "cannot write %s: %s", w->tmp ? w->tmp : w->target.path,
                  strerror(w->errnum));
        rt_writer_abort(w);
        return -1;
    }
    if (w->tmp && rename(w->tmp, w->target.path) != 0) {
        int e = errno;
        rt_errorf(err, w->path, "cannot rename %s to %s: %s", w->tmp, w->target.path, strerror(e));
        rt_writer_abort(w);
        return -1;
    }
    if (w->tmp)
        sync_dir(w->target.path);
    free(w->tmp);
    rt_target_free(&w->target);
    memset(w, 0, sizeof *w);
    return 0;
}
