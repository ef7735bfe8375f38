/*  ss_round: one synchronous round k -> k+1 of the distributed algorithm at
    one agent, as a pure function over plain structs. sim and agentd both
    call exactly this; it allocates nothing, touches no clock, no socket.

    1. slow step:  v = alpha [Jpsi^T H(theta_i)^{-1} grad F(theta_i)
                               + lambda (x - x0)], |v| <= vmax,
                   x' = clip_D(x - v)
    2. fast step:  theta' = sum_j w_ij theta_j - gamma (E_theta[phi]
                               + rho theta - s)
    3. tracking:   s' = sum_j w_ij s_j + psi(x') - psi(x)
    with Metropolis weights w_ij = 1 / (1 + max(deg_i, deg_j)).
*/
#ifndef SS_ROUND_H
#define SS_ROUND_H

#include "ss_expfam.h"

typedef struct {
    double x [SS_MAX_DIM];      //  microscopic state x_i(k)
    double x0 [SS_MAX_DIM];     //  initial position x_i(0)
    double *theta;              //  K, estimate of theta*
    double *s;                  //  K, tracker of sigma
    int degree;                 //  deg_i
    bool hold;                  //  this round: estimation only, no motion
} ss_agent_t;

//  A neighbour's round-k values, as received
typedef struct {
    const double *theta;
    const double *s;
    int degree;
} ss_neighbour_t;

//  Metropolis-Hastings weight of an edge
double ss_round_weight (int deg_i, int deg_j);

//  Initialise an agent at x0: theta = 0, s = psi(x0)
void ss_round_init (const ss_problem_t *P, ss_agent_t *self, const double *x0,
                    int degree);

//  Slow step at x with w holding moments + covariance at the theta in use
//  (w->E, w->cov): computes w->u and writes x' into x_out. Returns |v|.
//  Returns -1 if H was not positive definite (x_out = x then).
double ss_round_move (const ss_problem_t *P, const double *x, const double *x0,
                      ss_work_t *w, double *x_out);

//  One full round at agent self (round-k values) with its neighbours'
//  round-k values. Writes round k+1 into next (next->theta and next->s must
//  not alias self's). Returns the step length |v|. With self->hold the slow
//  step is skipped (x' = x): the fast step and the tracker run as always.
double ss_round_step (const ss_problem_t *P, const ss_agent_t *self,
                      const ss_neighbour_t *nbrs, int n_nbrs,
                      ss_agent_t *next, ss_work_t *w);

#endif
