/*  ss_model: the defaults table of model.md and the checks on it. */

#include <math.h>
#include "ss_model.h"

void
ss_model_defaults (ss_model_t *self)
{
    *self = (ss_model_t) {
        .dim = 2, .lo = 0.0, .hi = 1.0, .m = 5, .ell = 0.15, .h = 0.05,
        .nq = 32, .rho = 0.01, .lambda = 0.0, .alpha = 0.002, .gamma = 1.0,
        .vmax = 0.02
    };
}

void
ss_mixture_defaults (ss_mixture_t *self, int dim, double lo, double hi)
{
    static const double means [2][SS_MAX_DIM] = {
        { 0.25, 0.70, 0.5 }, { 0.75, 0.30, 0.5 }
    };
    self->count = 2;
    self->cells = 0;
    for (int c = 0; c < 2; c++) {
        self->comp [c].weight = 0.5;
        self->comp [c].std = 0.10 * (hi - lo);
        for (int a = 0; a < SS_MAX_DIM; a++)
            self->comp [c].mean [a] = a < dim? lo + (hi - lo) * means [c][a]: 0;
    }
}

static bool
s_finite_pos (double v)
{
    return isfinite (v) && v > 0;
}

const char *
ss_model_check (const ss_model_t *self)
{
    if (self->dim < 1 || self->dim > SS_MAX_DIM)
        return "dim must be 1, 2 or 3";
    if (!isfinite (self->lo) || !isfinite (self->hi) || !(self->lo < self->hi))
        return "lo must be below hi";
    if (self->m < 1 || ss_model_features (self) > SS_MAX_K)
        return "m must be >= 1 with m^dim <= 1024";
    if (self->nq < 2 || ss_model_nodes (self) > SS_MAX_G)
        return "nq must be >= 2 with nq^dim <= 262144";
    if (!s_finite_pos (self->ell))
        return "ell must be > 0";
    if (!isfinite (self->h) || self->h < 0)
        return "h must be >= 0";
    if (!s_finite_pos (self->rho))
        return "rho must be > 0 (the lower level must be strongly convex)";
    if (!isfinite (self->lambda) || self->lambda < 0)
        return "lambda must be >= 0";
    if (!s_finite_pos (self->alpha))
        return "alpha must be > 0";
    if (!s_finite_pos (self->gamma))
        return "gamma must be > 0";
    if (!s_finite_pos (self->vmax))
        return "vmax must be > 0";
    return NULL;
}

const char *
ss_mixture_check (const ss_mixture_t *self, const ss_model_t *model)
{
    if (self->cells != 0) {
        //  A grid of levels on the quadrature nodes
        if (self->cells != ss_model_nodes (model) || self->cells > SS_MAX_GRID)
            return "a grid target needs one level per quadrature node (nq^dim)";
        int nonzero = 0;
        for (int g = 0; g < self->cells; g++)
            nonzero += self->level [g] > 0;
        if (nonzero == 0)
            return "a grid target needs a level > 0 somewhere";
    }
    if (self->count < (self->cells? 0: 1) || self->count > SS_MAX_COMPONENTS)
        return "a target needs 1 to 16 components";
    for (int c = 0; c < self->count; c++) {
        const ss_component_t *comp = &self->comp [c];
        if (!s_finite_pos (comp->weight))
            return "component weight must be > 0";
        if (!s_finite_pos (comp->std))
            return "component std must be > 0";
        for (int a = 0; a < model->dim; a++)
            if (!isfinite (comp->mean [a])
            ||  comp->mean [a] < model->lo || comp->mean [a] > model->hi)
                return "component mean must lie inside the box [lo, hi]";
    }
    return NULL;
}

static int
s_ipow (int base, int exp)
{
    long r = 1;
    for (int i = 0; i < exp; i++) {
        r *= base;
        if (r > (1L << 30))
            return 1 << 30;
    }
    return (int) r;
}

int
ss_model_features (const ss_model_t *self)
{
    return s_ipow (self->m, self->dim);
}

int
ss_model_nodes (const ss_model_t *self)
{
    return s_ipow (self->nq, self->dim);
}
