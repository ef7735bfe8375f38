/*  ss_model: the numbers of the model, in one table that mirrors model.md.

    Every default of ../shared/docs/model.md lives here and only here. The
    fleet loader starts from these values and overrides what a fleet file
    names; sim, agentd and coordinator all read the same struct.
*/
#ifndef SS_MODEL_H
#define SS_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SS_MAX_DIM        3      //  d = 1, 2, 3
#define SS_MAX_K          1024   //  features (m^d), bounds every wire array
#define SS_MAX_G          (1 << 18) //  quadrature nodes (n_q^d)
#define SS_MAX_COMPONENTS 16     //  target mixture terms
#define SS_MAX_GRID       32768  //  grid targets: levels on at most this many nodes

typedef struct {
    int dim;                //  d                           [2]
    double lo, hi;          //  box D = [lo, hi]^d          [0, 1]
    int m;                  //  RBF centres per axis        [5]
    double ell;             //  RBF width                   [0.15]
    double h;               //  sensing kernel width        [0.05]
    int nq;                 //  quadrature nodes per axis   [32]
    double rho;             //  lower-level regulariser     [0.01]
    double lambda;          //  anchoring weight            [0]
    double alpha;           //  slow step                   [0.002]
    double gamma;           //  fast step                   [1.0]
    double vmax;            //  speed limit                 [0.02]
} ss_model_t;

typedef struct {
    double weight;
    double mean[SS_MAX_DIM];
    double std;
} ss_component_t;

//  Target: an isotropic Gaussian mixture on D, or a grid of levels on the
//  quadrature nodes (an image target: q_g proportional to level[g], first
//  coordinate fastest, cells = nq^d), or both (the grid wins). A struct
//  with cells = 0 is a plain mixture.
typedef struct {
    int count;
    ss_component_t comp[SS_MAX_COMPONENTS];
    int cells;                      //  0: no grid
    uint8_t level[SS_MAX_GRID];
} ss_mixture_t;

//  Fill a model with model.md's defaults
void ss_model_defaults (ss_model_t *self);

//  Fill a mixture with model.md's default target for the given dimension and
//  box: two components of weight 0.5, means (0.25, 0.70) and (0.75, 0.30)
//  (first coordinate only in 1-D, 0.5 appended in 3-D), std 0.10, all
//  scaled from the unit box to [lo, hi].
void ss_mixture_defaults (ss_mixture_t *self, int dim, double lo, double hi);

//  Return NULL if the model is usable, else a static text naming the
//  first bad field ("ell must be > 0").
const char *ss_model_check (const ss_model_t *self);

//  Same for a mixture, against a model
const char *ss_mixture_check (const ss_mixture_t *self, const ss_model_t *model);

//  Number of features K = m^d and of quadrature nodes G = nq^d
int ss_model_features (const ss_model_t *self);
int ss_model_nodes (const ss_model_t *self);

#endif
