/* opt_dce.c - dead code: nodes that neither the step's results nor (in a
 * backward step) its gradients depend on are removed. */
#include "passes.h"

bool opt_dce(PassStep *p) {
    IrStep *s = p->s;
    bool *live = pass_live(p), changed = false;
    int *replace = arena_alloc(p->a, sizeof(int) * (size_t)(s->nnodes + 1));
    for (int i = 0; i < s->nnodes; i++) {
        replace[i] = live[i] ? i : -1;
        changed |= !live[i];
    }
    if (changed)
        pass_compact(p, replace);
    return changed;
}
