/* frontend.c - run the front end: parse the prelude and the user's source,
 * then check both. The prelude is checked on every run like user code. */
#include "frontend.h"
#include "parse.h"
#include "util.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool frontend_run(Frontend *f, const char *name, const char *text, size_t len) {
    memset(f, 0, sizeof *f);
    f->prelude_src = (Source){"<prelude>", rnnc_prelude_text, (int)strlen(rnnc_prelude_text), 0};
    if (len > SOURCE_MAX_BYTES) {
        f->user_src = (Source){name, "", 0, 1};
        diag_file_error(&f->diags, &f->user_src, "source is larger than rnnc's limit of %d bytes (16 MiB)",
                        SOURCE_MAX_BYTES);
        return false;
    }
    char *copy = arena_strndup(&f->arena, text, len);
    f->user_src = (Source){name, copy, (int)len, 1};
    bool ok = parse_source(&f->arena, &f->diags, &f->prelude_src, &f->prelude);
    if (!ok)
        die("the built-in prelude does not parse");
    parse_source(&f->arena, &f->diags, &f->user_src, &f->user);
    f->sema = (Sema){.arena = &f->arena, .diags = &f->diags};
    sema_check(&f->sema, &f->prelude, &f->user);
    return f->diags.errors == 0;
}

bool frontend_read_file(Diags *d, const char *path, char **text, size_t *len) {
    *text = NULL;
    *len = 0;
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        fprintf(stderr, "rnnc: error: cannot open '%s': %s\n", path, strerror(errno));
        d->errors++;
        return false;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = xmalloc(cap);
    for (;;) {
        size_t got = fread(buf + n, 1, cap - n, fp);
        n += got;
        if (n > (size_t)SOURCE_MAX_BYTES)
            break; /* frontend_run reports the size */
        if (got == 0)
            break;
        if (n == cap)
            buf = xrealloc(buf, cap *= 2);
    }
    bool failed = ferror(fp);
    fclose(fp);
    if (failed) {
        fprintf(stderr, "rnnc: error: cannot read '%s'\n", path);
        d->errors++;
        free(buf);
        return false;
    }
    *text = buf;
    *len = n;
    return true;
}

ModelInfo *frontend_find_model(Frontend *f, const char *name) {
    for (int i = 0; i < f->sema.model_list.len; i++) {
        ModelInfo *m = f->sema.model_list.items[i];
        if (!strcmp(m->name, name))
            return m;
    }
    return NULL;
}

void frontend_free(Frontend *f) {
    diag_free(&f->diags);
    arena_free(&f->arena);
}
