/*  ss_round: one synchronous round of the distributed bilevel algorithm at
    one agent. Pure: the result depends only on the arguments, in the order
    they are given. sim and agentd pass neighbours in ascending id order
    and the same integer net mass, so their sums are the same sums and
    their positions agree bit for bit.
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

int64_t
ss_mass_quantize (double value)
{
    return (int64_t) llrint (ldexp (value, SS_MASS_BITS));
}

double
ss_mass_value (int64_t q)
{
    return ldexp ((double) q, -SS_MASS_BITS);
}

void
ss_round_init (const ss_problem_t *P, ss_agent_t *self, const double *x0)
{
    memset (self->x, 0, sizeof (self->x));
    memset (self->x0, 0, sizeof (self->x0));
    memcpy (self->x, x0, (size_t) P->d * sizeof (double));
    memcpy (self->x0, x0, (size_t) P->d * sizeof (double));
    memset (self->theta, 0, (size_t) P->K * sizeof (double));
    ss_footprint (P, x0, self->s);
    self->hold = false;
    self->clamped = false;
}

void
ss_round_mass (const ss_problem_t *P, const ss_agent_t *self, double weight,
               int64_t *out)
{
    for (int k = 0; k < P->K; k++)
        out [k] = ss_mass_quantize (weight * self->s [k]);
}

//  Clamp v into [-bound, bound]; true if it had to
static bool
s_clamp (double *v, double bound)
{
    if (*v > bound)
        *v = bound;
    else
    if (*v < -bound)
        *v = -bound;
    else
        return false;
    return true;
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
               const ss_neighbour_t *nbrs, int n_nbrs, const int64_t *net,
               ss_agent_t *next, ss_work_t *w)
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
    next->hold = false;
    next->clamped = false;

    //  2. fast step, with the neighbours' thetas (ours where one is missing)
    double w_self = 1.0;
    for (int j = 0; j < n_nbrs; j++)
        w_self -= nbrs [j].weight;
    for (int k = 0; k < K; k++)
        next->theta [k] = w_self * self->theta [k];
    for (int j = 0; j < n_nbrs; j++) {
        const double *theta = nbrs [j].theta? nbrs [j].theta: self->theta;
        for (int k = 0; k < K; k++)
            next->theta [k] += nbrs [j].weight * theta [k];
    }
    //  3. tracking: the round's net mass, then the footprint's change
    double *psi_old = w->tmp, *psi_new = w->tmp2;
    ss_footprint (P, self->x, psi_old);
    ss_footprint (P, next->x, psi_new);
    for (int k = 0; k < K; k++) {
        next->theta [k] -= gamma * (w->E [k] + rho * self->theta [k] - self->s [k]);
        next->s [k] = self->s [k] + ss_mass_value (net [k]);
        next->s [k] += psi_new [k] - psi_old [k];
        bool theta_clamped = s_clamp (&next->theta [k], SS_ROUND_MAX_THETA);
        bool s_clamped = s_clamp (&next->s [k], SS_ROUND_MAX_S);
        if (theta_clamped || s_clamped)
            next->clamped = true;
    }
    return step;
}
