/* rt_file.h - helpers that the runtime's file readers and writers share
 * (internal to runtime/): "PATH: message" errors, untrusted names made
 * printable for messages, opening a file for reading with its size, exact
 * reads, and writes that replace a regular file atomically (PATH.tmp,
 * flushed and fsync'd, then renamed over PATH, so a failure leaves the
 * previous PATH whole), follow symbolic links, and write special files in
 * place. */
#ifndef RNNRT_FILE_H
#define RNNRT_FILE_H
#include "rt_io.h"
#include <stdbool.h>
#include <stdio.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the runtime reads and writes little-endian data in host order"
#endif

/* err->msg = "PATH: " + the formatted message. Returns -1. */
int rt_errorf(rt_error *err, const char *path, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* s[0..n) quoted for a message: 'name', bytes outside printable ASCII as
 * \xHH, cut after RT_SHOW_MAX bytes with "...". buf holds RT_SHOW_LEN. */
enum { RT_SHOW_MAX = 64, RT_SHOW_LEN = 4 * RT_SHOW_MAX + 8 };
const char *rt_show(char *buf, const char *s, size_t n);

/* Open a regular file for reading; *size gets its length in bytes. */
int rt_open_read(const char *path, FILE **f, uint64_t *size, rt_error *err);
/* Read exactly n bytes (WHAT names them in the message otherwise). */
int rt_read_exact(FILE *f, void *buf, size_t n, const char *path, const char *what, rt_error *err);
/* Check that f has nothing left (the file did not grow since opening). */
int rt_read_at_end(FILE *f, const char *path, rt_error *err);

/* Where a writer puts PATH. A symbolic link is followed to its final
 * target (the link stays); a regular file, or one that does not exist yet,
 * is replaced atomically (TARGET.tmp, renamed over TARGET once complete);
 * an existing file that is not regular (/dev/null, a FIFO, a device) is
 * written in place and never replaced or removed; a directory is an error. */
typedef struct rt_target {
    char *path;     /* the final target (malloc'd) */
    bool in_place;  /* not a regular file: written directly */
} rt_target;

int rt_target_resolve(const char *path, rt_target *t, rt_error *err);
void rt_target_free(rt_target *t);
/* Fail early when PATH cannot be written: try to create its TARGET.tmp
 * (a file written in place is not opened, which would block on a FIFO). */
int rt_check_writable(const char *path, rt_error *err);

typedef struct rt_writer {
    FILE *f;
    const char *path;   /* as the caller named it, for messages */
    rt_target target;
    char *tmp;          /* TARGET.tmp, or NULL when written in place */
    int errnum;         /* the first write's errno, 0 while all is well */
} rt_writer;

int rt_writer_open(rt_writer *w, const char *path, rt_error *err);
/* Write n bytes; a failure is remembered and reported by commit. */
void rt_writer_put(rt_writer *w, const void *p, size_t n);
/* Flush, fsync, close and rename TARGET.tmp over TARGET (in place: flush
 * and close); on any failure remove TARGET.tmp and report. Always
 * releases w. Output written to w->f by other means (fprintf) counts. */
int rt_writer_commit(rt_writer *w, rt_error *err);
/* Give up: close and remove TARGET.tmp. */
void rt_writer_abort(rt_writer *w);

#endif
