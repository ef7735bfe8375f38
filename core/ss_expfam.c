/*  ss_expfam: features, quadrature, log-partition and moments.

    The macroscopic distribution lives on G = nq^d cell midpoints. For a
    natural parameter theta, p_theta(g) = exp(theta . phi(y_g) - A(theta)).
    One evaluation costs a G x K product for the logits and E, and, when the
    covariance is asked for, a G x K^2 / 2 accumulation: that last term
    dominates everything an agent does in a round (see README, cost model).

    The covariance is accumulated centred, sum_g p_g (phi_g - E)(phi_g - E)^T,
    rather than as E[phi phi^T] - E E^T, which loses digits when the
    distribution is concentrated.
*/

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ss_expfam.h"

static void
s_grid_point (int index, int per_axis, int d, double lo, double hi,
              double *out)
{
    //  Cell midpoints, first coordinate fastest
    double cell = (hi - lo) / per_axis;
    for (int a = 0; a < d; a++) {
        out [a] = lo + (index % per_axis + 0.5) * cell;
        index /= per_axis;
    }
}

ss_problem_t *
ss_problem_new (const ss_model_t *model, const ss_mixture_t *target)
{
    if (ss_model_check (model) || ss_mixture_check (target, model))
        return NULL;
    ss_problem_t *self = calloc (1, sizeof (ss_problem_t));
    if (!self)
        return NULL;
    self->model = *model;
    int d = self->d = model->dim;
    int K = self->K = ss_model_features (model);
    int G = self->G = ss_model_nodes (model);
    self->centres = calloc ((size_t) K * d, sizeof (double));
    self->nodes = calloc ((size_t) G * d, sizeof (double));
    self->phi = calloc ((size_t) G * K, sizeof (double));
    self->q = calloc ((size_t) G, sizeof (double));
    self->mu_q = calloc ((size_t) K, sizeof (double));
    if (!self->centres || !self->nodes || !self->phi || !self->q || !self->mu_q) {
        ss_problem_destroy (&self);
        return NULL;
    }
    for (int k = 0; k < K; k++)
        s_grid_point (k, model->m, d, model->lo, model->hi, self->centres + k * d);
    for (int g = 0; g < G; g++) {
        s_grid_point (g, model->nq, d, model->lo, model->hi, self->nodes + g * d);
        ss_expfam_features (self, self->nodes + g * d, self->phi + (size_t) g * K);
    }
    double var = model->ell * model->ell;
    self->psi_var = var + model->h * model->h;
    self->psi_scale = pow (var / self->psi_var, d / 2.0);
    if (ss_problem_set_target (self, target)) {
        ss_problem_destroy (&self);
        return NULL;
    }
    return self;
}

void
ss_problem_destroy (ss_problem_t **self_p)
{
    if (*self_p) {
        ss_problem_t *self = *self_p;
        free (self->centres);
        free (self->nodes);
        free (self->phi);
        free (self->q);
        free (self->mu_q);
        free (self);
        *self_p = NULL;
    }
}

//  A grid target: log q_g = log level [g] (-inf where the level is 0),
//  before normalisation. Returns the largest.
static double
s_grid_logq (const ss_mixture_t *target, int G, double *logq)
{
    double top = -INFINITY;
    for (int g = 0; g < G; g++) {
        logq [g] = target->level [g] > 0? log ((double) target->level [g]): -INFINITY;
        if (logq [g] > top)
            top = logq [g];
    }
    return top;
}

int
ss_problem_set_target (ss_problem_t *self, const ss_mixture_t *target)
{
    if (ss_mixture_check (target, &self->model))
        return -1;
    int d = self->d, G = self->G, K = self->K;
    //  Work in logs so that narrow components far from a node do not
    //  underflow the whole grid: log q_g = log sum_c w_c N(y_g; mu_c, s_c^2)
    double *logq = calloc ((size_t) G, sizeof (double));
    if (!logq)
        return -1;
    double top = -INFINITY;
    if (target->cells > 0)
        top = s_grid_logq (target, G, logq);
    else
    for (int g = 0; g < G; g++) {
        const double *y = self->nodes + g * d;
        double best = -INFINITY, terms [SS_MAX_COMPONENTS];
        for (int c = 0; c < target->count; c++) {
            const ss_component_t *comp = &target->comp [c];
            double r2 = 0, s2 = comp->std * comp->std;
            for (int a = 0; a < d; a++)
                r2 += (y [a] - comp->mean [a]) * (y [a] - comp->mean [a]);
            terms [c] = log (comp->weight) - 0.5 * d * log (2 * M_PI * s2)
                      - r2 / (2 * s2);
            if (terms [c] > best)
                best = terms [c];
        }
        double sum = 0;
        for (int c = 0; c < target->count; c++)
            sum += exp (terms [c] - best);
        logq [g] = best + log (sum);
        if (logq [g] > top)
            top = logq [g];
    }
    double z = 0;
    for (int g = 0; g < G; g++)
        z += exp (logq [g] - top);
    double logz = top + log (z);
    memset (self->mu_q, 0, (size_t) K * sizeof (double));
    self->q_entropy_term = 0;
    for (int g = 0; g < G; g++) {
        double lq = logq [g] - logz;
        double q = self->q [g] = exp (lq);
        if (q > 0) {
            self->q_entropy_term += q * lq;
            const double *phi = self->phi + (size_t) g * K;
            for (int k = 0; k < K; k++)
                self->mu_q [k] += q * phi [k];
        }
    }
    free (logq);
    return 0;
}

ss_work_t *
ss_work_new (const ss_problem_t *problem)
{
    ss_work_t *self = calloc (1, sizeof (ss_work_t));
    if (!self)
        return NULL;
    size_t K = problem->K, G = problem->G;
    self->logit = calloc (G, sizeof (double));
    self->p = calloc (G, sizeof (double));
    self->E = calloc (K, sizeof (double));
    self->cov = calloc (K * K, sizeof (double));
    self->chol = calloc (K * K, sizeof (double));
    self->u = calloc (K, sizeof (double));
    self->tmp = calloc (K, sizeof (double));
    self->tmp2 = calloc (K, sizeof (double));
    self->wphi = calloc (K, sizeof (double));
    if (!self->logit || !self->p || !self->E || !self->cov || !self->chol
    ||  !self->u || !self->tmp || !self->tmp2 || !self->wphi)
        ss_work_destroy (&self);
    return self;
}

void
ss_work_destroy (ss_work_t **self_p)
{
    if (*self_p) {
        ss_work_t *self = *self_p;
        free (self->logit);
        free (self->p);
        free (self->E);
        free (self->cov);
        free (self->chol);
        free (self->u);
        free (self->tmp);
        free (self->tmp2);
        free (self->wphi);
        free (self);
        *self_p = NULL;
    }
}

void
ss_expfam_features (const ss_problem_t *self, const double *y, double *out)
{
    double two_var = 2 * self->model.ell * self->model.ell;
    for (int k = 0; k < self->K; k++) {
        const double *c = self->centres + k * self->d;
        double r2 = 0;
        for (int a = 0; a < self->d; a++)
            r2 += (y [a] - c [a]) * (y [a] - c [a]);
        out [k] = exp (-r2 / two_var);
    }
}

double
ss_expfam_moments (const ss_problem_t *self, const double *theta,
                   ss_work_t *w, bool with_cov)
{
    const int K = self->K, G = self->G;
    double top = -INFINITY;
    for (int g = 0; g < G; g++) {
        const double *phi = self->phi + (size_t) g * K;
        double l = 0;
        for (int k = 0; k < K; k++)
            l += theta [k] * phi [k];
        w->logit [g] = l;
        if (l > top)
            top = l;
    }
    double z = 0;
    for (int g = 0; g < G; g++)
        z += (w->p [g] = exp (w->logit [g] - top));
    w->A = top + log (z);
    double inv_z = 1.0 / z;
    memset (w->E, 0, (size_t) K * sizeof (double));
    for (int g = 0; g < G; g++) {
        double p = w->p [g] *= inv_z;
        const double *phi = self->phi + (size_t) g * K;
        for (int k = 0; k < K; k++)
            w->E [k] += p * phi [k];
    }
    if (with_cov) {
        double *cov = w->cov, *c = w->wphi;
        memset (cov, 0, (size_t) K * K * sizeof (double));
        for (int g = 0; g < G; g++) {
            double p = w->p [g];
            const double *phi = self->phi + (size_t) g * K;
            for (int k = 0; k < K; k++)
                c [k] = phi [k] - w->E [k];
            //  Lower triangle, row a: cov[a][0..a] += p c[a] c[0..a]
            for (int a = 0; a < K; a++) {
                double pa = p * c [a];
                double *row = cov + (size_t) a * K;
                for (int b = 0; b <= a; b++)
                    row [b] += pa * c [b];
            }
        }
        for (int a = 0; a < K; a++)
            for (int b = a + 1; b < K; b++)
                cov [(size_t) a * K + b] = cov [(size_t) b * K + a];
    }
    return w->A;
}

double
ss_expfam_kl (const ss_problem_t *self, const double *theta,
              const ss_work_t *w)
{
    double dot = 0;
    for (int k = 0; k < self->K; k++)
        dot += theta [k] * self->mu_q [k];
    return self->q_entropy_term - dot + w->A;
}

int
ss_chol_factor (double *a, int n)
{
    for (int j = 0; j < n; j++) {
        double *rj = a + (size_t) j * n;
        double diag = rj [j];
        for (int k = 0; k < j; k++)
            diag -= rj [k] * rj [k];
        if (!(diag > 0) || !isfinite (diag))
            return -1;
        diag = sqrt (diag);
        rj [j] = diag;
        for (int i = j + 1; i < n; i++) {
            double *ri = a + (size_t) i * n;
            double v = ri [j];
            for (int k = 0; k < j; k++)
                v -= ri [k] * rj [k];
            ri [j] = v / diag;
        }
    }
    return 0;
}

void
ss_chol_solve (const double *l, int n, double *b)
{
    //  L y = b, then L^T x = y
    for (int i = 0; i < n; i++) {
        const double *ri = l + (size_t) i * n;
        double v = b [i];
        for (int k = 0; k < i; k++)
            v -= ri [k] * b [k];
        b [i] = v / ri [i];
    }
    for (int i = n - 1; i >= 0; i--) {
        double v = b [i];
        for (int k = i + 1; k < n; k++)
            v -= l [(size_t) k * n + i] * b [k];
        b [i] = v / l [(size_t) i * n + i];
    }
}

int
ss_expfam_newton_direction (const ss_problem_t *self, ss_work_t *w)
{
    const int K = self->K;
    memcpy (w->chol, w->cov, (size_t) K * K * sizeof (double));
    for (int k = 0; k < K; k++)
        w->chol [(size_t) k * K + k] += self->model.rho;
    if (ss_chol_factor (w->chol, K))
        return -1;
    for (int k = 0; k < K; k++)
        w->u [k] = w->E [k] - self->mu_q [k];
    ss_chol_solve (w->chol, K, w->u);
    return 0;
}
