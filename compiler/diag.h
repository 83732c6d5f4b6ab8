/* diag.h - source files, locations and the diagnostics list.
 * User errors are data: parse and sema append here, and the driver stops
 * before the next stage when errors exist. Printing sorts by position so a
 * file's diagnostics come out in source order whatever stage found them. */
#ifndef RNNC_DIAG_H
#define RNNC_DIAG_H
#include <stdbool.h>
#include <stdio.h>

typedef struct Source {
    const char *name; /* as given on the command line, or "<prelude>" */
    const char *text; /* NUL-terminated copy of the file */
    int len;          /* bytes, without the terminator */
    int order;        /* sort key between sources: prelude 0, user 1 */
} Source;

typedef struct Loc {
    const Source *src;
    int line, col;  /* 1-based, of the caret; col counts UTF-8 code points */
    int offset;     /* byte offset of the caret */
    int begin, end; /* byte offsets [begin, end) of the whole construct */
} Loc;

typedef enum { DIAG_ERROR, DIAG_WARNING, DIAG_NOTE } DiagLevel;

typedef struct Diag {
    DiagLevel level;
    Loc loc;
    char *msg;
    int seq;   /* report order */
    int group; /* seq of the error/warning a note belongs to (its own for those) */
    int group_order, group_begin; /* that head's source order and offset */
} Diag;

enum { DIAG_MAX_ERRORS = 50 };

typedef struct Diags {
    Diag *items;
    int len, cap;
    int errors, warnings;
    bool truncated; /* more than DIAG_MAX_ERRORS errors were dropped */
    Diag last_head; /* the last error/warning, which notes attach to */
    bool last_dropped;
} Diags;

void diag_error(Diags *d, Loc loc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void diag_warning(Diags *d, Loc loc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A note attaches to the error or warning reported just before it. */
void diag_note(Diags *d, Loc loc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A diagnostic about a file as a whole (no line): "FILE: error: MSG". */
void diag_file_error(Diags *d, const Source *src, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void diag_print(Diags *d, FILE *out);
void diag_free(Diags *d);

/* The source text of a construct, shortened to at most max bytes with "...". */
void loc_text(Loc loc, char *buf, int max);

#endif
