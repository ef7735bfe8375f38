/*  ss_expfam: the exponential family on the quadrature grid.

    A problem holds everything that does not change during a run: the RBF
    centres, the quadrature nodes, the target q and its moments mu_q, and
    the one-axis factors of the features: phi_k(y_g) = prod_j a(g_j, k_j)
    with a = axis (n_q x m). A work area holds the scratch of one
    evaluation, allocated once, so that a round allocates nothing.

    Two paths compute the same quantities. The tensor path (the default)
    uses the product structure (ss_tensor): logits, E and the second
    moments are d small mode products each. The dense path is the original
    G x K code over the full feature matrix phi, built only when that path
    is selected; it stays as the reference of the tests and benchmarks.
*/
#ifndef SS_EXPFAM_H
#define SS_EXPFAM_H

#include "ss_model.h"
#include "ss_tensor.h"

typedef enum {
    SS_PATH_TENSOR = 0,     //  mode products, O(n_q^d m^2) per covariance
    SS_PATH_DENSE = 1       //  full phi, O(G K^2 / 2) per covariance
} ss_path_t;

typedef struct {
    ss_model_t model;
    int d, K, G;
    int m, nq, mp;          //  per axis: centres, nodes, pairs m (m+1) / 2
    ss_path_t path;         //  SS_PATH_TENSOR unless ss_problem_set_path
    bool blas_chol;         //  LAPACK dpotrf/dpotrs for H (else ss_chol_*)
    double *centres;        //  K x d
    double *nodes;          //  G x d
    double *phi;            //  G x K, dense path only (else NULL)
    double *axis;           //  nq x m: a(g, k) = exp(-(y_g - c_k)^2 / (2 ell^2))
    double *centre1;        //  m: centre coordinates along one axis
    int *pair;              //  m x m: index of the pair {k, l} (symmetric)
    ss_tensor_t *op_logit;  //  axis, nq x m: theta -> logits
    ss_tensor_t *op_mean;   //  axis^T, m x nq: p -> E
    ss_tensor_t *op_second; //  mp x nq: p -> sum_g p_g (x)_j B(g_j)
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
    double *second;         //  mp^d: uncentred second moments (tensor path)
    double *scratch;        //  ss_tensor_apply scratch of the problem's operators
    double A;               //  log-partition of the last evaluation
} ss_work_t;

//  Build a problem; NULL if the model or target is invalid or memory ran out
ss_problem_t *ss_problem_new (const ss_model_t *model, const ss_mixture_t *target);
void ss_problem_destroy (ss_problem_t **self_p);
//  Replace the target (q, mu_q); 0 or -1 if it is invalid. A grid target
//  (cells > 0, which wins over components) gives q_g = level [g] / sum of
//  the levels; a mixture, its density at the nodes, normalised.
int ss_problem_set_target (ss_problem_t *self, const ss_mixture_t *target);
//  Select the tensor (default) or dense path; the dense path builds phi.
//  Work areas made before stay valid. 0, or -1 if out of memory.
int ss_problem_set_path (ss_problem_t *self, ss_path_t path);
//  Use BLAS for the mode products, LAPACK for the Cholesky of H (the
//  defaults are the faster per size, measured in tests/bench/bench_round)
void ss_problem_set_blas (ss_problem_t *self, bool tensor, bool chol);

ss_work_t *ss_work_new (const ss_problem_t *problem);
void ss_work_destroy (ss_work_t **self_p);

//  Features at one point y (d), into out (K)
void ss_expfam_features (const ss_problem_t *self, const double *y, double *out);

//  Evaluate at theta: fills w->logit, w->p, w->E, w->A, and w->cov when
//  with_cov. Returns A(theta).
//  The tensor path forms Cov = S - E E^T, S = E[phi phi^T], from sums of
//  positive terms: each entry is within 4 d n_q eps sqrt(S_kk S_ll) (<= 4 d
//  n_q eps, as phi <= 1; measured below 60 eps) of the exact value, however
//  concentrated p is; the dense path centres first and is accurate
//  relative to Cov itself. tests/unit/test_expfam.c checks both bounds and
//  that the paths agree to 1e-12 relative on random theta.
double ss_expfam_moments (const ss_problem_t *self, const double *theta,
                          ss_work_t *w, bool with_cov);

//  F(theta) = KL(q || p_theta) = sum q log q - theta . mu_q + A(theta),
//  from w->A of the last evaluation, which must have been at theta
double ss_expfam_kl (const ss_problem_t *self, const double *theta,
                     const ss_work_t *w);

//  Factor H = cov + rho I (from w->cov) into w->chol and solve
//  H u = E - mu_q into w->u. 0 on success, -1 if H is not positive definite.
int ss_expfam_newton_direction (const ss_problem_t *self, ss_work_t *w);

//  Factor H = cov + rho I into w->chol (hand-written or LAPACK, as the
//  problem says); 0, or -1 if H is not positive definite. Then solve
//  H x = b in place with that factor.
int ss_expfam_factor (const ss_problem_t *self, ss_work_t *w);
void ss_expfam_solve (const ss_problem_t *self, const ss_work_t *w, double *b);

//  Cholesky of a K x K symmetric positive definite matrix, in place (lower);
//  -1 if not positive definite. Then solve L L^T x = b in place.
int ss_chol_factor (double *a, int n);
void ss_chol_solve (const double *l, int n, double *b);

#endif
