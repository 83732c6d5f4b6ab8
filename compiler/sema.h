/* sema.h - semantic checks and their results.
 * Cells are checked once, generically: shapes are polynomials over the
 * cell's size parameters (poly.h). Models are checked with concrete sizes:
 * each cell use is instantiated per stacked layer, every size evaluated and
 * kept in [1, 2^31), and every parameter gets its PyTorch name. Lowering
 * reads CellInfo and ModelInfo; nothing after sema looks at names again. */
#ifndef RNNC_SEMA_H
#define RNNC_SEMA_H
#include "ast.h"
#include "poly.h"
#include "strmap.h"
#include <stdio.h>

enum {
    SIZE_LIMIT = 2147483647,        /* every size is in [1, 2^31) */
    TENSOR_MAX_ELEMS = 2147483647,  /* elements in one parameter tensor */
    MODEL_MAX_LAYERS = 1024,        /* layers= of one cell use */
    STEP_MAX_FLOATS = 1 << 28,      /* values of one cell step, per sample */
    STATE_MAX_FLOATS = 1 << 28,     /* carried states of a model, per sample */
};

struct Shape {         /* the shape of a value in a cell */
    int rank;          /* 0 scalar literal, 1 vector, 2 matrix */
    const Poly *dim[2];
};

typedef enum { INIT_DEFAULT, INIT_ZEROS, INIT_ONES, INIT_UNIFORM, INIT_NORMAL } InitKind;

typedef struct Init {
    InitKind kind;
    double a, b;       /* uniform(a, b) bounds; normal(a = mean, b = std) */
} Init;

typedef enum { SYM_SIZE, SYM_INPUT, SYM_STATE, SYM_PARAM, SYM_LOCAL } SymKind;

struct Sym {
    SymKind kind;
    const char *name;
    Loc loc;            /* declaration, or first definition */
    int index;          /* position among the cell's symbols of this kind */
    Shape shape;        /* NULL dims when its declaration was broken */
    Init init;          /* SYM_PARAM */
    Stmt *def;          /* SYM_LOCAL: its assignment; SYM_STATE: its update */
    bool read;          /* the value (for a state: its value at t-1) is read */
    bool read_new;      /* SYM_STATE: x' is read */
    bool defined;       /* while checking in order: the definition was seen */
};

typedef struct CellInfo {
    Block *block;
    const char *name;
    Sym **sizes;   int nsizes;
    Sym *input;
    Sym **states;  int nstates;
    Sym **params;  int nparams;
    Stmt **steps;  int nsteps;   /* assignments in source order */
    Expr **slices; int nslices;  /* every slice, checked again per use */
    Sym *output;   bool output_primed;
    int inferred;  /* size parameter that is the input's width alone, or -1 */
    bool ok;       /* no error inside: can be used by models */
    StrMap scope;
} CellInfo;

typedef struct ValType {  /* a value flowing between model layers */
    bool seq, token, error;
    int64_t size;         /* vocabulary for tokens, width for vectors */
} ValType;

typedef enum {
    LAYER_INPUT, LAYER_TARGET, LAYER_EMBEDDING, LAYER_CELL, LAYER_LINEAR,
    LAYER_LAST, LAYER_DROPOUT, LAYER_ACTIVATION,
} LayerKind;

typedef struct Layer Layer;
struct Layer {
    LayerKind kind;
    const char *name;     /* the model name it is assigned to, or NULL */
    Loc loc;
    ValType type;         /* what it produces */
    Layer *arg;           /* what it reads */
    const char *func;     /* LAYER_ACTIVATION: the function */
    CellInfo *cell;       /* LAYER_CELL */
    int64_t *sizes;       /* LAYER_CELL: size arguments, layer 0 */
    int nlayers;          /* LAYER_CELL: stacked layers */
    bool bidirectional;
    double dropout;       /* LAYER_CELL between layers; LAYER_DROPOUT p */
    int64_t in, out;      /* LAYER_LINEAR, LAYER_EMBEDDING (vocab, dim) */
    bool used;
};

typedef enum { LOSS_CROSS_ENTROPY, LOSS_MSE } LossKind;
typedef enum { OPT_ADAM, OPT_SGD } OptKind;

typedef struct TrainConfig {  /* train { } settings; the documented defaults */
    OptKind optimizer;
    double lr, momentum, beta1, beta2, eps;
    double clip;              /* 0: no clipping */
    int64_t batch, bptt;      /* bptt 0: the whole sequence */
    int64_t epochs, seed;
    double valid;
} TrainConfig;

typedef struct ModelInfo {
    Block *block;
    const char *name;
    Layer **layers;  int nlayers;   /* in definition order, inputs first */
    Layer *input, *target;
    LossKind loss;
    Layer *loss_arg;                /* what `forward` writes */
    TrainConfig train;
} ModelInfo;

typedef struct Sema {
    Arena *arena;
    Diags *diags;
    StrMap cells;                   /* name -> CellInfo */
    PtrVec cell_list, model_list;   /* in source order, prelude first */
} Sema;

/* Check the prelude and the user's program; false when errors were found. */
bool sema_check(Sema *s, Program *prelude, Program *user);

/* Per-stage entry points (sema.c calls them in order). */
CellInfo *sema_cell(Sema *s, Block *b);
ModelInfo *sema_model(Sema *s, Block *b);

/* Cell sizes for one stacked layer: values of every size parameter, with
 * in = the input width. Reports range errors at `at`; NULL on error. */
int64_t *sema_instantiate(Sema *s, CellInfo *c, const int64_t *given, int64_t in, Loc at,
                          const char *what);
/* A concrete dimension of a cell symbol under sizes vals. */
int64_t sema_dim(const Poly *p, const int64_t *vals);

/* Print a model's layers and loss (rnnc check -d model). */
void sema_dump_model(FILE *out, const ModelInfo *m);

/* Helpers shared by the sema files. */
bool sema_const_number(const Expr *e, double *out);
const char *sema_shape_str(Arena *a, const CellInfo *c, Shape sh);

#endif
