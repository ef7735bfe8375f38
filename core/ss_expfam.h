/*  ss_expfam: the exponential family on the quadrature grid.

    A problem holds everything that does not change during a run: the RBF
    centres, the quadrature nodes, the feature matrix phi (G x K, node
    major), the target q and its moments mu_q. A work area holds the scratch
    of one evaluation, allocated once, so that a round allocates nothing.
*/
#ifndef SS_EXPFAM_H
#define SS_EXPFAM_H

#include "ss_model.h"

typedef struct {
    ss_model_t model;
    int d, K, G;
    double *centres;        //  K x d
    double *nodes;          //  G x d
    double *phi;            //  G x K
    double *q;              //  G, sums to 1
    double *mu_q;           //  K
    double q_entropy_term;  //  sum_{q_g > 0} q_g log q_g
    double psi_scale;       //  (ell^2 / (ell^2 + h^2))^(d/2)
    double psi_var;         //  ell^2 + h^2
} ss_problem_t;

typedef struct {
    double *logit;          //  G: theta . phi(y_g)
    double *p;              //  G: p_theta(g)
    double *E;              //  K: E_theta[phi] = grad A
    double *cov;            //  K x K: Cov_theta[phi] (full, symmetric)
    double *chol;           //  K x K: Cholesky factor of H (lower)
    double *u;              //  K: H^{-1} grad F
    double *tmp;            //  K scratch
    double *tmp2;           //  K scratch
    double *wphi;           //  K scratch (centred features of one node)
    double A;               //  log-partition of the last evaluation
} ss_work_t;

//  Build a problem; NULL if the model or target is invalid or memory ran out
ss_problem_t *ss_problem_new (const ss_model_t *model, const ss_mixture_t *target);
void ss_problem_destroy (ss_problem_t **self_p);
//  Replace the target (q, mu_q); 0 or -1 if it is invalid. A grid target
//  (cells > 0, which wins over components) gives q_g = level [g] / sum of
//  the levels; a mixture, its density at the nodes, normalised.
int ss_problem_set_target (ss_problem_t *self, const ss_mixture_t *target);

ss_work_t *ss_work_new (const ss_problem_t *problem);
void ss_work_destroy (ss_work_t **self_p);

//  Features at one point y (d), into out (K)
void ss_expfam_features (const ss_problem_t *self, const double *y, double *out);

//  Evaluate at theta: fills w->p, w->E, w->A, and w->cov when with_cov.
//  Returns A(theta).
double ss_expfam_moments (const ss_problem_t *self, const double *theta,
                          ss_work_t *w, bool with_cov);

//  F(theta) = KL(q || p_theta) = sum q log q - theta . mu_q + A(theta),
//  from w->A of the last evaluation, which must have been at theta
double ss_expfam_kl (const ss_problem_t *self, const double *theta,
                     const ss_work_t *w);

//  Factor H = cov + rho I (from w->cov) into w->chol and solve
//  H u = E - mu_q into w->u. 0 on success, -1 if H is not positive definite.
int ss_expfam_newton_direction (const ss_problem_t *self, ss_work_t *w);

//  Cholesky of a K x K symmetric positive definite matrix, in place (lower);
//  -1 if not positive definite. Then solve L L^T x = b in place.
int ss_chol_factor (double *a, int n);
void ss_chol_solve (const double *l, int n, double *b);

#endif
