/*  ss_plotmath: the arithmetic of swarmshape's pictures, without drawing
    and without files, so that it can be tested on its own: the macroscopic
    density fitted to a set of positions (theta* solved exactly with core's
    lower level), densities per unit length/area/volume, their marginals on
    the coordinate planes, bilinear resampling of a grid for a smooth
    heat map, "nice" linear and decade axis ticks, tick labels, and the
    viridis colour map.

    Grids follow model.md: nq nodes per axis at the cell midpoints, the
    first coordinate varying fastest.
*/
#ifndef SS_PLOTMATH_H
#define SS_PLOTMATH_H

#include <stddef.h>
#include "ss_expfam.h"

#define SS_PLOTMATH_MAX_TICKS 32

//  theta* of the n positions x (n x d): sigma(x) by ss_footprint_aggregate,
//  then ss_lower_solve to tol. theta holds the warm start on entry and
//  theta* on exit; w->p holds p_theta*. Newton steps, or -1.
int ss_plotmath_fit (const ss_problem_t *P, const double *x, int n,
                     double *theta, double tol, ss_work_t *w);

//  Probabilities of the G grid cells (p, summing to 1) into a density per
//  unit length, area or volume (out, G): p_g / cell volume.
void ss_plotmath_density (const ss_problem_t *P, const double *p, double *out);

//  Marginal of a 3-D grid (nq^3, per unit volume) on the plane of axes a
//  and b (a < b, the third axis summed out) into out (nq x nq, axis a
//  fastest), per unit area. cell is the width of one cell.
void ss_plotmath_marginal (const double *grid, int nq, double cell, int a,
                           int b, double *out);

//  Bilinear resampling of a grid of nx x ny cell-centred values (first
//  index fastest) onto ox x oy cell-centred samples of the same extent;
//  values beyond the outermost centres are held at the edge.
void ss_plotmath_resample (const double *grid, int nx, int ny, double *out,
                           int ox, int oy);

//  Nice linear ticks (1, 2 or 5 times a power of ten) inside [lo, hi]
//  into ticks (room for SS_PLOTMATH_MAX_TICKS): at most max_ticks of them
//  (2 <= max_ticks < SS_PLOTMATH_MAX_TICKS), unless that would leave a
//  lone tick: then the fewest above one. Returns how many; *step gets
//  their spacing. An empty or non-finite range gives one tick.
int ss_plotmath_ticks (double lo, double hi, int max_ticks, double *ticks,
                       double *step);

//  The decades [10^*lo, 10^*hi] that hold every positive finite value of
//  values (count, stride apart), at least one decade wide. -1 when none
//  is positive and finite, else 0.
int ss_plotmath_decades (const double *values, size_t count, size_t stride,
                         int *lo, int *hi);

//  Exponents of the decade ticks of [10^lo, 10^hi], every step-th decade
//  so that at most max_ticks remain, into exps. Returns how many.
int ss_plotmath_log_ticks (int lo, int hi, int max_ticks, int *exps);

//  Label of a linear tick with the decimals its step needs ("0.25",
//  "-2", "1e+04" beyond 10^5). Returns buf.
char *ss_plotmath_label (double value, double step, char *buf, size_t size);

//  Viridis colour (rgb in [0, 1]) of t in [0, 1] (clamped; NaN is 0)
void ss_plotmath_colour (double t, double rgb [3]);

#endif
