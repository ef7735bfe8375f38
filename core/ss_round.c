/*  ss_round: one synchronous round of the distributed bilevel algorithm at
    one agent. Pure: the result depends only on the arguments, in the order
    they are given. sim and agentd pass neighbours in ascending id order, so
    their sums are the same sums and their positions agree bit for bit.
*/

#include <math.h>
#include <string.h>
#include "ss_round.h"
#include "ss_footprint.h"
#include "ss_hypergrad.h"

double
ss_round_weight (int deg_i, int deg_j)
{
    return 1.0 / (1.0 + (deg_i > deg_j? deg_i: deg_j));
}

void
ss_round_init (const ss_problem_t *P, ss_agent_t *self, const double *x0,
               int degree)
{
    memset (self->x, 0, sizeof (self->x));
    memset (self->x0, 0, sizeof (self->x0));
    memcpy (self->x, x0, (size_t) P->d * sizeof (double));
    memcpy (self->x0, x0, (size_t) P->d * sizeof (double));
    memset (self->theta, 0, (size_t) P->K * sizeof (double));
    ss_footprint (P, x0, self->s);
    self->degree = degree;
    self->hold = false;
}

double
ss_round_move (const ss_problem_t *P, const double *x, const double *x0,
               ss_work_t *w, double *x_out)
{
    const int d = P->d;
    memcpy (x_out, x, (size_t) d * sizeof (double));
    if (ss_expfam_newton_direction (P, w))
        return -1;
    double v [SS_MAX_DIM], norm = 0;
    ss_hypergrad_agent (P, x, x0, w, v);
    for (int a = 0; a < d; a++) {
        v [a] *= P->model.alpha;
        norm += v [a] * v [a];
    }
    norm = sqrt (norm);
    double scale = norm > P->model.vmax? P->model.vmax / norm: 1.0;
    double moved = 0;
    for (int a = 0; a < d; a++) {
        double y = x [a] - scale * v [a];
        y = y < P->model.lo? P->model.lo: y > P->model.hi? P->model.hi: y;
        moved += (y - x [a]) * (y - x [a]);
        x_out [a] = y;
    }
    return sqrt (moved);
}

double
ss_round_step (const ss_problem_t *P, const ss_agent_t *self,
               const ss_neighbour_t *nbrs, int n_nbrs, ss_agent_t *next,
               ss_work_t *w)
{
    const int K = P->K;
    const double gamma = P->model.gamma, rho = P->model.rho;

    //  1. slow step at theta_i(k), unless holding still
    ss_expfam_moments (P, self->theta, w, !self->hold);
    double step = 0;
    if (self->hold)
        memcpy (next->x, self->x, sizeof (self->x));
    else {
        step = ss_round_move (P, self->x, self->x0, w, next->x);
        if (step < 0)
            step = 0;           //  H not positive definite: stand still
    }
    memcpy (next->x0, self->x0, sizeof (self->x0));
    next->degree = self->degree;
    next->hold = false;

    //  2. fast step and 3. tracking, with Metropolis weights
    double w_self = 1.0;
    for (int j = 0; j < n_nbrs; j++)
        w_self -= ss_round_weight (self->degree, nbrs [j].degree);
    for (int k = 0; k < K; k++) {
        next->theta [k] = w_self * self->theta [k];
        next->s [k] = w_self * self->s [k];
    }
    for (int j = 0; j < n_nbrs; j++) {
        double wij = ss_round_weight (self->degree, nbrs [j].degree);
        for (int k = 0; k < K; k++) {
            next->theta [k] += wij * nbrs [j].theta [k];
            next->s [k] += wij * nbrs [j].s [k];
        }
    }
    double *psi_old = w->tmp, *psi_new = w->tmp2;
    ss_footprint (P, self->x, psi_old);
    ss_footprint (P, next->x, psi_new);
    for (int k = 0; k < K; k++) {
        next->theta [k] -= gamma * (w->E [k] + rho * self->theta [k] - self->s [k]);
        next->s [k] += psi_new [k] - psi_old [k];
    }
    return step;
}
