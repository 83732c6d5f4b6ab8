/* diag.c - collect diagnostics, then print them in source order, each with
 * its source line and a caret under the column (docs/programs.md):
 *     FILE:LINE:COL: error: MESSAGE
 *         a = W @ h
 *             ^                                                           */
#include "diag.h"
#include "util.h"
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static void add(Diags *d, DiagLevel level, Loc loc, const char *fmt, va_list ap) {
    if (level == DIAG_NOTE && d->last_dropped)
        return;
    if (level == DIAG_ERROR && d->errors >= DIAG_MAX_ERRORS) {
        d->errors++; /* still counted, so callers see every failure */
        d->truncated = true;
        d->last_dropped = true;
        return;
    }
    if (d->len == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 16;
        d->items = xrealloc(d->items, sizeof(Diag) * (size_t)d->cap);
    }
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    char *msg = xmalloc((size_t)n + 1);
    vsnprintf(msg, (size_t)n + 1, fmt, ap);
    Diag g = {level, loc, msg, d->len, d->len, loc.src ? loc.src->order : -1, loc.offset};
    if (level == DIAG_NOTE) {
        g.group = d->last_head.group;
        g.group_order = d->last_head.group_order;
        g.group_begin = d->last_head.group_begin;
    } else {
        d->last_head = g;
    }
    d->last_dropped = false;
    d->items[d->len++] = g;
    if (level == DIAG_ERROR)
        d->errors++;
    if (level == DIAG_WARNING)
        d->warnings++;
}

#define DEFINE_DIAG(fn, level)                                                 \
    void fn(Diags *d, Loc loc, const char *fmt, ...) {                         \
        va_list ap;                                                            \
        va_start(ap, fmt);                                                     \
        add(d, level, loc, fmt, ap);                                           \
        va_end(ap);                                                            \
    }
DEFINE_DIAG(diag_error, DIAG_ERROR)
DEFINE_DIAG(diag_warning, DIAG_WARNING)
DEFINE_DIAG(diag_note, DIAG_NOTE)

void diag_file_error(Diags *d, const Source *src, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    add(d, DIAG_ERROR, (Loc){src, 0, 0, -1, 0, 0}, fmt, ap);
    va_end(ap);
}

/* Sort key: the position of the group's head, then report order. */
static int cmp_int(int a, int b) { return (a > b) - (a < b); }
static int cmp_diag(const void *pa, const void *pb) {
    const Diag *a = pa, *b = pb;
    int c = cmp_int(a->group_order, b->group_order);
    if (!c)
        c = cmp_int(a->group_begin, b->group_begin);
    if (!c)
        c = cmp_int(a->group, b->group);
    return c ? c : cmp_int(a->seq, b->seq);
}

/* Print the line holding loc, at most ~160 columns of it, and a caret. */
enum { LINE_WINDOW = 80 };
static void print_source_line(FILE *out, Loc loc) {
    const char *t = loc.src->text;
    int at = loc.offset < loc.src->len ? loc.offset : loc.src->len;
    int start = at, end = at;
    while (start > 0 && t[start - 1] != '\n')
        start--;
    while (end < loc.src->len && t[end] != '\n')
        end++;
    bool cut_left = at - start > LINE_WINDOW, cut_right = end - at > LINE_WINDOW;
    if (cut_left)
        start = at - LINE_WINDOW;
    if (cut_right)
        end = at + LINE_WINDOW;
    fputs(cut_left ? "  ..." : "  ", out);
    for (int i = start; i < end; i++) {
        unsigned char c = (unsigned char)t[i];
        fputc(c == '\t' || c >= 0x80 || (c >= 0x20 && c != 0x7f) ? c : '?', out);
    }
    fputs(cut_right ? "...\n" : "\n", out);
    fputs(cut_left ? "     " : "  ", out);
    for (int i = start; i < at; i++) {
        unsigned char c = (unsigned char)t[i];
        if ((c & 0xC0) == 0x80)
            continue; /* UTF-8 continuation: part of the previous column */
        fputc(c == '\t' ? '\t' : ' ', out);
    }
    fputs("^\n", out);
}

static const char *level_name(DiagLevel l) {
    return l == DIAG_ERROR ? "error" : l == DIAG_WARNING ? "warning" : "note";
}

void diag_print(Diags *d, FILE *out) {
    if (d->len > 1)
        qsort(d->items, (size_t)d->len, sizeof(Diag), cmp_diag);
    for (int i = 0; i < d->len; i++) {
        Diag *g = &d->items[i];
        if (!g->loc.src)
            fprintf(out, "rnnc: %s: %s\n", level_name(g->level), g->msg);
        else if (g->loc.line == 0)
            fprintf(out, "%s: %s: %s\n", g->loc.src->name, level_name(g->level), g->msg);
        else {
            fprintf(out, "%s:%d:%d: %s: %s\n", g->loc.src->name, g->loc.line, g->loc.col,
                    level_name(g->level), g->msg);
            print_source_line(out, g->loc);
        }
    }
    if (d->truncated)
        fprintf(out, "rnnc: too many errors; stopped reporting after %d\n", DIAG_MAX_ERRORS);
}

void diag_free(Diags *d) {
    for (int i = 0; i < d->len; i++)
        free(d->items[i].msg);
    free(d->items);
    *d = (Diags){0};
}

void loc_text(Loc loc, char *buf, int max) {
    int n = loc.end - loc.begin;
    if (!loc.src || n <= 0) {
        snprintf(buf, (size_t)max, "?");
        return;
    }
    const char *t = loc.src->text + loc.begin;
    int out = 0;
    bool space = false;
    for (int i = 0; i < n; i++) {
        char c = t[i];
        if (c == '\n' || c == '\t' || c == ' ' || c == '\r') {
            space = true; /* fold runs of white space into one blank */
            continue;
        }
        int blank = space && out > 0;
        if (out + blank + 1 > max - 4) { /* c (and its blank) would leave no room for "..." */
            strcpy(buf + out, "...");
            return;
        }
        if (blank)
            buf[out++] = ' ';
        space = false;
        buf[out++] = c;
    }
    buf[out] = 0;
}
