/*  ss_round: one synchronous round k -> k+1 of the distributed algorithm at
    one agent, as a pure function over plain structs. sim and agentd both
    call exactly this; it allocates nothing, touches no clock, no socket.

    1. slow step:  v = alpha [Jpsi^T H(theta_i)^{-1} grad F(theta_i)
                               + lambda (x - x0)], |v| <= vmax,
                   x' = clip_D(x - v)
    2. fast step:  theta' = w_ii theta + sum_j w_ij theta_j
                            - gamma (E_theta[phi] + rho theta - s)
    3. tracking, as mass moved on links (the lossy-links issue):
                   s' = s + sum_j m_ji - sum_j m_ij + psi(x') - psi(x)
       where m_ij = w_ij s_i(k) is the tracker mass agent i sends to j in
       round k and m_ji what it receives. With every message on time this
       is model.md's  s' = w_ii s + sum_j w_ij s_j + psi(x') - psi(x)  (the
       weights are symmetric), up to the fixed point below.

    Masses travel as running sums. A mass is a fixed-point integer,
    q = round (m 2^SS_MASS_BITS) per feature, and a link carries the sum of
    the masses sent on it since the sender's epoch began (mod 2^64). A
    receiver adds the difference between the newest sum it holds and the
    last one it added: a late message is counted when it comes, a lost one
    is made up by the next, a duplicate adds nothing. Integer sums are
    exact and associative, and the sender subtracts exactly the value the
    receiver adds, so sum_i s_i = sum_i psi(x_i) holds to round-off once
    the messages in flight have arrived, whatever the network did.
    Weights are Metropolis-Hastings, w_ij = 1 / (1 + max(deg_i, deg_j)),
    computed by the caller (ss_peers) and passed in.

    Bounds: a state is clamped to |theta| <= SS_ROUND_MAX_THETA and
    |s| <= SS_ROUND_MAX_S after a round (never reached by an honest fleet;
    a hostile peer can push values there, not further), so that every
    state encodes on the wire and every mass fits its fixed point.
*/
#ifndef SS_ROUND_H
#define SS_ROUND_H

#include "ss_expfam.h"

#define SS_MASS_BITS        52      //  fixed point of a tracker mass: 2^-52
#define SS_ROUND_MAX_THETA  1e5     //  state clamp (the wire allows 1e6)
#define SS_ROUND_MAX_S      1e3     //  so |w s| 2^52 < 2^62

typedef struct {
    double x [SS_MAX_DIM];      //  microscopic state x_i(k)
    double x0 [SS_MAX_DIM];     //  initial position x_i(0)
    double *theta;              //  K, estimate of theta*
    double *s;                  //  K, tracker of sigma
    bool hold;                  //  this round: estimation only, no motion
    bool clamped;               //  the last round clamped a value
} ss_agent_t;

//  A neighbour in this round: its round-k theta (NULL: not received, our
//  own stands in, so its weight stays on the diagonal) and the link's weight
typedef struct {
    const double *theta;
    double weight;
} ss_neighbour_t;

//  Metropolis-Hastings weight of an edge
double ss_round_weight (int deg_i, int deg_j);

//  Fixed point of a mass value and back (exact for |q| < 2^53)
int64_t ss_mass_quantize (double value);
double ss_mass_value (int64_t q);

//  Initialise an agent at x0: theta = 0, s = psi(x0)
void ss_round_init (const ss_problem_t *P, ss_agent_t *self, const double *x0);

//  The tracker mass agent self sends on a link of weight `weight` this
//  round, q_k = quantize (weight s_k), into out (K)
void ss_round_mass (const ss_problem_t *P, const ss_agent_t *self,
                    double weight, int64_t *out);

//  Slow step at x with w holding moments + covariance at the theta in use
//  (w->E, w->cov): computes w->u and writes x' into x_out. Returns |v|.
//  Returns -1 if H was not positive definite (x_out = x then).
double ss_round_move (const ss_problem_t *P, const double *x, const double *x0,
                      ss_work_t *w, double *x_out);

//  One full round at agent self (round-k values) with its neighbours'
//  round-k thetas and the round's net tracker mass `net` (K: masses
//  received minus masses sent, fixed point). Writes round k+1 into next
//  (next->theta and next->s must not alias self's). Returns the step
//  length |v|. With self->hold the slow step is skipped (x' = x): the fast
//  step and the tracker run as always.
double ss_round_step (const ss_problem_t *P, const ss_agent_t *self,
                      const ss_neighbour_t *nbrs, int n_nbrs,
                      const int64_t *net, ss_agent_t *next, ss_work_t *w);

#endif
