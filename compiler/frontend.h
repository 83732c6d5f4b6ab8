/* frontend.h - the front end as one call: prelude and user source parsed,
 * then checked. Used by the rnnc command line and by the unit tests. */
#ifndef RNNC_FRONTEND_H
#define RNNC_FRONTEND_H
#include "sema.h"

typedef struct Frontend {
    Arena arena;
    Diags diags;
    Source prelude_src, user_src;
    Program prelude, user;
    Sema sema;
} Frontend;

extern const char rnnc_prelude_text[];

/* Parse and check text (len bytes, named name). True when error-free. */
bool frontend_run(Frontend *f, const char *name, const char *text, size_t len);
/* Read a file under the source size limit; on failure report and return
 * false with *text NULL. The caller frees *text. */
bool frontend_read_file(Diags *d, const char *path, char **text, size_t *len);
ModelInfo *frontend_find_model(Frontend *f, const char *name);
void frontend_free(Frontend *f);

#endif
