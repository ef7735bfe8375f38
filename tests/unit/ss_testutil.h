/*  Helpers shared by the unit tests: problems of each dimension, random
    points, and relative errors. */
#ifndef SS_TESTUTIL_H
#define SS_TESTUTIL_H

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "ss_model.h"
#include "ss_rng.h"
#include "ss_expfam.h"

//  A problem of dimension d, small enough that finite differences over
//  every coordinate stay fast in 3-D
static inline ss_problem_t *
test_problem (int d, double lambda)
{
    ss_model_t model;
    ss_model_defaults (&model);
    model.dim = d;
    model.lambda = lambda;
    if (d == 3) {
        model.m = 3;
        model.nq = 12;
    }
    ss_mixture_t target;
    ss_mixture_defaults (&target, d, model.lo, model.hi);
    ss_problem_t *P = ss_problem_new (&model, &target);
    assert_non_null (P);
    return P;
}

static inline void
test_fill (ss_rng_t *rng, double *v, int n, double lo, double hi)
{
    for (int i = 0; i < n; i++)
        v [i] = lo + (hi - lo) * ss_rng_uniform (rng);
}

//  |a - b|_2 / |b|_2
static inline double
test_relerr (const double *a, const double *b, int n)
{
    double num = 0, den = 0;
    for (int i = 0; i < n; i++) {
        num += (a [i] - b [i]) * (a [i] - b [i]);
        den += b [i] * b [i];
    }
    return sqrt (num) / (den > 0? sqrt (den): 1);
}

#endif
